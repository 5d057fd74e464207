import { Query } from '@nestjs/cqrs';
import { DeviceView } from '../../domain/device-view';

/** One of the caller's active devices, with its presence; another user's device is not found. */
export class GetDeviceQuery extends Query<DeviceView> {
  constructor(
    readonly ownerId: string,
    readonly name: string,
  ) {
    super();
  }
}
