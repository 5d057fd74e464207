import { AuditTrail } from '../../../audit/audit-trail';
import { UserRepository } from '../../domain/user.repository.port';
import { Argon2PasswordHasher } from '../../domain/password-hasher';
import { UsernameTakenError } from '../../domain/user.errors';
import { SignUpCommand } from './sign-up.command';
import { SignUpHandler } from './sign-up.handler';

describe('SignUpHandler', () => {
  const hasher = new Argon2PasswordHasher();
  const record = jest.fn();
  const audit = { record } as unknown as AuditTrail;

  it('stores an argon2id hash, never the password', async () => {
    const create = jest.fn(async (user: { username: string; passwordHash: string }) => ({
      id: 'u1',
      legacySecretVersion: 1,
      ...user,
    }));
    const users: UserRepository = { create, findByUsername: jest.fn(), rotateLegacySecret: jest.fn() };
    const result = await new SignUpHandler(users, hasher, audit).execute(new SignUpCommand('alice', 'correct-horse'));
    expect(result).toEqual({ userId: 'u1' });
    expect(record).toHaveBeenCalledWith({ userId: 'u1', action: 'user.signed_up', outcome: 'OK' });
    const stored = create.mock.calls[0][0];
    expect(stored.username).toBe('alice');
    expect(stored.passwordHash).toMatch(/^\$argon2id\$/);
    expect(stored.passwordHash).not.toContain('correct-horse');
    expect(await hasher.verify(stored.passwordHash, 'correct-horse')).toBe(true);
    expect(await hasher.verify(stored.passwordHash, 'wrong')).toBe(false);
  });

  it('lets the repository decide uniqueness and passes its error on', async () => {
    const users: UserRepository = {
      create: jest.fn(async () => {
        throw new UsernameTakenError('alice');
      }),
      findByUsername: jest.fn(),
      rotateLegacySecret: jest.fn(),
    };
    await expect(
      new SignUpHandler(users, hasher, audit).execute(new SignUpCommand('alice', 'pw-long-enough')),
    ).rejects.toMatchObject({
      code: 'USERNAME_TAKEN',
    });
  });
});
