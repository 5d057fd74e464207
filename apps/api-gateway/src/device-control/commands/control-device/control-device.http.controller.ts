import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { InvokeDeviceResult } from '@app/common/device-command';
import { DEVICE_WRITE_APIS, DeviceWriteApi } from '@app/device-protocol';
import { AuthenticatedUser } from '../../../auth/jwt-auth.guard';
import { DeviceApiCall, DeviceApiController, DeviceControlRoute, addDeviceApiRoutes } from '../../device-control.http';
import { ControlDeviceCommand } from './control-device.command';

/** `PUT`/`POST /devices/{name}/...`: one route per write api of the device API table. */
@DeviceControlRoute()
@Controller('devices/:name')
export class ControlDeviceHttpController implements DeviceApiController<DeviceWriteApi> {
  constructor(private readonly commandBus: CommandBus) {}

  dispatch(user: AuthenticatedUser, { api, name, params, timeoutMs, commandId }: DeviceApiCall<DeviceWriteApi>) {
    return this.commandBus.execute<ControlDeviceCommand, InvokeDeviceResult>(
      new ControlDeviceCommand(user.userId, name, api, params, timeoutMs, commandId),
    );
  }
}

addDeviceApiRoutes(ControlDeviceHttpController, DEVICE_WRITE_APIS);
