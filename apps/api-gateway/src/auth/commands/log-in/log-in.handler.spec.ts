import { JwtService } from '@nestjs/jwt';
import { AuditTrail } from '../../../audit/audit-trail';
import { UserRecord, UserRepository } from '../../domain/user.repository.port';
import { PasswordHasher } from '../../domain/password-hasher';
import { CredentialsVerifier } from '../../domain/credentials-verifier';
import { InMemoryLoginFailureStore, LoginThrottle } from '../../domain/login-throttle';
import { InvalidCredentialsError } from '../../domain/user.errors';
import { LogInCommand } from './log-in.command';
import { LogInHandler } from './log-in.handler';

describe('LogInHandler', () => {
  const alice: UserRecord = { id: 'u1', username: 'alice', passwordHash: 'hash-of-right', legacySecretVersion: 1 };
  const users: UserRepository = {
    create: jest.fn(),
    findByUsername: jest.fn(async (name: string) => (name === 'alice' ? alice : null)),
    rotateLegacySecret: jest.fn(),
  };
  const verify = jest.fn(async (hash: string, password: string) => hash === 'hash-of-right' && password === 'right');
  const hasher: PasswordHasher = { hash: jest.fn(), verify };
  const jwt = new JwtService({ secret: 'x'.repeat(32), signOptions: { expiresIn: 600 } });
  const throttle = new LoginThrottle(
    { perUsername: 100, perAddress: 100, windowMs: 60_000 },
    new InMemoryLoginFailureStore(),
  );
  const record = jest.fn();
  const audit = { record } as unknown as AuditTrail;
  const handler = new LogInHandler(new CredentialsVerifier(users, hasher, throttle, audit), jwt);

  beforeEach(() => {
    verify.mockClear();
    record.mockClear();
  });

  it('issues a bearer token carrying the user id and its lifetime', async () => {
    const token = await handler.execute(new LogInCommand('alice', 'right', '127.0.0.1'));
    expect(token.tokenType).toBe('Bearer');
    expect(token.expiresIn).toBe(600);
    expect(jwt.verify(token.accessToken)).toMatchObject({ sub: 'u1', username: 'alice' });
    expect(record.mock.calls).toEqual([[{ userId: 'u1', action: 'user.logged_in', outcome: 'OK' }]]);
  });

  it('rejects a wrong password', async () => {
    await expect(handler.execute(new LogInCommand('alice', 'wrong', '127.0.0.1'))).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
    expect(record.mock.calls).toEqual([
      [{ userId: 'u1', action: 'user.login_failed', outcome: 'INVALID_CREDENTIALS' }],
    ]);
    expect(JSON.stringify(record.mock.calls)).not.toContain('wrong'); // never the password
  });

  it('still verifies a password for an unknown user, so timing does not reveal which usernames exist', async () => {
    await expect(handler.execute(new LogInCommand('mallory', 'right', '127.0.0.1'))).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
    expect(verify).toHaveBeenCalledTimes(1);
    expect(verify.mock.calls[0][0]).toMatch(/^\$argon2id\$/);
  });
});
