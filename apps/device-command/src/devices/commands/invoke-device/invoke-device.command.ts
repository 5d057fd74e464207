import { Command } from '@nestjs/cqrs';
import { InvokeDeviceResult } from '@app/common/device-command';

/** The shard queue's delivery of a request: to which consumer, and whether it was delivered before. */
export interface InvokeDelivery {
  /** The consumer tag: a new one may have taken the shard over from another replica. */
  consumer: string;
  /** Delivered before to a consumer that stopped without acknowledging it. */
  redelivered: boolean;
}

/** Call one API on one device and wait for its validated reply. */
export class InvokeDeviceCommand extends Command<InvokeDeviceResult> {
  constructor(
    readonly deviceId: string,
    readonly api: string,
    readonly params: Record<string, unknown>,
    readonly timeoutMs: number,
    /** How the request came from its shard queue, when it did. */
    readonly delivery?: InvokeDelivery,
  ) {
    super();
  }
}
