import { LegacySecrets } from './legacy-secret';

describe('LegacySecrets', () => {
  const secrets = new LegacySecrets('k'.repeat(64));

  it('derives the same 256-bit secret every time for a user and version', () => {
    const secret = secrets.derive('user-1', 1);
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(secrets.derive('user-1', 1)).toBe(secret);
    expect(secrets.matches('user-1', 1, secret)).toBe(true);
  });

  it('changes with the version (rotation), the user and the server key', () => {
    const secret = secrets.derive('user-1', 1);
    expect(secrets.derive('user-1', 2)).not.toBe(secret);
    expect(secrets.derive('user-2', 1)).not.toBe(secret);
    expect(new LegacySecrets('x'.repeat(64)).derive('user-1', 1)).not.toBe(secret);
    expect(secrets.matches('user-1', 2, secret)).toBe(false);
    expect(secrets.matches('user-1', 1, 'short')).toBe(false);
  });
});
