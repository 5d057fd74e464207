import { generateKeyPair, randomBytes } from 'node:crypto';
import type { DeviceKeyType } from '../pki.types';

export interface GeneratedKeyPair {
  /** DER SubjectPublicKeyInfo. */
  readonly subjectPublicKeyInfo: Buffer;
  /** PKCS#8 PEM. */
  readonly privateKeyPem: string;
}

/**
 * Generates a key pair with node:crypto's async generateKeyPair, which runs
 * on libuv's thread pool: an RSA-2048 key costs 100-200 ms of CPU (the time
 * to find two primes varies) and must not block the event loop. forge's
 * generateKeyPair is synchronous (it calls generateKeyPairSync when it can)
 * and has no EC support.
 */
export function generateKeys(type: DeviceKeyType, rsaBits = 2048): Promise<GeneratedKeyPair> {
  const encoding = {
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  } as const;
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, subjectPublicKeyInfo: Buffer, privateKeyPem: string): void =>
      error ? reject(error) : resolve({ subjectPublicKeyInfo, privateKeyPem });
    if (type === 'ec') {
      generateKeyPair('ec', { namedCurve: 'prime256v1', ...encoding }, done);
    } else {
      generateKeyPair('rsa', { modulusLength: rsaBits, publicExponent: 0x10001, ...encoding }, done);
    }
  });
}

/**
 * A random positive serial number: 16 random bytes with the top bit cleared
 * (so the INTEGER is positive), leading zero octets dropped as DER requires.
 * Returns the INTEGER content octets and the value as lowercase hex.
 */
export function randomSerial(): { der: Buffer; hex: string } {
  for (;;) {
    const bytes = randomBytes(16);
    bytes[0] &= 0x7f;
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0 && bytes[start + 1] < 0x80) start++;
    const der = bytes.subarray(start);
    // At least 64 bits of value; fewer happens with probability ~2^-56.
    if (der.length < 9) continue;
    const magnitude = der[0] === 0 ? der.subarray(1) : der;
    return { der, hex: magnitude.toString('hex') };
  }
}

const SECOND = 1000;
export const DAY = 86_400 * SECOND;
/** Back-dating of notBefore, for devices whose clocks run a little behind. */
export const CLOCK_SKEW = 5 * 60 * SECOND;

/** notBefore = now - 5 min, notAfter = now + days; whole seconds, as they are encoded. */
export function validityPeriod(days: number, now = Date.now()): { notBefore: Date; notAfter: Date } {
  const nowSeconds = Math.floor(now / SECOND) * SECOND;
  return {
    notBefore: new Date(nowSeconds - CLOCK_SKEW),
    notAfter: new Date(Math.floor((nowSeconds + days * DAY) / SECOND) * SECOND),
  };
}
