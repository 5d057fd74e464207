import { Controller } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { InvokeDeviceResult } from '@app/common/device-command';
import { DEVICE_READ_APIS, DeviceReadApi } from '@app/device-protocol';
import { AuthenticatedUser } from '../../../auth/jwt-auth.guard';
import { DeviceApiCall, DeviceApiController, DeviceControlRoute, addDeviceApiRoutes } from '../../device-control.http';
import { ReadDeviceQuery } from './read-device.query';

/** `GET /devices/{name}/...`: one route per read api of the device API table. */
@DeviceControlRoute()
@Controller('devices/:name')
export class ReadDeviceHttpController implements DeviceApiController<DeviceReadApi> {
  constructor(private readonly queryBus: QueryBus) {}

  dispatch(user: AuthenticatedUser, { api, name, params, timeoutMs, commandId }: DeviceApiCall<DeviceReadApi>) {
    return this.queryBus.execute<ReadDeviceQuery, InvokeDeviceResult>(
      new ReadDeviceQuery(user.userId, name, api, params, timeoutMs, commandId),
    );
  }
}

addDeviceApiRoutes(ReadDeviceHttpController, DEVICE_READ_APIS);
