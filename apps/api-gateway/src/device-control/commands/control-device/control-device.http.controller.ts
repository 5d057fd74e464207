import { Body, Controller, HttpCode, HttpStatus, Param, Post, Put, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { Response } from 'express';
import { AuthenticatedUser, CurrentUser } from '../../../auth/jwt-auth.guard';
import { DeviceNameParamDto } from '../../../devices/device-name.param.dto';
import { DeviceWriteApi } from '../../device-apis';
import { DeviceCall, DeviceControlRoute, deviceReply } from '../../device-control.http';
import {
  DeviceGpioParamsDto,
  DeviceTimeoutQueryDto,
  GpioReplyDto,
  SetGpioRequestDto,
  SetMacRequestDto,
  SetRtcRequestDto,
  SetStatusRequestDto,
  StatusReplyDto,
  UartReplyDto,
  RtcReplyDto,
  AddressReplyDto,
  WriteUartRequestDto,
} from '../../device-control.dto';
import { ControlDeviceCommand } from './control-device.command';

@DeviceControlRoute()
@Controller('devices/:name')
export class ControlDeviceHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  private async control(
    user: AuthenticatedUser,
    name: string,
    api: DeviceWriteApi,
    params: Record<string, unknown>,
    query: DeviceTimeoutQueryDto,
    response: Response,
  ): Promise<Record<string, unknown>> {
    const result = await this.commandBus.execute(
      new ControlDeviceCommand(user.userId, name, api, params, query.timeout ?? 5000),
    );
    return deviceReply(result, response);
  }

  /** Restart the device (`set_status`); it answers `restarting`, then reconnects. */
  @Put('status')
  @DeviceCall(StatusReplyDto, { body: true })
  setStatus(
    @CurrentUser() u: AuthenticatedUser,
    @Param() p: DeviceNameParamDto,
    @Body() b: SetStatusRequestDto,
    @Query() q: DeviceTimeoutQueryDto,
    @Res({ passthrough: true }) r: Response,
  ) {
    return this.control(u, p.name, 'set_status', { status: b.status }, q, r);
  }

  /** Drive one GPIO pin low (0) or high (1) (`set_gpio`). */
  @Put('gpio/:number')
  @DeviceCall(GpioReplyDto, { body: true })
  setGpio(
    @CurrentUser() u: AuthenticatedUser,
    @Param() p: DeviceGpioParamsDto,
    @Body() b: SetGpioRequestDto,
    @Query() q: DeviceTimeoutQueryDto,
    @Res({ passthrough: true }) r: Response,
  ) {
    return this.control(u, p.name, 'set_gpio', { number: p.number, value: b.value }, q, r);
  }

  /** Set the device clock, in epoch seconds (`set_rtc`). */
  @Put('rtc')
  @DeviceCall(RtcReplyDto, { body: true })
  setRtc(
    @CurrentUser() u: AuthenticatedUser,
    @Param() p: DeviceNameParamDto,
    @Body() b: SetRtcRequestDto,
    @Query() q: DeviceTimeoutQueryDto,
    @Res({ passthrough: true }) r: Response,
  ) {
    return this.control(u, p.name, 'set_rtc', { value: b.value }, q, r);
  }

  /** Set the MAC address (`set_mac`). */
  @Put('mac')
  @DeviceCall(AddressReplyDto, { body: true })
  setMac(
    @CurrentUser() u: AuthenticatedUser,
    @Param() p: DeviceNameParamDto,
    @Body() b: SetMacRequestDto,
    @Query() q: DeviceTimeoutQueryDto,
    @Res({ passthrough: true }) r: Response,
  ) {
    return this.control(u, p.name, 'set_mac', { value: b.value }, q, r);
  }

  /** Write text to the device's UART (`write_uart`); the device echoes it. */
  @Post('uart')
  @HttpCode(HttpStatus.OK)
  @DeviceCall(UartReplyDto, { body: true })
  writeUart(
    @CurrentUser() u: AuthenticatedUser,
    @Param() p: DeviceNameParamDto,
    @Body() b: WriteUartRequestDto,
    @Query() q: DeviceTimeoutQueryDto,
    @Res({ passthrough: true }) r: Response,
  ) {
    return this.control(u, p.name, 'write_uart', { data: b.data }, q, r);
  }
}
