import { Logger } from '@nestjs/common';
import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { Channel } from 'amqplib';
import { DeviceCommandQueueType } from '@app/common/device-command';
import { TAKEOVER_WINDOW_MS } from './shard-takeovers';

/** A replica renews its lease on a shard at most this often, while it sends requests to the shard's devices. */
export const LEASE_RENEW_MS = 5_000;
/**
 * How long a lease stays in its queue: every request a replica sent lies within LEASE_RENEW_MS
 * after one of its leases, so a lease outlives the requests it covers by TAKEOVER_WINDOW_MS.
 */
export const LEASE_TTL_MS = TAKEOVER_WINDOW_MS + LEASE_RENEW_MS;
/**
 * The newest leases a shard's queue keeps (it drops the oldest beyond). A replica renews at most
 * LEASE_TTL_MS / LEASE_RENEW_MS + 1 = 9 times within a lease's life: room for several replicas.
 */
export const LEASES_KEPT = 32;
/** How long a replica taking a shard waits for its leases; beyond, it fences as if another replica's were there. */
const LEASE_READ_TIMEOUT_MS = 2_000;

export function shardLeaseQueue(shard: number): string {
  return `device-command.lease.${shard}`;
}

/** Durable and never auto-deleted (a lease must outlive the replica that wrote it); quorum on a cluster. */
export function shardLeaseQueueOptions(type: DeviceCommandQueueType) {
  const args = { 'x-max-length': LEASES_KEPT, 'x-overflow': 'drop-head', 'x-message-ttl': LEASE_TTL_MS };
  return { durable: true, arguments: type === 'quorum' ? { ...args, 'x-queue-type': 'quorum' } : args };
}

interface Lease {
  replica: string;
  at: number;
}

function leaseOf(content: Buffer): Lease | undefined {
  try {
    const lease = JSON.parse(content.toString()) as Partial<Lease>;
    return typeof lease.replica === 'string' && typeof lease.at === 'number' ? (lease as Lease) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Which replicas sent requests to a shard's devices lately, kept in the broker, so that a replica
 * taking a shard over knows whether another one may still have requests out there (they need a
 * fence) or none ran at all (a fresh stack: no fence). Each shard has a lease queue; a replica
 * puts a lease (its id, the time) in it before a request to one of the shard's devices, at most
 * once per LEASE_RENEW_MS, on the channel the request goes out on, so the broker routes the lease
 * first. A lease expires after LEASE_TTL_MS. The replica taking a shard reads its leases (and puts
 * them back); one of another replica's means a takeover.
 */
export class ShardLeases {
  private readonly logger = new Logger(ShardLeases.name);
  /** Its own channel: a lease queue the broker refuses (e.g. on a node that is down) never closes the requests' channel. */
  private readonly reader: ChannelWrapper;
  private readonly renewedAt = new Map<number, number>();
  /** One read at a time: each puts back every lease it took, at its end, with one nack. */
  private reads: Promise<unknown> = Promise.resolve();

  constructor(
    connection: AmqpConnectionManager,
    private readonly shards: number,
    private readonly queueType: DeviceCommandQueueType,
    /** This replica's id in its leases. */
    private readonly replica: string,
    private readonly now: () => number = () => Date.now(),
  ) {
    // Its errors are logged by the connection (connectBroker).
    this.reader = connection.createChannel({
      name: 'shard-leases',
      json: false,
      setup: (ch: Channel) => this.setup(ch),
    });
  }

  private async setup(ch: Channel): Promise<void> {
    const options = shardLeaseQueueOptions(this.queueType);
    for (let shard = 0; shard < this.shards; shard++) await ch.assertQueue(shardLeaseQueue(shard), options);
  }

  /**
   * Puts this replica's lease on `shard` in its queue, unless it did within LEASE_RENEW_MS. Call it
   * before publishing a request to one of the shard's devices, on the same `channel`.
   */
  renew(channel: ChannelWrapper, shard: number): void {
    const now = this.now();
    const last = this.renewedAt.get(shard);
    if (last !== undefined && now - last < LEASE_RENEW_MS) return;
    this.renewedAt.set(shard, now);
    const lease: Lease = { replica: this.replica, at: now };
    channel
      .sendToQueue(shardLeaseQueue(shard), Buffer.from(JSON.stringify(lease)), { contentType: 'application/json' })
      .catch((error: unknown) => {
        if (this.renewedAt.get(shard) === now) this.renewedAt.delete(shard); // the next request tries again
        this.logger.warn(`could not renew the lease on shard ${shard}: ${String(error)}`);
      });
  }

  /**
   * Whether another replica's lease on `shard` is alive: it sent requests to the shard's devices
   * within LEASE_TTL_MS. Rejects when that cannot be told (then a takeover must be assumed).
   */
  async heldByOthers(shard: number): Promise<boolean> {
    const read = this.reads.then(() => this.read(shard));
    this.reads = read.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer from the broker within ${LEASE_READ_TIMEOUT_MS} ms`)),
        LEASE_READ_TIMEOUT_MS,
      );
    });
    return Promise.race([read, timeout]).finally(() => clearTimeout(timer));
  }

  private async read(shard: number): Promise<boolean> {
    await this.reader.waitForConnect();
    const queue = shardLeaseQueue(shard);
    try {
      // The queue keeps at most LEASES_KEPT; more gets would only return leases put back meanwhile.
      for (let taken = 0; taken < LEASES_KEPT; taken++) {
        const message = await this.reader.get(queue, { noAck: false });
        if (!message) return false;
        // A lease that cannot be read is taken for another replica's.
        if (leaseOf(message.content)?.replica !== this.replica) return true;
      }
      return false;
    } finally {
      this.reader.nackAll(true); // every lease back in its queue, for the next replica that takes the shard
    }
  }

  async close(): Promise<void> {
    await this.reader.close();
  }
}
