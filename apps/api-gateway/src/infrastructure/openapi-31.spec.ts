import type { OpenAPIObject } from '@nestjs/swagger';
import { OPENAPI_VERSION, toOpenApi31 } from './openapi-31';

function document(schemas: Record<string, unknown>): OpenAPIObject {
  return { openapi: '3.0.0', info: { title: 't', version: '1' }, paths: {}, components: { schemas } } as OpenAPIObject;
}

describe('toOpenApi31', () => {
  it('writes nullable as a type list with "null", and adds null to an enum, at any depth', () => {
    const converted = toOpenApi31(
      document({
        Device: {
          type: 'object',
          properties: {
            transport: { type: 'string', nullable: true, enum: ['mqtt', 'amqp'] },
            deviceMs: { type: 'number', nullable: true },
            page: { type: 'array', items: { type: 'object', properties: { at: { type: 'string', nullable: true } } } },
            name: { type: 'string', nullable: false },
          },
        },
      }),
    );
    expect(converted.openapi).toBe(OPENAPI_VERSION);
    expect(converted.components?.schemas?.Device).toEqual({
      type: 'object',
      properties: {
        transport: { type: ['string', 'null'], enum: ['mqtt', 'amqp', null] },
        deviceMs: { type: ['number', 'null'] },
        page: { type: 'array', items: { type: 'object', properties: { at: { type: ['string', 'null'] } } } },
        name: { type: 'string' },
      },
    });
  });

  it('refuses a nullable schema it cannot write, rather than dropping the null', () => {
    expect(() => toOpenApi31(document({ X: { nullable: true, allOf: [{ $ref: '#/components/schemas/Y' }] } }))).toThrow(
      /nullable schema without one type/,
    );
  });
});
