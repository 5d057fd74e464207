import { Query } from '@nestjs/cqrs';
import { DeviceRecord } from '../../domain/device';

/** One of the caller's active devices; another user's device is not found. */
export class GetDeviceQuery extends Query<DeviceRecord> {
  constructor(
    readonly ownerId: string,
    readonly name: string,
  ) {
    super();
  }
}
