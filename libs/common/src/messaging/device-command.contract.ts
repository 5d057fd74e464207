import type { DeviceApi } from '@app/device-protocol';

/**
 * The contract between api-gateway and device-command over RabbitMQ: the
 * queues device-command consumes, the message patterns it answers, and the
 * types of every payload and result. Both sides import these; nothing else crosses.
 *
 * Requests are sharded by device: every request for one device goes to the same
 * shard queue, and each shard queue has a single active consumer (RabbitMQ's
 * `x-single-active-consumer`). So with any number of device-command replicas,
 * one replica at a time owns a device: it alone talks to it, queues its requests
 * and receives its replies; if it dies, another replica takes the shard over.
 */
export const DEVICE_COMMAND_QUEUE_PREFIX = 'device-command.shard';

export type DeviceCommandQueueType = 'classic' | 'quorum';

/**
 * How device-command declares its shard queues (RabbitMQ refuses a mismatched re-declare).
 * classic (one node): durable and auto-delete, so a shard is gone with its last consumer and
 * requests to a stopped service fail fast (RabbitMQ 4 deprecates transient shared queues).
 * quorum (a cluster): replicated, so a shard survives the loss of a node; quorum queues
 * cannot auto-delete, so requests to a stopped service wait for their timeout instead.
 */
export function deviceCommandQueueOptions(type: DeviceCommandQueueType) {
  return type === 'quorum'
    ? { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-single-active-consumer': true } }
    : { durable: true, autoDelete: true, arguments: { 'x-single-active-consumer': true } };
}

export const DEFAULT_DEVICE_COMMAND_SHARDS = 8;

export function deviceCommandQueue(shard: number): string {
  return `${DEVICE_COMMAND_QUEUE_PREFIX}.${shard}`;
}

/** FNV-1a over the device id: stable across processes and releases. */
export function shardOf(deviceId: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < deviceId.length; i++) {
    hash ^= deviceId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

export const DeviceCommandPattern = {
  ping: 'device-command.ping',
  invoke: 'device-command.invoke',
} as const;

export interface PingRequest {
  sentAt: number; // epoch ms, echoed back so the caller can measure the round trip
}

export interface PingResult {
  service: 'device-command';
  sentAt: number;
  instanceId: string;
  uptimeSeconds: number;
}

/** Call one device API. `params` is validated again by device-command against the API's schema. */
export interface InvokeDeviceRequest {
  deviceId: string;
  api: DeviceApi;
  params: Record<string, unknown>;
  /** How long the caller waits, queueing for the device included. */
  timeoutMs: number;
}

export interface InvokeDeviceResult {
  reply: Record<string, unknown>;
  /** Time from publishing the request to the device until its reply arrived. */
  deviceLatencyMs: number;
}

/**
 * Every message pattern device-command answers, with its request and result:
 * the gateway's client and device-command's message controllers are both typed by it.
 */
export interface DeviceCommandContract {
  [DeviceCommandPattern.ping]: { request: PingRequest; result: PingResult };
  [DeviceCommandPattern.invoke]: { request: InvokeDeviceRequest; result: InvokeDeviceResult };
}

export type DeviceCommandMessagePattern = keyof DeviceCommandContract;
export type DeviceCommandRequest<P extends DeviceCommandMessagePattern> = DeviceCommandContract[P]['request'];
export type DeviceCommandResult<P extends DeviceCommandMessagePattern> = DeviceCommandContract[P]['result'];
