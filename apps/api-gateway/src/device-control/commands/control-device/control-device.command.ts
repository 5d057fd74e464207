import { Command } from '@nestjs/cqrs';
import { InvokeDeviceResult } from '@app/common/device-command';
import { DeviceWriteApi } from '@app/device-protocol';

/** Change one of the caller's devices (restart, GPIO, RTC, MAC, UART write). */
export class ControlDeviceCommand extends Command<InvokeDeviceResult> {
  constructor(
    readonly ownerId: string,
    readonly name: string,
    readonly api: DeviceWriteApi,
    readonly params: Record<string, unknown>,
    readonly timeoutMs: number,
    /** Returned as X-Command-Id and recorded in the device's command history. */
    readonly commandId: string,
  ) {
    super();
  }
}
