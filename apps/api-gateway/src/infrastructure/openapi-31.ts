import type { OpenAPIObject } from '@nestjs/swagger';

/** The OpenAPI version the gateway's document is written in. */
export const OPENAPI_VERSION = '3.1.0';

/**
 * Turns the Swagger module's OpenAPI 3.0 output into OpenAPI 3.1, whose schemas are JSON Schema
 * (2020-12): the document can then state what 3.0 cannot, such as `propertyNames` (the rule of tag
 * keys). The one 3.0 keyword the module emits that 3.1 dropped is `nullable`: a nullable schema
 * becomes a type list with `"null"` (and `null` joins its enum, if it has one).
 */
export function toOpenApi31(document: OpenAPIObject): OpenAPIObject {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const schema = node as Record<string, unknown>;
    if ('nullable' in schema) {
      const nullable = schema.nullable === true;
      delete schema.nullable;
      if (nullable) {
        if (typeof schema.type !== 'string') {
          throw new Error(
            `a nullable schema without one type cannot be written in 3.1 here: ${JSON.stringify(schema)}`,
          );
        }
        schema.type = [schema.type, 'null'];
        if (Array.isArray(schema.enum)) schema.enum = [...(schema.enum as unknown[]), null];
      }
    }
    Object.values(schema).forEach(visit);
  };
  visit(document);
  document.openapi = OPENAPI_VERSION;
  return document;
}
