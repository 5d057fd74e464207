import {
  ExecutionContext,
  Get,
  HttpCode,
  HttpStatus,
  Post,
  Put,
  Query,
  Res,
  Type,
  UseGuards,
  applyDecorators,
  createParamDecorator,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sortableId } from '@app/common';
import { InvokeDeviceResult } from '@app/common/device-command';
import { validationFailed } from '@app/common/nest';
import {
  DEVICE_TIMEOUT_MS,
  DeviceApi,
  FieldChecks,
  InvalidDeviceRequestError,
  defaultTimeoutMs,
  deviceApiDefinition,
  fieldsJsonSchema,
  parseDeviceRequest,
  restPathFields,
} from '@app/device-protocol';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../auth/jwt-auth.guard';
import { DEVICE_NAME_PATTERN, DEVICE_NAME_RULE } from '../devices/domain/device';
import { AUTH_ERRORS, ApiErrors, BODY_ERRORS, ErrorCodes } from '../infrastructure/api-errors';
import { DeviceTimeoutQueryDto } from './device-control.dto';

/** What any call to a device can answer besides its reply. */
const DEVICE_ERRORS: ErrorCodes = {
  400: ['VALIDATION_FAILED', 'INVALID_DEVICE_REQUEST'],
  404: ['DEVICE_NOT_FOUND'],
  429: ['DEVICE_BUSY'],
  502: ['DEVICE_BAD_REPLY'],
  // DATABASE_UNAVAILABLE: the device is not yet cached and the database is out of reach.
  503: ['DEVICE_OFFLINE', 'DEVICE_COMMAND_UNAVAILABLE', 'DATABASE_UNAVAILABLE'],
  504: ['DEVICE_TIMEOUT'],
};

/** Auth and tag every device-control controller shares. */
export function DeviceControlRoute(): ClassDecorator {
  return applyDecorators(ApiTags('device control'), ApiBearerAuth(), UseGuards(JwtAuthGuard));
}

export const COMMAND_ID_HEADER = 'X-Command-Id';

/**
 * OpenAPI: the X-Command-Id of a device command's answer (every answer of a REST
 * route after the request is read, and every answer of a legacy device route).
 */
export const COMMAND_ID_RESPONSE_HEADER = {
  [COMMAND_ID_HEADER]: {
    description:
      "This command's id, time-ordered; the device's history keeps it under this id (`GET /devices/{name}/commands/{id}`)",
    schema: { type: 'string', pattern: '^[0-9a-f]{24}$' },
    required: true,
  },
};

/**
 * A new device command's id, sent at once as X-Command-Id (so errors carry it too).
 * Time-ordered, so a device's history lists by id.
 */
export function startCommand(response: FastifyReply): string {
  const commandId = sortableId();
  void response.header(COMMAND_ID_HEADER, commandId);
  return commandId;
}

/** One call of a device api, read from a REST request and validated against the api's schema. */
export interface DeviceApiCall<A extends DeviceApi = DeviceApi> {
  api: A;
  /** The device's name (`/devices/{name}/...`). */
  name: string;
  /** The device request: the api's fields from the path and the JSON body. */
  params: Record<string, unknown>;
  timeoutMs: number;
  /** This command's id (X-Command-Id), under which the history records it. */
  commandId: string;
}

/** A controller whose routes are generated from the device API table: it only dispatches. */
export interface DeviceApiController<A extends DeviceApi> {
  dispatch(user: AuthenticatedUser, call: DeviceApiCall<A>): Promise<InvokeDeviceResult>;
}

/**
 * Adds one route per api to a controller mounted at `devices/:name`, all from
 * the device API table: method and path, the path and body fields with their
 * validation (400 VALIDATION_FAILED, like every DTO), the default timeout and
 * the OpenAPI description. Each route hands a DeviceApiCall to `dispatch`.
 */
export function addDeviceApiRoutes<A extends DeviceApi>(
  controller: Type<DeviceApiController<A>>,
  apis: readonly A[],
): void {
  const prototype = controller.prototype as DeviceApiController<A>;
  for (const api of apis) {
    const route = async function (
      this: DeviceApiController<A>,
      user: AuthenticatedUser,
      request: Omit<DeviceApiCall<A>, 'api' | 'timeoutMs' | 'commandId'>,
      query: DeviceTimeoutQueryDto,
      response: FastifyReply,
    ): Promise<Record<string, unknown>> {
      const timeoutMs = query.timeout ?? defaultTimeoutMs(api);
      const commandId = startCommand(response);
      const result = await this.dispatch(user, { api, ...request, timeoutMs, commandId });
      return deviceReply(result, response);
    };
    // Named after the api: Swagger makes the operationId from it, and OpenAPI links need them distinct.
    Object.defineProperty(route, 'name', { value: api });
    Object.defineProperty(prototype, api, { value: route, writable: true, configurable: true });
    CurrentUser()(prototype, api, 0);
    DeviceApiRequest(api)(prototype, api, 1);
    Query()(prototype, api, 2);
    Res({ passthrough: true })(prototype, api, 3);
    // What TypeScript would emit for a hand-written method: the global ValidationPipe checks `timeout` by it.
    Reflect.defineMetadata('design:paramtypes', [Object, Object, DeviceTimeoutQueryDto, Object], prototype, api);
    const descriptor = Object.getOwnPropertyDescriptor(prototype, api) as PropertyDescriptor;
    applyDecorators(...routeDecorators(api))(prototype, api, descriptor);
  }
}

/** The device's reply is the body; its round trip is told in a Server-Timing header. */
export function deviceReply(result: InvokeDeviceResult, response: FastifyReply): Record<string, unknown> {
  void response.header('Server-Timing', `device;dur=${result.deviceLatencyMs.toFixed(2)}`);
  return result.reply;
}

const VERB = { GET: Get, PUT: Put, POST: Post } as const;

function routeDecorators(api: DeviceApi): MethodDecorator[] {
  const { summary, rest, request, reply } = deviceApiDefinition(api);
  const pathFields = restPathFields(api);
  const bodyFields = bodyChecks(api);
  // Unknown body fields are refused (DeviceApiRequest), so the body is a closed object.
  const hasBody = Object.keys(bodyFields).length > 0;
  return [
    VERB[rest.method](rest.path),
    ...(rest.method === 'POST' ? [HttpCode(HttpStatus.OK)] : []),
    ApiOperation({ summary: `${summary} (\`${api}\`)` }),
    ApiParam({
      name: 'name',
      description: `The device's name: ${DEVICE_NAME_RULE}`,
      schema: { type: 'string', pattern: DEVICE_NAME_PATTERN.source },
    }),
    ...pathFields.map((field) => ApiParam({ name: field, schema: fieldsJsonSchema(request).properties[field] })),
    // The generated route's query is not seen by the Swagger plugin: stated here, from the same bounds.
    ApiQuery({
      name: 'timeout',
      required: false,
      description: 'How long to wait for the device, in ms',
      schema: {
        type: 'integer',
        minimum: DEVICE_TIMEOUT_MS.min,
        maximum: DEVICE_TIMEOUT_MS.max,
        default: defaultTimeoutMs(api),
      },
    }),
    ...(hasBody ? [ApiBody({ schema: { ...fieldsJsonSchema(bodyFields), additionalProperties: false } })] : []),
    ApiOkResponse({
      description: "The device's reply",
      schema: fieldsJsonSchema(reply),
      headers: {
        ...COMMAND_ID_RESPONSE_HEADER,
        'Server-Timing': { description: "The device's round trip: `device;dur=<ms>`", schema: { type: 'string' } },
      },
    }),
    ApiErrors(AUTH_ERRORS, DEVICE_ERRORS, hasBody ? BODY_ERRORS : {}),
  ];
}

/** The request fields an api takes from the JSON body (those its REST path does not carry). */
function bodyChecks(api: DeviceApi): FieldChecks {
  const inPath = new Set(restPathFields(api));
  return Object.fromEntries(Object.entries(deviceApiDefinition(api).request).filter(([field]) => !inPath.has(field)));
}

/**
 * The device name and the api's request, from the path and the JSON body,
 * checked by the api's own schema. Path segments are text: a field whose schema
 * is an integer is read as a decimal number first. Unknown body fields are
 * refused, as the global ValidationPipe refuses them for every DTO.
 */
const DeviceApiRequest = createParamDecorator(
  (api: DeviceApi, context: ExecutionContext): Omit<DeviceApiCall, 'api' | 'timeoutMs' | 'commandId'> => {
    const http = context.switchToHttp().getRequest<FastifyRequest<{ Params: Record<string, string> }>>();
    const path = http.params;
    if (!DEVICE_NAME_PATTERN.test(path.name ?? '')) {
      throw validationFailed([{ field: 'name', problems: [`name must be ${DEVICE_NAME_RULE}`] }]);
    }
    const body: unknown = http.body ?? {};
    const bodyFields = Object.keys(bodyChecks(api));
    if (bodyFields.length > 0 && (typeof body !== 'object' || body === null || Array.isArray(body))) {
      throw validationFailed([{ field: 'body', problems: ['body must be a JSON object'] }]);
    }
    const given = bodyFields.length > 0 ? (body as Record<string, unknown>) : {};
    const unknown = Object.keys(given).filter((field) => !bodyFields.includes(field));
    if (unknown.length > 0) {
      throw validationFailed(unknown.map((field) => ({ field, problems: [`property ${field} should not exist`] })));
    }
    const fromPath = Object.fromEntries(
      restPathFields(api).map((field) => [field, pathValue(api, field, path[field] ?? '')]),
    );
    try {
      return { name: path.name, params: parseDeviceRequest(api, { ...given, ...fromPath }) };
    } catch (error) {
      if (!(error instanceof InvalidDeviceRequestError)) throw error;
      const field = error.details.field ?? 'body';
      throw validationFailed([{ field, problems: [`${field} ${error.details.reason}`] }]);
    }
  },
);

function pathValue(api: DeviceApi, field: string, text: string): unknown {
  return deviceApiDefinition(api).request[field].schema.type === 'integer' && /^\d{1,10}$/.test(text)
    ? Number(text)
    : text;
}
