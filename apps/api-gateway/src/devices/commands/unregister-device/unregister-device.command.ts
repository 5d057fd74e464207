import { Command } from '@nestjs/cqrs';

export class UnregisterDeviceCommand extends Command<{ deviceId: string }> {
  constructor(
    readonly ownerId: string,
    readonly name: string,
  ) {
    super();
  }
}
