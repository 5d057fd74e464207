import { DeviceApi } from '@app/device-protocol';

export const DEVICE_LINK = Symbol('DEVICE_LINK');

/** `requestId`: the request id the reply echoes (MQTT 5 Correlation Data), when the device sent one. */
export type ReplyListener = (deviceId: string, api: DeviceApi, body: Buffer, requestId?: string) => void;

/** `mqtt5`: the connection speaks MQTT 5 (its replies echo request ids). */
export type ConnectionListener = (deviceId: string, change: 'opened' | 'closed', mqtt5: boolean) => void;

/** How device-command reaches devices: through the broker's amq.topic, whatever the device speaks. */
export interface DeviceLink {
  /**
   * Publishes one request. Resolves `false` when no queue took it (the device is
   * not connected). The message expires after `ttlMs`, so a device that connects
   * later never runs a stale command. Rejects when the broker cannot be reached.
   * `requestId` travels as MQTT 5 Correlation Data (with the reply topic as Response
   * Topic); devices on MQTT 3.x never see it.
   */
  send(deviceId: string, api: DeviceApi, payload: Buffer, ttlMs: number, requestId: string): Promise<boolean>;
  /** Every device's replies reach every listener: there is nothing to set up per device. */
  onReply(listener: ReplyListener): void;
  /**
   * A device's broker connection was closed, or a new one opened (the broker's connection events).
   * A reply it published before may be published again on the new connection (MQTT 3.x clients
   * re-send unacknowledged QoS 1 messages), and a request out on the old one is lost or answered late.
   */
  onConnectionChange(listener: ConnectionListener): void;
  /**
   * Whether another replica sent requests to devices of `shard` lately (within the takeover window,
   * docs/reliability.md), so that it may still have one out: what a replica taking the shard
   * over asks. `send` records this replica's own, before the request. Rejects when it cannot tell.
   */
  otherReplicaSentLately(shard: number): Promise<boolean>;
}
