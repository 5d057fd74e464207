import Ajv from 'ajv';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import {
  DEVICE_APIS,
  DEVICE_API_TABLE,
  DeviceApi,
  InvalidDeviceRequestError,
  deviceRequestJsonSchema,
} from '@app/device-protocol';
import { MemoryJobs } from '../../database/job.repository.in-memory-spec';
import type { JobRecord } from '../../domain/job';
import type { JobRunner } from '../../job-runner';
import { StartJobCommand } from './start-job.command';
import { StartJobHandler } from './start-job.handler';
import {
  START_JOB_SCHEMA,
  describeStartJobBody,
  startJobBranchName,
  startJobRequestSchemas,
} from './start-job.openapi';

/** The shape the Swagger plugin gives StartJobRequestDto (abridged): the common fields, `api` and a free `params`. */
const DTO: SchemaObject = {
  type: 'object',
  properties: {
    devices: { type: 'array', items: { type: 'string' }, minItems: 1 },
    api: { type: 'string', enum: [...DEVICE_APIS], description: 'The device API' },
    selector: { $ref: '#/components/schemas/JobSelectorDto' },
    params: { type: 'object', additionalProperties: true, description: 'Its parameters' },
    timeoutMs: { type: 'integer', minimum: 100, maximum: 30000 },
  },
  required: ['api'],
  additionalProperties: false,
};

const ajv = new Ajv({ strict: false, validateFormats: false });

/** The handler with a repository in memory and a runner that only records: a unit test of the handler alone. */
function handler() {
  const memory = new MemoryJobs({ devices: [] });
  const started: JobRecord[] = [];
  const runner = { start: (job: JobRecord) => (started.push(job), Promise.resolve(true)) } as unknown as JobRunner;
  return { handler: new StartJobHandler(memory.repository, runner), memory, started };
}

async function handlerAccepts(api: DeviceApi, params: Record<string, unknown>): Promise<boolean> {
  try {
    await handler().handler.execute(new StartJobCommand('u1', { devices: ['lamp'] }, api, params, 5000, 50));
    return true;
  } catch (error) {
    if (error instanceof InvalidDeviceRequestError) return false;
    throw error;
  }
}

/** Params to try on every api: each field of the table with good and bad values, none, and a stranger. */
const PARAM_SAMPLES: Record<string, unknown>[] = [
  {},
  { number: 3 },
  { number: 3, value: 1 },
  { number: 256, value: 1 },
  { number: 3, value: 2 },
  { number: 3, value: 1, extra: true },
  { status: 'restart' },
  { status: 'restarting' },
  { value: 1_700_000_000 },
  { value: -1 },
  { value: 'aa:bb:cc:dd:ee:ff' },
  { value: 'aa:bb:cc:dd:ee' },
  { data: 'hello' },
  { data: 'x'.repeat(1025) },
  { data: 3 },
  { unknown: 1 },
];

describe('the POST /jobs body schema, from the device API table', () => {
  const { body, branches } = startJobRequestSchemas(DTO);

  it('has one closed branch per device api, chosen by `api`', () => {
    expect(Object.keys(branches)).toEqual(DEVICE_APIS.map(startJobBranchName));
    expect(body.oneOf).toEqual(DEVICE_APIS.map((api) => ({ $ref: `#/components/schemas/${startJobBranchName(api)}` })));
    expect(body.discriminator?.propertyName).toBe('api');
    for (const api of DEVICE_APIS) {
      const branch = branches[startJobBranchName(api)];
      expect(body.discriminator?.mapping?.[api]).toBe(`#/components/schemas/${startJobBranchName(api)}`);
      expect(branch.additionalProperties).toBe(false);
      expect(branch.properties?.api).toEqual({ type: 'string', enum: [api], description: 'The device API' });
      expect(branch.properties?.params).toEqual({ ...deviceRequestJsonSchema(api), description: 'Its parameters' });
      // The other fields are the DTO's own.
      expect(branch.properties?.timeoutMs).toBe(DTO.properties?.timeoutMs);
      const hasFields = Object.keys(DEVICE_API_TABLE[api].request).length > 0;
      expect(branch.required).toEqual(hasFields ? ['api', 'params'] : ['api']);
      expect(branch.oneOf).toEqual([{ required: ['devices'] }, { required: ['selector'] }]);
    }
  });

  it.each(DEVICE_APIS)('%s: the schema accepts exactly the params the handler accepts', async (api) => {
    const branch = branches[startJobBranchName(api)];
    // Without the selector (a $ref this unit test does not load), a body with `devices`.
    const validate = ajv.compile({ ...branch, properties: { ...branch.properties, selector: {} } });
    const verdicts = await Promise.all(
      PARAM_SAMPLES.map(async (params) => ({
        params,
        schema: validate({ devices: ['lamp'], api, params }),
        handler: await handlerAccepts(api, params),
      })),
    );
    expect(verdicts.filter((v) => v.schema !== v.handler)).toEqual([]);
    expect(new Set(verdicts.map((v) => v.handler))).toEqual(new Set([true, false]));
  });

  it('refuses a body with both targets or neither, and an api outside the table', () => {
    // The body with its branches where its references point (a document's components).
    const validate = ajv.compile({ ...body, components: { schemas: { ...branches, JobSelectorDto: {} } } });
    const ok = { devices: ['lamp'], api: 'set_gpio', params: { number: 3, value: 1 } };
    expect(validate(ok)).toBe(true);
    expect(validate({ ...ok, selector: { all: true } })).toBe(false);
    expect(validate({ api: 'set_gpio', params: { number: 3, value: 1 } })).toBe(false);
    expect(validate({ ...ok, api: 'fly' })).toBe(false);
    expect(validate({ ...ok, api: 'get_status' })).toBe(false); // get_status takes no params
  });

  it('replaces StartJobRequestDto in a document and makes the selector name a criterion', () => {
    const document = {
      components: { schemas: { [START_JOB_SCHEMA]: DTO, JobSelectorDto: { type: 'object', properties: {} } } },
    } as unknown as OpenAPIObject;
    describeStartJobBody(document);
    const schemas = document.components?.schemas ?? {};
    expect(schemas[START_JOB_SCHEMA]).toEqual(body);
    expect(Object.keys(schemas)).toEqual(expect.arrayContaining(Object.keys(branches)));
    expect(schemas.JobSelectorDto).toMatchObject({ minProperties: 1 });
  });
});

describe('StartJobHandler', () => {
  it('stores a job with its named devices in one write, and answers queued with total null: nothing per device', async () => {
    const { handler: start, memory, started } = handler();
    const names = Array.from({ length: 5000 }, (_, i) => `lamp-${i % 4000}`); // 1,000 named twice
    const job = await start.execute(
      new StartJobCommand('u1', { devices: names }, 'set_gpio', { number: 3, value: 1 }, 5000, 50),
    );
    expect(job).toMatchObject({ state: 'queued', total: null, counts: {} });
    expect(memory.calls).toEqual(['create']); // no result row, no read of the registry
    expect(memory.rows.size).toBe(0);
    expect(memory.job.devices).toEqual(names.slice(0, 4000)); // deduplicated, in the order given
    expect(started).toEqual([job]); // handed to the runner, which resolves it
  });

  it('stores a selector as it is, without reading a device: one that matches none is not refused', async () => {
    const { handler: start, memory } = handler();
    const job = await start.execute(
      new StartJobCommand('u1', { selector: { tag: 'site=nowhere', online: true } }, 'get_status', {}, 5000, 50),
    );
    expect(job).toMatchObject({ total: null, state: 'queued' });
    expect(memory.calls).toEqual(['create']);
    expect(memory.job.selector).toEqual({ tag: 'site=nowhere', online: true });
  });

  it.each([
    [{ devices: ['bad name'] }, /not a device name/],
    [{ selector: {} }, /selector needs/],
    [{ selector: { all: false } }, /selector needs/],
    [{ selector: { tag: 'nokey' } }, /key=value/],
  ])('refuses %j at once, storing nothing', async (target, message) => {
    const { handler: start, memory } = handler();
    await expect(start.execute(new StartJobCommand('u1', target, 'get_status', {}, 5000, 50))).rejects.toThrow(message);
    expect(memory.calls).toEqual([]);
  });
});
