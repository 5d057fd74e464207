import { Logger } from '@nestjs/common';
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
  /** Whether another replica sent requests on the shard lately; until known, the question. */
  takeover: boolean | Promise<boolean>;
}

/**
 * When another replica may still have a request out on a device of a shard this replica
 * now serves. With single active consumer, a consumer that takes a delivery stays the
 * shard's active consumer until it is cancelled (its channel closed, e.g. on a reconnect);
 * a new consumer (a new consumer tag) may have taken the shard over from another replica,
 * at the latest at its first delivery. Another replica's requests were sent before that,
 * so beyond TAKEOVER_WINDOW_MS after it they were all answered or have timed out there.
 *
 * Whether it did is asked once, at that first delivery (`otherReplicaSentLately`: the shard's
 * leases, ShardLeases); when no other replica sent requests on the shard lately (a fresh stack,
 * or the same replica's consumer re-created), none can still be out.
 *
 * So a device needs a fence (docs/device-protocol.md) before its first request within that window
 * of a shard's first delivery to a new consumer, when another replica sent requests on the shard
 * lately or that cannot be told, and never otherwise.
 */
export class ShardTakeovers {
  private readonly logger = new Logger(ShardTakeovers.name);
  private readonly shards = new Map<number, Activation>();

  constructor(
    private readonly otherReplicaSentLately: (shard: number) => Promise<boolean>,
    private readonly windowMs = TAKEOVER_WINDOW_MS,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** A delivery on `shard` to the consumer with tag `consumer`. */
  delivered(shard: number, consumer: string): void {
    const current = this.shards.get(shard);
    if (current?.consumer === consumer) return;
    const activation: Activation = { consumer, since: this.now(), fenced: new Set(), takeover: true };
    activation.takeover = this.otherReplicaSentLately(shard).catch((error: unknown) => {
      this.logger.warn(`shard ${shard}: could not tell whether another replica served it lately (${String(error)})`);
      return true;
    });
    void activation.takeover.then((takeover) => {
      activation.takeover = takeover;
      if (takeover) {
        const seconds = Math.round(this.windowMs / 1000);
        this.logger.log(`shard ${shard} taken over: each device's first request in the next ${seconds} s is fenced`);
      }
    });
    this.shards.set(shard, activation);
  }

  /**
   * Whether another replica may still have a request out on `deviceId`, not yet fenced off here;
   * a promise only while the shard's first delivery to its consumer is still asking.
   */
  needsFence(shard: number, deviceId: string): boolean | Promise<boolean> {
    const activation = this.shards.get(shard);
    if (!activation) return false; // no delivery seen: a request not from a shard queue (tests, tools)
    if (this.now() - activation.since >= this.windowMs) {
      activation.fenced.clear(); // nothing to remember once the window has passed
      return false;
    }
    return !activation.fenced.has(deviceId) && activation.takeover;
  }

  /** The device's fence is complete: every reply to another replica's request has arrived. */
  fenced(shard: number, deviceId: string): void {
    const activation = this.shards.get(shard);
    if (activation && this.now() - activation.since < this.windowMs) activation.fenced.add(deviceId);
  }
}
