import { NotLoggedInError } from '../errors';
import { requireToken } from './context';

const session = {
  url: 'https://gw:8443',
  username: 'alice',
  accessToken: 'tok',
  expiresAt: '2030-01-01T00:00:00.000Z',
};
const now = Date.parse('2029-12-31T23:00:00.000Z');

describe('requireToken', () => {
  it('returns the token of a live session for this gateway', () => {
    expect(requireToken(session, 'https://gw:8443', now)).toBe('tok');
  });

  it('says to log in when there is no session', () => {
    expect(() => requireToken(undefined, 'https://gw:8443', now)).toThrow(/Not logged in: run iotcloud login/);
  });

  it('refuses a token issued by another gateway', () => {
    expect(() => requireToken(session, 'https://other:8443', now)).toThrow(
      /logged in to https:\/\/gw:8443, not https:\/\/other:8443/,
    );
  });

  it('refuses an expired token with TOKEN_EXPIRED', () => {
    const error = (() => {
      try {
        requireToken(session, 'https://gw:8443', Date.parse('2030-01-01T00:00:00.000Z'));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(NotLoggedInError);
    expect(error).toMatchObject({
      code: 'TOKEN_EXPIRED',
      message: expect.stringContaining('run iotcloud login alice'),
    });
  });
});
