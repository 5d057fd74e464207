import { Query } from '@nestjs/cqrs';
import { DeviceView } from '../../domain/device-view';

/** The caller's active devices, by name, with their presence; `online` keeps only those connected (or not). */
export class ListDevicesQuery extends Query<DeviceView[]> {
  constructor(
    readonly ownerId: string,
    readonly online?: boolean,
  ) {
    super();
  }
}
