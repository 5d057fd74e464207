import { Injectable } from '@nestjs/common';
import { DomainError } from '@app/common';
import { createHmac, timingSafeEqual } from 'node:crypto';

export class InvalidLegacySecretError extends DomainError {
  readonly code = 'INVALID_LEGACY_SECRET';
  readonly kind = 'unauthenticated' as const;
  constructor() {
    super('The secret is not valid for this user');
  }
}

/**
 * The per-user secret of the legacy (libpyiotcloud) API: 256 bits derived as
 * HMAC-SHA256(LEGACY_SECRET_KEY, userId:version). No copy is stored, so the
 * database alone does not reveal it, yet /login hands out the same secret
 * every time until the version is bumped (rotation).
 */
@Injectable()
export class LegacySecrets {
  constructor(private readonly key: string) {}

  derive(userId: string, version: number): string {
    return createHmac('sha256', this.key).update(`${userId}:${version}`).digest('hex');
  }

  matches(userId: string, version: number, secret: string): boolean {
    const expected = Buffer.from(this.derive(userId, version), 'utf8');
    const given = Buffer.from(secret, 'utf8');
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}
