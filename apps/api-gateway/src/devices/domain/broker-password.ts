import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Per-device broker passwords, for firmware and tools that always send
 * credentials. Each is 256 random bits, shown once at registration and stored
 * only as a SHA-256 digest. A slow password hash (argon2) buys nothing against
 * a 256-bit random secret and would make thousands of devices connecting at
 * once expensive; a fast digest keeps the broker's login check an index lookup.
 */
export function generateBrokerPassword(): { password: string; hash: string } {
  const password = randomBytes(32).toString('base64url');
  return { password, hash: digest(password) };
}

export function verifyBrokerPassword(password: string, hash: string): boolean {
  const expected = Buffer.from(hash, 'hex');
  const actual = Buffer.from(digest(password), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function digest(password: string): string {
  return createHash('sha256').update(password, 'utf8').digest('hex');
}
