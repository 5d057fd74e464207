/** How a device's key pair came to be. */
export type DeviceKeyOrigin = 'rsa' | 'ec' | 'csr';

/** A registered device as the registry knows it. Never holds a private key. */
export interface DeviceRecord {
  deviceId: string;
  ownerId: string;
  name: string;
  keyOrigin: DeviceKeyOrigin;
  certificatePem: string;
  certificateSerial: string;
  certificateFingerprint: string;
  /** SHA-256 of the device's broker password; the password itself is never stored. */
  brokerPasswordHash: string;
  notBefore: Date;
  notAfter: Date;
  createdAt: Date;
  revokedAt: Date | null;
}

/** Device names: 1-64 characters of letters, digits, `_` and `-`. */
export const DEVICE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** DEVICE_NAME_PATTERN in words, for error messages. */
export const DEVICE_NAME_RULE = '1-64 characters of letters, digits, _ and -';
