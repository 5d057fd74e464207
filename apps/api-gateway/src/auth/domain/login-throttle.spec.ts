import { LoginThrottle, TooManyLoginAttemptsError } from './login-throttle';

describe('LoginThrottle', () => {
  const limits = { perUsername: 3, perAddress: 5, windowMs: 60_000 };

  it('refuses a username after its failures, until the window ends', () => {
    const throttle = new LoginThrottle(limits);
    for (let i = 0; i < 3; i++) {
      throttle.check('alice', '10.0.0.1', 1000);
      throttle.recordFailure('alice', '10.0.0.1', 1000);
    }
    expect(() => throttle.check('alice', '10.0.0.2', 2000)).toThrow(TooManyLoginAttemptsError);
    expect(() => throttle.check('ALICE', '10.0.0.3', 2000)).toThrow(TooManyLoginAttemptsError);
    expect(() => throttle.check('bob', '10.0.0.2', 2000)).not.toThrow();
    expect(() => throttle.check('alice', '10.0.0.2', 61_001)).not.toThrow();
  });

  it('refuses an address that guesses across many usernames', () => {
    const throttle = new LoginThrottle(limits);
    for (let i = 0; i < 5; i++) throttle.recordFailure(`user${i}`, '10.0.0.9', 1000);
    expect(() => throttle.check('someone-new', '10.0.0.9', 1000)).toThrow(TooManyLoginAttemptsError);
    expect(() => throttle.check('someone-new', '10.0.0.8', 1000)).not.toThrow();
  });

  it('says when to retry, and a success clears the username', () => {
    const throttle = new LoginThrottle(limits);
    for (let i = 0; i < 2; i++) throttle.recordFailure('carol', '10.0.0.1', 0);
    throttle.recordSuccess('carol');
    throttle.recordFailure('carol', '10.0.0.1', 0);
    expect(() => throttle.check('carol', '10.0.0.1', 0)).not.toThrow();
    for (let i = 0; i < 3; i++) throttle.recordFailure('dave', '10.0.0.2', 0);
    try {
      throttle.check('dave', '10.0.0.2', 30_000);
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toMatchObject({ code: 'TOO_MANY_LOGIN_ATTEMPTS', retryAfterSeconds: 30 });
    }
  });
});
