import { DeviceTags } from './device-tags';

/** How a device's key pair came to be. */
export type DeviceKeyOrigin = 'rsa' | 'ec' | 'csr';

/** A registered device as the registry knows it. Never holds a private key. */
export interface DeviceRecord {
  deviceId: string;
  ownerId: string;
  name: string;
  /** Up to 16 `key=value` pairs (device-tags.ts). */
  tags: DeviceTags;
  keyOrigin: DeviceKeyOrigin;
  certificatePem: string;
  certificateSerial: string;
  certificateFingerprint: string;
  /**
   * Whether the certificate's subject carries its serial (every certificate issued since
   * renewal exists): then the broker login name tells it apart from the device's other
   * certificates. Older ones are `CN=deviceId` only.
   */
  certificateSerialInSubject: boolean;
  /** The certificate a renewal replaced, while its grace window lasts (null otherwise). */
  previousCertificate: PreviousCertificate | null;
  /** SHA-256 of the device's broker password; the password itself is never stored. */
  brokerPasswordHash: string;
  notBefore: Date;
  notAfter: Date;
  createdAt: Date;
  revokedAt: Date | null;
}

/** The fields of a device's current certificate (what issuing one sets on the record). */
export type CertificateFields = Pick<
  DeviceRecord,
  | 'keyOrigin'
  | 'certificatePem'
  | 'certificateSerial'
  | 'certificateFingerprint'
  | 'certificateSerialInSubject'
  | 'notBefore'
  | 'notAfter'
>;

/** A replaced certificate that keeps working until `validUntil` (`?graceSeconds=` of a renewal). */
export interface PreviousCertificate {
  serial: string;
  serialInSubject: boolean;
  fingerprint: string;
  validUntil: Date;
}

/** The identity of one certificate as the broker sees it (see broker-auth's broker-identity.ts). */
export interface CertificateIdentity {
  serial: string;
  serialInSubject: boolean;
}

/** The certificates a device may log in with at `now`: the current one, and the previous one during its grace window. */
export function acceptedCertificates(device: DeviceRecord, now: Date): CertificateIdentity[] {
  const current = { serial: device.certificateSerial, serialInSubject: device.certificateSerialInSubject };
  const previous = device.previousCertificate;
  return previous && previous.validUntil > now ? [current, previous] : [current];
}

/** Longest overlap a renewal may give the old certificate: 7 days. */
export const MAX_RENEWAL_GRACE_SECONDS = 7 * 86_400;

/** One page of a user's devices, in name order (`GET /devices`). */
export interface DeviceListFilter {
  /** Only names starting with this. */
  namePrefix?: string;
  /** Only devices carrying every one of these tags. */
  tags?: readonly (readonly [string, string])[];
  /** Only names after this one (the last name of the previous page). */
  after?: string;
  /** At most this many; all when absent. */
  limit?: number;
}

/** Device names: the registry's rule, stated in @app/common for the clients that check it too. */
export { DEVICE_NAME_PATTERN } from '@app/common';
/** DEVICE_NAME_PATTERN in words, for error messages. */
export const DEVICE_NAME_RULE = '1-64 characters of letters, digits, _ and -';
