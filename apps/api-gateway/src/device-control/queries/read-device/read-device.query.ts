import { Query } from '@nestjs/cqrs';
import { InvokeDeviceResult } from '@app/common/device-command';
import { DeviceReadApi } from '@app/device-protocol';

/** Read state from one of the caller's devices (status, GPIO, RTC, MAC, IP, subnet, gateway). */
export class ReadDeviceQuery extends Query<InvokeDeviceResult> {
  constructor(
    readonly ownerId: string,
    readonly name: string,
    readonly api: DeviceReadApi,
    readonly params: Record<string, unknown>,
    readonly timeoutMs: number,
    /** Returned as X-Command-Id and recorded in the device's command history. */
    readonly commandId: string,
  ) {
    super();
  }
}
