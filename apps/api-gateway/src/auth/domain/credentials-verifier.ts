import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@app/common';
import { AuditTrail } from '../../audit/audit-trail';
import { USER_REPOSITORY, UserRecord, UserRepository } from './user.repository.port';
import { LoginThrottle } from './login-throttle';
import { PASSWORD_HASHER, PasswordHasher } from './password-hasher';

export type CredentialsCheck =
  { outcome: 'ok'; user: UserRecord } | { outcome: 'unknown_user' } | { outcome: 'wrong_password' };

/**
 * A well-formed argon2id hash of a random password: verifying against it for an
 * unknown user costs what a real verification costs, so timing does not tell
 * which usernames exist.
 */
const DUMMY_HASH = '$argon2id$v=19$m=65536,p=4,t=3$+LE+1h51GO6xSM/WlB+zJw$eToPRF8tA6N18o7ARS/r4lnkv67gHDywv3+NXa74niQ';

/**
 * The one place that checks a username and password, for every way of logging
 * in (the JWT login and the legacy secret login), with failed attempts
 * rate-limited per username and per client address.
 */
@Injectable()
export class CredentialsVerifier {
  constructor(
    @Inject(USER_REPOSITORY) private readonly users: UserRepository,
    @Inject(PASSWORD_HASHER) private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly audit: AuditTrail,
  ) {}

  /** Throws TooManyLoginAttemptsError when over the limit; otherwise says what it found. */
  async check(username: string, password: string, clientAddress: string): Promise<CredentialsCheck> {
    try {
      await this.throttle.check(username, clientAddress);
    } catch (error) {
      void this.auditRefused(username, error);
      throw error;
    }
    const user = await this.users.findByUsername(username);
    const valid = await this.hasher.verify(user?.passwordHash ?? DUMMY_HASH, password);
    if (user && valid) {
      await this.throttle.recordSuccess(username);
      this.audit.record({ userId: user.id, action: 'user.logged_in', outcome: 'OK' });
      return { outcome: 'ok', user };
    }
    await this.throttle.recordFailure(username, clientAddress);
    // An unknown username concerns no account: nothing to record.
    if (user) this.audit.record({ userId: user.id, action: 'user.login_failed', outcome: 'INVALID_CREDENTIALS' });
    return { outcome: user ? 'wrong_password' : 'unknown_user' };
  }

  /** A throttled attempt, on the trail of the account it was aimed at. */
  private async auditRefused(username: string, error: unknown): Promise<void> {
    const user = await this.users.findByUsername(username).catch(() => null);
    const outcome = error instanceof DomainError ? error.code : 'REFUSED';
    if (user) this.audit.record({ userId: user.id, action: 'user.login_failed', outcome });
  }
}
