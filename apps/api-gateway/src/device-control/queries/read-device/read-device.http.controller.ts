import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { AuthenticatedUser, CurrentUser } from '../../../auth/jwt-auth.guard';
import { DeviceNameParamDto } from '../../../devices/device-name.param.dto';
import { DeviceReadApi } from '../../device-apis';
import { DeviceControlRoute, deviceReply, startCommand } from '../../device-control.http';
import {
  DeviceGpioParamsDto,
  DeviceTimeoutQueryDto,
  GpioReplyDto,
  StatusReplyDto,
  ValueReplyDto,
} from '../../device-control.dto';
import { ReadDeviceQuery } from './read-device.query';

@DeviceControlRoute()
@Controller('devices/:name')
export class ReadDeviceHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  private async read(
    user: AuthenticatedUser,
    name: string,
    api: DeviceReadApi,
    params: Record<string, unknown>,
    query: DeviceTimeoutQueryDto,
    response: Response,
  ): Promise<Record<string, unknown>> {
    const result = await this.queryBus.execute(
      new ReadDeviceQuery(user.userId, name, api, params, query.timeout ?? 5000, startCommand(response)),
    );
    return deviceReply(result, response);
  }

  /** Whether the device runs (`get_status`). */
  @Get('status')
  @ApiOkResponse({ type: StatusReplyDto })
  status(
    @CurrentUser() u: AuthenticatedUser,
    @Param() p: DeviceNameParamDto,
    @Query() q: DeviceTimeoutQueryDto,
    @Res({ passthrough: true }) r: Response,
  ) {
    return this.read(u, p.name, 'get_status', {}, q, r);
  }

  /** The level of one GPIO pin (`get_gpio`). */
  @Get('gpio/:number')
  @ApiOkResponse({ type: GpioReplyDto })
  gpio(
    @CurrentUser() u: AuthenticatedUser,
    @Param() p: DeviceGpioParamsDto,
    @Query() q: DeviceTimeoutQueryDto,
    @Res({ passthrough: true }) r: Response,
  ) {
    return this.read(u, p.name, 'get_gpio', { number: p.number }, q, r);
  }

  /** The device clock, in epoch seconds (`get_rtc`). */
  @Get('rtc')
  @ApiOkResponse({ type: ValueReplyDto })
  rtc(
    @CurrentUser() u: AuthenticatedUser,
    @Param() p: DeviceNameParamDto,
    @Query() q: DeviceTimeoutQueryDto,
    @Res({ passthrough: true }) r: Response,
  ) {
    return this.read(u, p.name, 'get_rtc', {}, q, r);
  }

  /** The MAC address (`get_mac`). */
  @Get('mac')
  @ApiOkResponse({ type: ValueReplyDto })
  mac(
    @CurrentUser() u: AuthenticatedUser,
    @Param() p: DeviceNameParamDto,
    @Query() q: DeviceTimeoutQueryDto,
    @Res({ passthrough: true }) r: Response,
  ) {
    return this.read(u, p.name, 'get_mac', {}, q, r);
  }

  /** The IPv4 address (`get_ip`). */
  @Get('ip')
  @ApiOkResponse({ type: ValueReplyDto })
  ip(
    @CurrentUser() u: AuthenticatedUser,
    @Param() p: DeviceNameParamDto,
    @Query() q: DeviceTimeoutQueryDto,
    @Res({ passthrough: true }) r: Response,
  ) {
    return this.read(u, p.name, 'get_ip', {}, q, r);
  }

  /** The subnet mask (`get_subnet`). */
  @Get('subnet')
  @ApiOkResponse({ type: ValueReplyDto })
  subnet(
    @CurrentUser() u: AuthenticatedUser,
    @Param() p: DeviceNameParamDto,
    @Query() q: DeviceTimeoutQueryDto,
    @Res({ passthrough: true }) r: Response,
  ) {
    return this.read(u, p.name, 'get_subnet', {}, q, r);
  }

  /** The default gateway (`get_gateway`). */
  @Get('gateway')
  @ApiOkResponse({ type: ValueReplyDto })
  gateway(
    @CurrentUser() u: AuthenticatedUser,
    @Param() p: DeviceNameParamDto,
    @Query() q: DeviceTimeoutQueryDto,
    @Res({ passthrough: true }) r: Response,
  ) {
    return this.read(u, p.name, 'get_gateway', {}, q, r);
  }
}
