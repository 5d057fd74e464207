import { DeviceApi } from '@app/device-protocol';

export const DEVICE_LINK = Symbol('DEVICE_LINK');

export type ReplyListener = (deviceId: string, api: DeviceApi, body: Buffer) => void;

/** How device-command reaches devices: through the broker's amq.topic, whatever the device speaks. */
export interface DeviceLink {
  /**
   * Publishes one request. Resolves `false` when no queue took it (the device is
   * not connected). The message expires after `ttlMs`, so a device that connects
   * later never runs a stale command. Rejects when the broker cannot be reached.
   */
  send(deviceId: string, api: DeviceApi, payload: Buffer, ttlMs: number): Promise<boolean>;
  /** Every device's replies reach every listener: there is nothing to set up per device. */
  onReply(listener: ReplyListener): void;
}
