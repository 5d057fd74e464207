import { Query } from '@nestjs/cqrs';
import { DeviceListFilter } from '../../domain/device';
import { DeviceView } from '../../domain/device-view';

/**
 * The caller's active devices, by name, with their presence: all, or one page of those matching
 * `filter`; `online` keeps only those connected (or not).
 */
export class ListDevicesQuery extends Query<DeviceView[]> {
  constructor(
    readonly ownerId: string,
    readonly filter: DeviceListFilter = {},
    readonly online?: boolean,
  ) {
    super();
  }
}
