import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type {
  LinkObject,
  OperationObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { describeStartJobBody } from '../jobs/commands/start-job/start-job.openapi';
import { errorSchema } from './api-errors';
import { toOpenApi31 } from './openapi-31';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

function operations(document: OpenAPIObject): { path: string; method: string; operation: OperationObject }[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({ path, method, operation: item[method]! })),
  );
}

function isReference(value: object): value is ReferenceObject {
  return '$ref' in value;
}

/**
 * The validation pipe refuses unknown properties (forbidNonWhitelisted), so every
 * request body the pipe checks is a closed object, and so is every DTO nested in
 * one (ValidateNested applies the same rule): the document says so.
 */
function closeRequestBodies(document: OpenAPIObject): void {
  const schemas = document.components?.schemas ?? {};
  const closed = new Set<string>();
  const close = (schema: SchemaObject | ReferenceObject | undefined): void => {
    if (!schema || !isReference(schema)) return; // inline bodies (legacy routes) take any field
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = schemas[name];
    if (closed.has(name) || !target || isReference(target)) return;
    closed.add(name);
    target.additionalProperties = false;
    for (const property of Object.values(target.properties ?? {}))
      close(isReference(property) ? property : property.items);
  };
  for (const { operation } of operations(document)) {
    const body = operation.requestBody;
    if (body && !isReference(body)) close(body.content['application/json']?.schema);
  }
}

/**
 * OpenAPI links: the device a registration returns, and each device a listing
 * returns, name the `{name}` of every route that takes one. A client (or a
 * stateful test) follows them from POST /devices and GET /devices.
 */
function linkDeviceRoutes(document: OpenAPIObject): void {
  const byName = operations(document).filter(({ path }) => path.startsWith('/devices/{name}'));
  const links = (nameAt: string): Record<string, LinkObject> =>
    Object.fromEntries(
      byName.map(({ path, method, operation }) => [
        operation.operationId!,
        {
          operationId: operation.operationId,
          parameters: { name: nameAt },
          description: `${method.toUpperCase()} ${path} for this device`,
        },
      ]),
    );
  const registered = document.paths['/devices']?.post?.responses['201'] as ResponseObject | undefined;
  if (registered) registered.links = links('$response.body#/name');
  const listed = document.paths['/devices']?.get?.responses['200'] as ResponseObject | undefined;
  if (listed) listed.links = links('$response.body#/0/name');
}

/** The gateway's OpenAPI document, built from its controllers and DTOs. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('IoTCloud API')
      .setDescription(
        'Secure remote access and control of FT900-class devices. Sign up, log in, then send the access token ' +
          'as `Authorization: Bearer <token>` (the Authorize button). Every error has the shape ' +
          '`{statusCode, code, message}` with a stable `code`; each response below lists the codes it can carry. ' +
          'A documented path called with a method it does not take answers 405 `METHOD_NOT_ALLOWED` with an ' +
          "`Allow` header. The `legacy` routes are libpyiotcloud's, kept for migrating clients (deprecated).",
      )
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  closeRequestBodies(document);
  linkDeviceRoutes(document);
  describeStartJobBody(document);
  document.components = {
    ...document.components,
    responses: {
      ...document.components?.responses,
      MethodNotAllowed: {
        description: 'The path does not take this method; `Allow` lists the methods it takes',
        headers: { Allow: { schema: { type: 'string' } } },
        content: { 'application/json': { schema: errorSchema(405, ['METHOD_NOT_ALLOWED']) } },
      },
    },
  };
  return toOpenApi31(document);
}
