import type { OpenAPIObject } from '@nestjs/swagger';
import type { ReferenceObject, SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { DEVICE_APIS, DeviceApi, deviceApiDefinition, deviceRequestJsonSchema } from '@app/device-protocol';

/** The component the Swagger plugin makes of StartJobRequestDto; the body's schema keeps its name. */
export const START_JOB_SCHEMA = 'StartJobRequestDto';
const SELECTOR_SCHEMA = 'JobSelectorDto';

/** The component of one api's job body. */
export function startJobBranchName(api: DeviceApi): string {
  return `StartJobRequest_${api}`;
}

const ref = (name: string): ReferenceObject => ({ $ref: `#/components/schemas/${name}` });

/**
 * The `POST /jobs` body, exactly: one closed branch per device api, chosen by `api`. Each branch is
 * the DTO's own schema (the fields, bounds and descriptions the Swagger plugin read from
 * StartJobRequestDto) with `api` fixed to that api and `params` that api's request schema
 * (deviceRequestJsonSchema, from the device API table, which the handler checks with), required
 * when the api has fields. Exactly one of `devices` and `selector`. No api is written down here:
 * a new entry in the table is a new branch.
 */
export function startJobRequestSchemas(dto: SchemaObject): {
  body: SchemaObject;
  branches: Record<string, SchemaObject>;
} {
  const properties = dto.properties ?? {};
  const described = (schema: SchemaObject | ReferenceObject) => ('$ref' in schema ? {} : schema);
  const branches = Object.fromEntries(
    DEVICE_APIS.map((api): [string, SchemaObject] => {
      const params = deviceRequestJsonSchema(api);
      const branch: SchemaObject = {
        type: 'object',
        description: `${deviceApiDefinition(api).summary} (\`${api}\`), on every device of the job`,
        properties: Object.fromEntries(
          Object.entries(properties).map(([field, schema]): [string, SchemaObject | ReferenceObject] => {
            if (field === 'api') return [field, { ...described(schema), enum: [api] }];
            if (field === 'params') return [field, { ...params, description: described(schema).description }];
            return [field, schema];
          }),
        ),
        required: [...(dto.required ?? []), ...(params.required ? ['params'] : [])],
        additionalProperties: false,
        oneOf: [{ required: ['devices'] }, { required: ['selector'] }],
      };
      return [startJobBranchName(api), branch];
    }),
  );
  const body: SchemaObject = {
    description: 'One device api call for many devices: `api` chooses the branch, and so what `params` holds.',
    oneOf: Object.keys(branches).map(ref),
    discriminator: {
      propertyName: 'api',
      mapping: Object.fromEntries(DEVICE_APIS.map((api) => [api, ref(startJobBranchName(api)).$ref])),
    },
  };
  return { body, branches };
}

/**
 * Puts the exact job body into the document: the per-api branches beside StartJobRequestDto, which
 * becomes their oneOf, and a selector with at least one criterion (the handler's rule; each
 * criterion is `true` or a tag, so one property is one criterion).
 */
export function describeStartJobBody(document: OpenAPIObject): void {
  const schemas = document.components?.schemas;
  const dto = schemas?.[START_JOB_SCHEMA];
  if (!schemas || !dto || '$ref' in dto) return;
  const { body, branches } = startJobRequestSchemas(dto);
  Object.assign(schemas, branches, { [START_JOB_SCHEMA]: body });
  const selector = schemas[SELECTOR_SCHEMA];
  if (selector && !('$ref' in selector)) selector.minProperties = 1;
}
