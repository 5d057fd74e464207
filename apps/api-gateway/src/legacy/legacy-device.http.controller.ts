import { Body, Controller, Get, HttpStatus, Post, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { DomainError, TIMEOUT_MS } from '@app/common';
import { DeviceApi } from '@app/device-protocol';
import { AuthenticateLegacySecretQuery } from '../auth/queries/authenticate-legacy-secret/authenticate-legacy-secret.query';
import { ControlDeviceCommand } from '../device-control/commands/control-device/control-device.command';
import { isDeviceReadApi } from '../device-control/device-apis';
import { ReadDeviceQuery } from '../device-control/queries/read-device/read-device.query';
import { LegacyBody, legacyBody, text } from './legacy-request';

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
 * `/devices/:name/...`.
 */
@ApiExcludeController()
@Controller()
export class LegacyDeviceHttpController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Get('get_status') getStatus(@Body() b: unknown, @Res() r: Response) {
    return this.invoke('get_status', b, r);
  }
  @Post('set_status') setStatus(@Body() b: unknown, @Res() r: Response) {
    return this.invoke('set_status', b, r);
  }
  @Get('get_gpio') getGpio(@Body() b: unknown, @Res() r: Response) {
    return this.invoke('get_gpio', b, r);
  }
  @Post('set_gpio') setGpio(@Body() b: unknown, @Res() r: Response) {
    return this.invoke('set_gpio', b, r);
  }
  @Get('get_rtc') getRtc(@Body() b: unknown, @Res() r: Response) {
    return this.invoke('get_rtc', b, r);
  }
  @Post('set_rtc') setRtc(@Body() b: unknown, @Res() r: Response) {
    return this.invoke('set_rtc', b, r);
  }
  @Get('get_mac') getMac(@Body() b: unknown, @Res() r: Response) {
    return this.invoke('get_mac', b, r);
  }
  @Post('set_mac') setMac(@Body() b: unknown, @Res() r: Response) {
    return this.invoke('set_mac', b, r);
  }
  @Get('get_ip') getIp(@Body() b: unknown, @Res() r: Response) {
    return this.invoke('get_ip', b, r);
  }
  @Get('get_subnet') getSubnet(@Body() b: unknown, @Res() r: Response) {
    return this.invoke('get_subnet', b, r);
  }
  @Get('get_gateway') getGateway(@Body() b: unknown, @Res() r: Response) {
    return this.invoke('get_gateway', b, r);
  }
  @Post('write_uart') writeUart(@Body() b: unknown, @Res() r: Response) {
    return this.invoke('write_uart', b, r);
  }

  private async invoke(api: DeviceApi, raw: unknown, response: Response): Promise<void> {
    const body = legacyBody(raw);
    try {
      const user = await this.queryBus.execute(
        new AuthenticateLegacySecretQuery(text(body, 'username'), text(body, 'secret')),
      );
      const name = text(body, 'devicename');
      const params = deviceParams(body);
      const result = isDeviceReadApi(api)
        ? await this.queryBus.execute(new ReadDeviceQuery(user.userId, name, api, params, TIMEOUT_MS.default))
        : await this.commandBus.execute(new ControlDeviceCommand(user.userId, name, api, params, TIMEOUT_MS.default));
      response.status(HttpStatus.OK).json(result.reply);
    } catch (error) {
      const answer = error instanceof DomainError ? ERROR_TEXT[error.code] : undefined;
      if (!answer) throw error;
      response.status(answer[0]).type('text/plain').send(answer[1]);
    }
  }
}

function deviceParams(body: LegacyBody): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([key]) => !ADDRESSING.has(key)));
}
