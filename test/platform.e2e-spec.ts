import { INestApplication } from '@nestjs/common';
import { RunningGateway, startDeviceCommand, startGateway } from './support/apps';
import { closeClient, request, signUpAndLogIn, uniqueName } from './support/https-client';
import { DEVICE_APIS } from '@app/device-protocol';
import { TAG_KEY_PATTERN } from '../apps/api-gateway/src/devices/domain/device-tags';

describe('platform (e2e, both apps on the real broker over AMQPS)', () => {
  let gateway: RunningGateway;
  let deviceCommand: INestApplication;

  beforeAll(async () => {
    deviceCommand = await startDeviceCommand();
    gateway = await startGateway();
  });
  afterAll(async () => {
    await gateway.close();
    await deviceCommand.close();
    closeClient();
  });

  it('GET /health reports database, broker and device-command up', async () => {
    const res = await request<Record<string, { status: string }>>(gateway.baseUrl, 'GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      database: { status: 'up' },
      broker: { status: 'up' },
      deviceCommand: { status: 'up' },
    });
  });

  it('GET /health says 503 and names device-command when it is gone', async () => {
    await deviceCommand.close();
    try {
      const res = await request<Record<string, { status: string }>>(gateway.baseUrl, 'GET', '/health');
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({
        status: 'degraded',
        database: { status: 'up' },
        deviceCommand: { status: 'down' },
      });
    } finally {
      deviceCommand = await startDeviceCommand();
    }
  });

  it('serves HTTPS with a certificate that verifies against our CA, and security headers', async () => {
    const res = await request(gateway.baseUrl, 'GET', '/api/docs-json');
    expect(res.status).toBe(200);
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
    // Every answer carries them and a request id, the errors the framework gives before any route too.
    const answers = [
      await request(gateway.baseUrl, 'GET', '/no-such-route'),
      await request(gateway.baseUrl, 'DELETE', '/devices'),
      await request(gateway.baseUrl, 'POST', '/auth/login', { rawBody: '{"username": ' }),
      await request(gateway.baseUrl, 'POST', '/auth/login', { body: { username: 'x'.repeat(200_000) } }),
      await request(gateway.baseUrl, 'GET', '/devices'),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([404, 405, 400, 413, 401]);
    for (const answer of answers) {
      expect(answer.headers['strict-transport-security']).toBeDefined();
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['content-security-policy']).toContain("script-src 'self' 'unsafe-inline'");
      expect(answer.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(answer.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('routes paths as before: any letter case, an optional trailing slash, long parameters reach validation', async () => {
    for (const path of ['/HEALTH/live', '/health/live/']) {
      expect([path, (await request(gateway.baseUrl, 'GET', path)).status]).toEqual([path, 200]);
    }
    const token = await signUpAndLogIn(gateway.baseUrl, uniqueName('routing'));
    const long = await request<{ code: string }>(gateway.baseUrl, 'GET', `/devices/${'n'.repeat(300)}/gpio/3`, {
      token,
    });
    expect([long.status, long.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    // A body of a type the gateway does not read is dropped (validation names what is missing), not refused as 415.
    const text = await request<{ code: string }>(gateway.baseUrl, 'POST', '/auth/login', {
      rawBody: 'username=a',
      headers: { 'content-type': 'text/plain' },
    });
    expect([text.status, text.body.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  interface Operation {
    operationId: string;
    tags?: string[];
    deprecated?: boolean;
    parameters?: { name: string; in: string; schema: Record<string, unknown> }[];
    requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
    responses: Record<
      string,
      {
        links?: Record<string, { operationId: string; parameters: Record<string, string> }>;
        content?: Record<string, { schema: { required?: string[]; properties?: { code?: { enum?: string[] } } } }>;
      }
    >;
  }
  type Paths = Record<string, Record<string, Operation>>;
  const errorCodes = (operation: Operation, status: number) =>
    operation.responses[String(status)]?.content?.['application/json']?.schema.properties?.code?.enum;

  it('documents every route, its constraints, its errors with their codes, and links', async () => {
    const res = await request<{
      openapi: string;
      paths: Paths;
      components: {
        schemas: Record<
          string,
          { properties?: Record<string, unknown>; additionalProperties?: unknown; oneOf?: { $ref: string }[] }
        >;
      };
    }>(gateway.baseUrl, 'GET', '/api/docs-json');
    const { paths, components } = res.body;
    // OpenAPI 3.1, whose schemas are JSON Schema: the rule of tag keys is stated (propertyNames).
    expect(res.body.openapi).toBe('3.1.0');
    expect(components.schemas.UpdateDeviceRequestDto.properties?.tags).toMatchObject({
      propertyNames: { pattern: TAG_KEY_PATTERN.source },
    });
    // The job body: one branch per device api, generated from the device API table.
    expect(components.schemas.StartJobRequestDto).toMatchObject({ discriminator: { propertyName: 'api' } });
    expect(components.schemas.StartJobRequestDto.oneOf?.map((branch) => branch.$ref)).toEqual(
      DEVICE_APIS.map((api) => `#/components/schemas/StartJobRequest_${api}`),
    );
    const modern = Object.keys(paths).filter((p) => !Object.values(paths[p]).every((op) => op.deprecated));
    expect(modern.sort()).toEqual([
      '/audit',
      '/auth/legacy-secret/rotate',
      '/auth/login',
      '/auth/signup',
      '/devices',
      '/devices/{name}',
      '/devices/{name}/certificate',
      '/devices/{name}/commands',
      '/devices/{name}/commands/{id}',
      '/devices/{name}/gateway',
      '/devices/{name}/gpio/{number}',
      '/devices/{name}/ip',
      '/devices/{name}/mac',
      '/devices/{name}/rtc',
      '/devices/{name}/status',
      '/devices/{name}/subnet',
      '/devices/{name}/uart',
      '/events',
      '/health',
      '/health/live',
      '/health/ready',
      '/jobs',
      '/jobs/{id}',
      '/jobs/{id}/cancel',
      '/jobs/{id}/results',
    ]);
    expect(Object.keys(paths['/devices/{name}/gpio/{number}']).sort()).toEqual(['get', 'put']);
    const setGpio = paths['/devices/{name}/gpio/{number}'].put;
    expect(errorCodes(setGpio, 400)).toEqual([
      'VALIDATION_FAILED',
      'INVALID_DEVICE_REQUEST',
      'MALFORMED_JSON',
      'BODY_TOO_DEEP',
    ]);
    expect(errorCodes(setGpio, 401)).toEqual(['UNAUTHORIZED']);
    expect(errorCodes(setGpio, 404)).toEqual(['DEVICE_NOT_FOUND']);
    expect(errorCodes(setGpio, 413)).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(errorCodes(setGpio, 429)).toEqual(['DEVICE_BUSY']);
    expect(errorCodes(setGpio, 502)).toEqual(['DEVICE_BAD_REPLY']);
    expect(errorCodes(setGpio, 503)).toEqual(['DEVICE_OFFLINE', 'DEVICE_COMMAND_UNAVAILABLE', 'DATABASE_UNAVAILABLE']);
    expect(errorCodes(setGpio, 504)).toEqual(['DEVICE_TIMEOUT']);
    // The constraints the validation pipe enforces, stated for clients.
    const params = Object.fromEntries((setGpio.parameters ?? []).map((p) => [p.name, p.schema]));
    expect(params.name).toMatchObject({ type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' });
    expect(params.number).toMatchObject({ type: 'integer', minimum: 0, maximum: 255 });
    expect(params.timeout).toMatchObject({ type: 'integer', minimum: 100, maximum: 30000 });
    expect(setGpio.requestBody?.content['application/json'].schema).toMatchObject({
      required: ['value'],
      additionalProperties: false,
    });
    // The device's reply, from the device API table.
    const getGpio = paths['/devices/{name}/gpio/{number}'].get;
    expect(getGpio.responses['200'].content?.['application/json'].schema.required).toEqual(['number', 'value']);
    expect(errorCodes(paths['/auth/signup'].post, 400)).toEqual(
      expect.arrayContaining(['VALIDATION_FAILED', 'MALFORMED_JSON', 'INVALID_USERNAME', 'WEAK_PASSWORD']),
    );
    expect(errorCodes(paths['/auth/login'].post, 429)).toEqual(['TOO_MANY_LOGIN_ATTEMPTS']);
    expect(errorCodes(paths['/devices'].post, 409)).toEqual(['DEVICE_NAME_TAKEN']);
    expect(errorCodes(paths['/devices/{name}'].delete, 404)).toEqual(['DEVICE_NOT_FOUND']);
    expect(errorCodes(paths['/devices'].get, 503)).toEqual(['DATABASE_UNAVAILABLE']);
    // Page sizes are integers, as @IsInt enforces (the Swagger plugin alone would say `number`).
    for (const list of [paths['/audit'].get, paths['/devices/{name}/commands'].get]) {
      const limit = (list.parameters ?? []).find((p) => p.name === 'limit');
      expect(limit?.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 100 });
    }
    // The event stream is text/event-stream, but its errors are JSON like everywhere else.
    expect(Object.keys(paths['/events'].get.responses['200'].content ?? {})).toEqual(['text/event-stream']);
    expect(Object.keys(paths['/events'].get.responses['401'].content ?? {})).toEqual(['application/json']);
    expect(errorCodes(paths['/events'].get, 401)).toEqual(['UNAUTHORIZED']);
    expect(errorCodes(paths['/devices/{name}/commands/{id}'].get, 404)).toEqual([
      'DEVICE_NOT_FOUND',
      'COMMAND_NOT_FOUND',
    ]);
    expect(JSON.stringify(paths)).not.toMatch(/broker-auth/);
    expect(Object.keys(paths['/devices/{name}']).sort()).toEqual(['delete', 'get', 'patch']);
    // Registration and listing lead to every route that takes the device's name.
    const byName = Object.entries(paths)
      .filter(([p]) => p.startsWith('/devices/{name}'))
      .flatMap(([, item]) => Object.values(item).map((op) => op.operationId));
    for (const [response, nameAt] of [
      [paths['/devices'].post.responses['201'], '$response.body#/name'],
      [paths['/devices'].get.responses['200'], '$response.body#/0/name'],
    ] as const) {
      expect(Object.keys(response.links ?? {}).sort()).toEqual([...byName].sort());
      for (const link of Object.values(response.links ?? {})) expect(link.parameters).toEqual({ name: nameAt });
    }
    // The libpyiotcloud routes, for migrating users: tagged legacy, deprecated.
    for (const route of ['/login', '/get_gpio', '/set_gpio', '/register_device']) {
      for (const operation of Object.values(paths[route])) {
        expect(operation).toMatchObject({ tags: ['legacy'], deprecated: true });
      }
    }
    expect(Object.keys(components.schemas.RegisterDeviceRequestDto.properties ?? {}).sort()).toEqual([
      'csr',
      'keyType',
      'name',
      'tags',
    ]);
    expect(components.schemas.RegisterDeviceResponseDto.properties).toHaveProperty('privateKey');
    expect(components.schemas.RegisterDeviceResponseDto.properties).toHaveProperty('brokerPassword');

    const ui = await request(gateway.baseUrl, 'GET', '/api/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toMatch(/swagger-ui/i);
    // Its script and assets are served too (by @fastify/static), under the page's CSP.
    for (const asset of ['swagger-ui-init.js', 'swagger-ui-bundle.js', 'swagger-ui.css']) {
      const res = await request(gateway.baseUrl, 'GET', `/api/docs/${asset}`);
      expect([asset, res.status]).toEqual([asset, 200]);
      expect(res.headers['content-type']).toMatch(/javascript|css/);
    }
  });

  it.each([
    ['DELETE', '/devices', 'GET, POST'],
    ['PUT', '/devices/some-device', 'GET, DELETE, PATCH'],
    ['POST', '/devices/some-device/gpio/3', 'GET, PUT'],
    ['GET', '/auth/login', 'POST'],
    ['PUT', '/health', 'GET'],
    ['POST', '/get_gpio', 'GET'],
  ])('%s %s answers 405 METHOD_NOT_ALLOWED with Allow: %s', async (method, route, allow) => {
    const res = await request<{ statusCode: number; code: string }>(gateway.baseUrl, method, route);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expect(res.body).toMatchObject({ statusCode: 405, code: 'METHOD_NOT_ALLOWED' });
  });

  it('a path outside the document is still 404, and a declared method is not refused', async () => {
    expect((await request(gateway.baseUrl, 'GET', '/no-such-route')).status).toBe(404);
    const list = await request<{ code: string }>(gateway.baseUrl, 'GET', '/devices');
    expect(list.status).toBe(401);
    expect(list.body.code).toBe('UNAUTHORIZED');
  });
});
