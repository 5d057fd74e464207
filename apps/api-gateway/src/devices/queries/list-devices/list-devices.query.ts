import { Query } from '@nestjs/cqrs';
import { DeviceListFilter, DeviceRecord } from '../../domain/device';

/** The caller's active devices, by name: all, or one page of those matching `filter`. */
export class ListDevicesQuery extends Query<DeviceRecord[]> {
  constructor(
    readonly ownerId: string,
    readonly filter: DeviceListFilter = {},
  ) {
    super();
  }
}
