import { DevicePresence, PresenceConnect, PresenceDisconnect } from '../domain/device-presence';

export const PRESENCE_REPOSITORY = Symbol('PRESENCE_REPOSITORY');

/**
 * Each presence change is one conditional write: its filter names the connection the change
 * applies to, so a repeated event or a close of a connection already replaced changes nothing,
 * without reading the record first.
 */
export interface PresenceRepository {
  /** Presence of these devices; a device never seen is missing from the map. */
  findMany(deviceIds: string[]): Promise<Map<string, DevicePresence>>;
  find(deviceId: string): Promise<DevicePresence | null>;
  /**
   * Records the device online on this connection, keeping its last disconnect; false when the
   * record already names this connection (a repeated event, or a reconciliation got there first).
   */
  connect(connection: PresenceConnect): Promise<boolean>;
  /** Sets the transport and MQTT level of the device's current connection where the level is still unknown. */
  completeTransport(connection: PresenceConnect): Promise<void>;
  /** Records the device offline if this connection is still its current one; false when it is not. */
  disconnect(deviceId: string, change: PresenceDisconnect): Promise<boolean>;
  /** The same, for a connection whose device is not known here: the record as it was, or null. */
  disconnectByConnection(change: PresenceDisconnect): Promise<DevicePresence | null>;
  /** Every device recorded online (for reconciliation with the broker). */
  listOnline(): Promise<DevicePresence[]>;
  /** Moves lastSeenAt forward (never back), one device at a time. */
  touch(deviceId: string, at: Date): Promise<void>;
}
