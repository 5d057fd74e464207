import { DevicePresence } from '../domain/device-presence';

export const PRESENCE_REPOSITORY = Symbol('PRESENCE_REPOSITORY');

export interface PresenceRepository {
  /** Presence of these devices; a device never seen is missing from the map. */
  findMany(deviceIds: string[]): Promise<Map<string, DevicePresence>>;
  find(deviceId: string): Promise<DevicePresence | null>;
  /** Writes the whole record (one document, by _id). */
  save(presence: DevicePresence): Promise<void>;
  /** Every device recorded online (for reconciliation with the broker). */
  listOnline(): Promise<DevicePresence[]>;
  /** The online device whose current connection has this broker name. */
  findOnlineByConnection(connectionName: string): Promise<DevicePresence | null>;
  /** Moves lastSeenAt forward (never back), one device at a time. */
  touch(deviceId: string, at: Date): Promise<void>;
}
