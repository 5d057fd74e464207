import { DeviceApi, FieldChecks, deviceApiDefinition } from './apis';
import { FieldSchema } from './fields';

/** One field's JSON Schema, with its own (mutable) copy of any enum. */
export type FieldJsonSchema = Omit<FieldSchema, 'enum'> & { enum?: (string | number)[] };

/** The JSON Schema (OpenAPI 3 subset) of a set of fields: every field required. */
export interface FieldsJsonSchema {
  type: 'object';
  /** Every field; left out when there is none (OpenAPI 3.0 wants a non-empty list). */
  required?: string[];
  properties: Record<string, FieldJsonSchema>;
  /** false when unknown fields are refused. */
  additionalProperties?: false;
}

/** What the checks accept, as a JSON Schema: every field required, each with its check's schema. */
export function fieldsJsonSchema(checks: FieldChecks): FieldsJsonSchema {
  const fields = Object.keys(checks);
  return {
    type: 'object',
    ...(fields.length > 0 ? { required: fields } : {}),
    properties: Object.fromEntries(
      Object.entries(checks).map(([field, check]) => {
        const { enum: values, ...rest } = check.schema;
        return [field, values ? { ...rest, enum: [...values] } : rest];
      }),
    ),
  };
}

/**
 * The JSON Schema of an api's whole request (every field, none other), as
 * `parseDeviceRequest(api, payload, { exact: true })` accepts it: the schema and
 * the check are built from the same table entry, so they cannot disagree.
 */
export function deviceRequestJsonSchema(api: DeviceApi): FieldsJsonSchema {
  return { ...fieldsJsonSchema(deviceApiDefinition(api).request), additionalProperties: false };
}
