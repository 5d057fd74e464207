import { Command } from '@nestjs/cqrs';
import { DeviceRecord } from '../../domain/device';
import { DeviceTags } from '../../domain/device-tags';

/** Changes what may change about a device: today its tags (the whole set, replaced). */
export class UpdateDeviceCommand extends Command<DeviceRecord> {
  constructor(
    readonly ownerId: string,
    readonly name: string,
    readonly tags: DeviceTags,
  ) {
    super();
  }
}
