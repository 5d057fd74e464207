import { DeviceApi } from '@app/device-protocol';

export const DEVICE_LINK = Symbol('DEVICE_LINK');

export type ReplyListener = (deviceId: string, api: DeviceApi, body: Buffer) => void;

/** How device-command reaches devices: through the broker's amq.topic, whatever the device speaks. */
export interface DeviceLink {
  /** Ensures this device's replies reach this replica. Idempotent and cached: no bind per request. */
  watch(deviceId: string): Promise<void>;
  /**
   * Publishes one request. Resolves `false` when no queue took it (the device is
   * not connected). The message expires after `ttlMs`, so a device that connects
   * later never runs a stale command. Rejects when the broker cannot be reached.
   */
  send(deviceId: string, api: DeviceApi, payload: Buffer, ttlMs: number): Promise<boolean>;
  onReply(listener: ReplyListener): void;
}
