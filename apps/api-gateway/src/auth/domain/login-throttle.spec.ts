import { InMemoryLoginFailureStore, LoginThrottle, TooManyLoginAttemptsError } from './login-throttle';

describe('LoginThrottle', () => {
  const limits = { perUsername: 3, perAddress: 5, windowMs: 60_000 };
  const throttle = () => new LoginThrottle(limits, new InMemoryLoginFailureStore());

  it('refuses a username after its failures, until the window ends', async () => {
    const t = throttle();
    for (let i = 0; i < 3; i++) {
      await t.check('alice', '10.0.0.1', 1000);
      await t.recordFailure('alice', '10.0.0.1', 1000);
    }
    await expect(t.check('alice', '10.0.0.2', 2000)).rejects.toThrow(TooManyLoginAttemptsError);
    await expect(t.check('ALICE', '10.0.0.3', 2000)).rejects.toThrow(TooManyLoginAttemptsError);
    await expect(t.check('bob', '10.0.0.2', 2000)).resolves.toBeUndefined();
    await expect(t.check('alice', '10.0.0.2', 61_001)).resolves.toBeUndefined();
  });

  it('refuses an address that guesses across many usernames', async () => {
    const t = throttle();
    for (let i = 0; i < 5; i++) await t.recordFailure(`user${i}`, '10.0.0.9', 1000);
    await expect(t.check('someone-new', '10.0.0.9', 1000)).rejects.toThrow(TooManyLoginAttemptsError);
    await expect(t.check('someone-new', '10.0.0.8', 1000)).resolves.toBeUndefined();
  });

  it('says when to retry, and a success clears the username', async () => {
    const t = throttle();
    for (let i = 0; i < 2; i++) await t.recordFailure('carol', '10.0.0.1', 0);
    await t.recordSuccess('carol');
    await t.recordFailure('carol', '10.0.0.1', 0);
    await expect(t.check('carol', '10.0.0.1', 0)).resolves.toBeUndefined();
    for (let i = 0; i < 3; i++) await t.recordFailure('dave', '10.0.0.2', 0);
    await expect(t.check('dave', '10.0.0.2', 30_000)).rejects.toMatchObject({
      code: 'TOO_MANY_LOGIN_ATTEMPTS',
      retryAfterSeconds: 30,
    });
  });
});
