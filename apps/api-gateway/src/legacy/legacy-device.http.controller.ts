import { Body, Controller, Get, HttpStatus, Post, Res, applyDecorators } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { FastifyReply } from 'fastify';
import { DomainError } from '@app/common';
import { DEVICE_APIS, DeviceApi, defaultTimeoutMs, deviceApiDefinition, isDeviceReadApi } from '@app/device-protocol';
import { AuthenticateLegacySecretQuery } from '../auth/queries/authenticate-legacy-secret/authenticate-legacy-secret.query';
import { ControlDeviceCommand } from '../device-control/commands/control-device/control-device.command';
import { startCommand } from '../device-control/device-control.http';
import { ReadDeviceQuery } from '../device-control/queries/read-device/read-device.query';
import { LegacyBody, legacyBody, text } from './legacy-request';
import { LegacyDeviceRoute } from './legacy.openapi';

/** The short text answers of libpyiotcloud's device routes, by our error code. */
const ERROR_TEXT: Record<string, [number, string]> = {
  INVALID_LEGACY_SECRET: [400, 'Device secret is not valid!'],
  DEVICE_NOT_FOUND: [400, 'Device is not registered!'],
  DEVICE_OFFLINE: [400, 'Device is not running!'],
  DEVICE_TIMEOUT: [400, 'Device is not running!'],
  DEVICE_COMMAND_UNAVAILABLE: [400, 'Device is not running!'],
  DEVICE_BAD_REPLY: [400, 'Device reply is not valid!'],
  INVALID_DEVICE_REQUEST: [400, 'Device request is not valid!'],
  DEVICE_BUSY: [429, 'Device is busy!'],
};

/** Fields of a legacy body that address the call; the rest is the device request. */
const ADDRESSING = new Set(['username', 'secret', 'devicename']);

/**
 * libpyiotcloud's device routes (`GET /get_gpio`, `POST /set_gpio`, …): the
 * body carries username, secret and devicename, the rest goes to the device,
 * and the device's JSON reply is the answer. Same queries and commands as
 * `/devices/:name/...`. One route per api with a legacy route in the device API table.
 */
@ApiTags('legacy')
@Controller()
export class LegacyDeviceHttpController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  async invoke(api: DeviceApi, raw: unknown, response: FastifyReply): Promise<void> {
    const body = legacyBody(raw);
    const commandId = startCommand(response);
    try {
      const user = await this.queryBus.execute(
        new AuthenticateLegacySecretQuery(text(body, 'username'), text(body, 'secret')),
      );
      const name = text(body, 'devicename');
      const params = deviceParams(body);
      const result = isDeviceReadApi(api)
        ? await this.queryBus.execute(
            new ReadDeviceQuery(user.userId, name, api, params, defaultTimeoutMs(api), commandId),
          )
        : await this.commandBus.execute(
            new ControlDeviceCommand(user.userId, name, api, params, defaultTimeoutMs(api), commandId),
          );
      void response.code(HttpStatus.OK).send(result.reply);
    } catch (error) {
      const answer = error instanceof DomainError ? ERROR_TEXT[error.code] : undefined;
      if (!answer) throw error;
      void response.code(answer[0]).type('text/plain; charset=utf-8').send(answer[1]);
    }
  }
}

function deviceParams(body: LegacyBody): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([key]) => !ADDRESSING.has(key)));
}

const VERB = { GET: Get, POST: Post } as const;

for (const api of DEVICE_APIS) {
  const legacy = deviceApiDefinition(api).legacy;
  if (!legacy) continue;
  const prototype = LegacyDeviceHttpController.prototype;
  const route = function (this: LegacyDeviceHttpController, body: unknown, response: FastifyReply) {
    return this.invoke(api, body, response);
  };
  // Named after the api: Swagger makes the operationId from it, and operationIds must be distinct.
  Object.defineProperty(route, 'name', { value: api });
  Object.defineProperty(prototype, api, { value: route, writable: true, configurable: true });
  Body()(prototype, api, 0);
  Res()(prototype, api, 1);
  Reflect.defineMetadata('design:paramtypes', [Object, Object], prototype, api);
  applyDecorators(VERB[legacy.method](legacy.path), LegacyDeviceRoute(api, legacyParams(api)))(
    prototype,
    api,
    Object.getOwnPropertyDescriptor(prototype, api) as PropertyDescriptor,
  );
}

/** The api's own body fields as the legacy routes document them: type and allowed values only. */
function legacyParams(api: DeviceApi): Record<string, SchemaObject> {
  return Object.fromEntries(
    Object.entries(deviceApiDefinition(api).request).map(([field, { schema }]) => [
      field,
      { type: schema.type, ...(schema.enum ? { enum: [...schema.enum] } : {}) },
    ]),
  );
}
