import { Query } from '@nestjs/cqrs';
import { DeviceRecord } from '../../domain/device';

/** The caller's active devices, by name. */
export class ListDevicesQuery extends Query<DeviceRecord[]> {
  constructor(readonly ownerId: string) {
    super();
  }
}
