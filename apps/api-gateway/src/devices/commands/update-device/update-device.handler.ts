import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { DEVICE_REPOSITORY, DeviceRepository } from '../../database/device.repository.port';
import { DeviceRecord } from '../../domain/device';
import { tagsProblem } from '../../domain/device-tags';
import { DeviceNotFoundError, InvalidTagsError } from '../../domain/device.errors';
import { UpdateDeviceCommand } from './update-device.command';

@CommandHandler(UpdateDeviceCommand)
export class UpdateDeviceHandler implements ICommandHandler<UpdateDeviceCommand> {
  constructor(@Inject(DEVICE_REPOSITORY) private readonly devices: DeviceRepository) {}

  async execute({ ownerId, name, tags }: UpdateDeviceCommand): Promise<DeviceRecord> {
    const problem = tagsProblem(tags);
    if (problem) throw new InvalidTagsError(problem);
    const updated = await this.devices.setTags(ownerId, name, tags);
    if (!updated) throw new DeviceNotFoundError(name);
    return updated;
  }
}
