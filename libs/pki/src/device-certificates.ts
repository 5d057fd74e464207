import { signingCaContext } from './internal/ca-context';
import { verifyCertificateRequest } from './internal/csr';
import { issueEndEntityCertificate } from './internal/issue';
import { generateKeys } from './internal/keys';
import { Oid } from './internal/x509';
import type { CertificateAuthority, DeviceKeyType, IssuedCertificate } from './pki.types';

export const DEFAULT_DEVICE_VALIDITY_DAYS = 365;
/** Upper bound on validityDays; the root CA itself only lives ~10 years. */
const MAX_DEVICE_VALIDITY_DAYS = 3650;
/** X.520 ub-common-name. */
const MAX_COMMON_NAME_LENGTH = 64;

/** C0 controls and DEL. */
function isControlCharacter(character: string): boolean {
  const code = character.codePointAt(0) ?? 0;
  return code <= 0x1f || code === 0x7f;
}

/** Device IDs come from our own registry, so a bad one is a programming error (RangeError), not a client error. */
function checkDeviceId(deviceId: string): void {
  const length = typeof deviceId === 'string' ? [...deviceId].length : 0;
  if (
    length === 0 ||
    length > MAX_COMMON_NAME_LENGTH ||
    deviceId.trim() !== deviceId ||
    [...deviceId].some(isControlCharacter)
  ) {
    throw new RangeError(
      `deviceId must be 1-${MAX_COMMON_NAME_LENGTH} characters without control characters or surrounding spaces`,
    );
  }
}

function checkValidityDays(days: number): number {
  if (typeof days !== 'number' || !Number.isFinite(days) || days <= 0 || days > MAX_DEVICE_VALIDITY_DAYS) {
    throw new RangeError(`validityDays must be a number in (0, ${MAX_DEVICE_VALIDITY_DAYS}]`);
  }
  return days;
}

/**
 * Generates a key pair for a device (RSA-2048 by default, or EC P-256) and
 * issues its client certificate: subject CN = deviceId plus serialNumber = the
 * certificate's own serial (see deviceBrokerUsername), EKU clientAuth,
 * CA:false, random 127-bit serial, notBefore = now - 5 minutes.
 * The private key is returned (PKCS#8 PEM) and stored nowhere by this library.
 */
export async function issueDeviceCertificate(options: {
  ca: CertificateAuthority;
  deviceId: string;
  keyType?: DeviceKeyType;
  validityDays?: number;
}): Promise<IssuedCertificate> {
  const keyType = options.keyType ?? 'rsa';
  if (keyType !== 'rsa' && keyType !== 'ec') throw new RangeError(`keyType must be 'rsa' or 'ec'`);
  checkDeviceId(options.deviceId);
  const validityDays = checkValidityDays(options.validityDays ?? DEFAULT_DEVICE_VALIDITY_DAYS);
  signingCaContext(options.ca); // fail before spending a key generation
  const keys = await generateKeys(keyType);
  const issued = await issueEndEntityCertificate({
    ca: options.ca,
    commonName: options.deviceId,
    subjectPublicKeyInfo: keys.subjectPublicKeyInfo,
    keyType,
    validityDays,
    extendedKeyUsage: [Oid.clientAuth],
    serialInSubject: true,
  });
  return { ...issued, privateKeyPem: keys.privateKeyPem };
}

/**
 * Issues a device client certificate for the public key in a PKCS#10 CSR
 * (RSA >= 2048 bits, or EC P-256/P-384) after checking its self-signature.
 * Only the key is taken from the CSR: the subject is always CN = deviceId (and the
 * serial, as above) and
 * requested extensions are ignored.
 * Throws InvalidCsrError or WeakKeyError.
 */
export async function signCertificateRequest(options: {
  ca: CertificateAuthority;
  deviceId: string;
  csrPem: string;
  validityDays?: number;
}): Promise<IssuedCertificate> {
  checkDeviceId(options.deviceId);
  const validityDays = checkValidityDays(options.validityDays ?? DEFAULT_DEVICE_VALIDITY_DAYS);
  signingCaContext(options.ca);
  const csr = await verifyCertificateRequest(options.csrPem);
  return issueEndEntityCertificate({
    ca: options.ca,
    commonName: options.deviceId,
    subjectPublicKeyInfo: csr.subjectPublicKeyInfo,
    keyType: csr.keyType,
    validityDays,
    extendedKeyUsage: [Oid.clientAuth],
    serialInSubject: true,
  });
}
