import { Inject } from '@nestjs/common';
import { DEVICE_REPOSITORY, DeviceRepository } from '../../devices/database/device.repository.port';
import { findOwnedDevice } from '../../devices/queries/owned-device';
import { COMMAND_HISTORY_REPOSITORY, CommandHistoryRepository } from '../database/command-history.repository.port';

/**
 * What the history queries share: both read the history of one of the caller's
 * devices, named in the path, so both resolve it first (404 DEVICE_NOT_FOUND).
 */
export abstract class DeviceHistoryQueryHandler {
  constructor(
    @Inject(DEVICE_REPOSITORY) private readonly devices: DeviceRepository,
    @Inject(COMMAND_HISTORY_REPOSITORY) protected readonly history: CommandHistoryRepository,
  ) {}

  /** The broker identity of the caller's device `name`, whose history is read. */
  protected async deviceIdOf(ownerId: string, name: string): Promise<string> {
    return (await findOwnedDevice(this.devices, ownerId, name)).deviceId;
  }
}
