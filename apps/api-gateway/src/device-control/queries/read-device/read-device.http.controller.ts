import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { Response } from 'express';
import { AuthenticatedUser, CurrentUser } from '../../../auth/jwt-auth.guard';
import { DeviceNameParamDto } from '../../../devices/device-name.param.dto';
import { DeviceReadApi } from '../../device-apis';
import { DeviceCall, DeviceControlRoute, deviceReply } from '../../device-control.http';
import {
  DeviceGpioParamsDto,
  DeviceTimeoutQueryDto,
  GpioReplyDto,
  StatusReplyDto,
  RtcReplyDto,
  AddressReplyDto,
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
      new ReadDeviceQuery(user.userId, name, api, params, query.timeout ?? 5000),
    );
    return deviceReply(result, response);
  }

  /** Whether the device runs (`get_status`). */
  @Get('status')
  @DeviceCall(StatusReplyDto)
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
  @DeviceCall(GpioReplyDto)
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
  @DeviceCall(RtcReplyDto)
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
  @DeviceCall(AddressReplyDto)
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
  @DeviceCall(AddressReplyDto)
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
  @DeviceCall(AddressReplyDto)
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
  @DeviceCall(AddressReplyDto)
  gateway(
    @CurrentUser() u: AuthenticatedUser,
    @Param() p: DeviceNameParamDto,
    @Query() q: DeviceTimeoutQueryDto,
    @Res({ passthrough: true }) r: Response,
  ) {
    return this.read(u, p.name, 'get_gateway', {}, q, r);
  }
}
