import { DEVICE_TIMEOUT_MS } from '@app/device-protocol';

/**
 * How long after this replica becomes a shard's active consumer another replica's request may
 * still be out on one of its devices: the longest request timeout, plus a margin for the
 * broker to notice the previous consumer is gone and for a slow device.
 */
export const TAKEOVER_WINDOW_MS = DEVICE_TIMEOUT_MS.max + 5_000;

interface Activation {
  /** The consumer (its consumer tag) that took deliveries on this shard last. */
  consumer: string;
  /** When that consumer took its first delivery: the takeover happened before. */
  since: number;
  /** Devices fenced since, so the fence is paid once per device and takeover. */
  fenced: Set<string>;
}

/**
 * When another replica may still have a request out on a device of a shard this replica
 * now serves. With single active consumer, a consumer that takes a delivery stays the
 * shard's active consumer until it is cancelled (its channel closed, e.g. on a reconnect);
 * a new consumer (a new consumer tag) may have taken the shard over from another replica,
 * at the latest at its first delivery. Another replica's requests were sent before that,
 * so beyond TAKEOVER_WINDOW_MS after it they were all answered or have timed out there.
 *
 * So a device needs a fence (docs/device-protocol.md) before its first request within
 * that window of a shard's first delivery to a new consumer, and never otherwise.
 */
export class ShardTakeovers {
  private readonly shards = new Map<number, Activation>();

  constructor(
    private readonly windowMs = TAKEOVER_WINDOW_MS,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** A delivery on `shard` to the consumer with tag `consumer`. */
  delivered(shard: number, consumer: string): void {
    const current = this.shards.get(shard);
    if (current?.consumer === consumer) return;
    this.shards.set(shard, { consumer, since: this.now(), fenced: new Set() });
  }

  /** Whether another replica may still have a request out on `deviceId`, not yet fenced off here. */
  needsFence(shard: number, deviceId: string): boolean {
    const activation = this.shards.get(shard);
    if (!activation) return false; // no delivery seen: a request not from a shard queue (tests, tools)
    if (this.now() - activation.since >= this.windowMs) {
      activation.fenced.clear(); // nothing to remember once the window has passed
      return false;
    }
    return !activation.fenced.has(deviceId);
  }

  /** The device's fence is complete: every reply to another replica's request has arrived. */
  fenced(shard: number, deviceId: string): void {
    const activation = this.shards.get(shard);
    if (activation && this.now() - activation.since < this.windowMs) activation.fenced.add(deviceId);
  }
}
