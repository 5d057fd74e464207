import { DevicePresence } from '../../presence/domain/device-presence';
import { DeviceRecord } from './device';

/** A device with its presence (null: never seen connected). */
export interface DeviceView extends DeviceRecord {
  presence: DevicePresence | null;
}
