import { Command } from '@nestjs/cqrs';
import { InvokeDeviceResult } from '@app/common/device-command';

/** Call one API on one device and wait for its validated reply. */
export class InvokeDeviceCommand extends Command<InvokeDeviceResult> {
  constructor(
    readonly deviceId: string,
    readonly api: string,
    readonly params: Record<string, unknown>,
    readonly timeoutMs: number,
  ) {
    super();
  }
}
