import { compileTrustProxy } from './http-adapter';

describe('compileTrustProxy (TRUST_PROXY, with Express trust proxy values)', () => {
  it('trusts no proxy when false, every proxy when true', () => {
    expect(compileTrustProxy(false)('127.0.0.1', 0)).toBe(false);
    expect(compileTrustProxy(true)('203.0.113.9', 5)).toBe(true);
  });

  it('trusts a number of hops', () => {
    const trust = compileTrustProxy(2);
    expect([0, 1, 2].map((hop) => trust('203.0.113.9', hop))).toEqual([true, true, false]);
  });

  it('trusts listed addresses, subnets and names', () => {
    const trust = compileTrustProxy('loopback, 10.0.0.0/8');
    expect(trust('127.0.0.1', 0)).toBe(true);
    expect(trust('::1', 0)).toBe(true);
    expect(trust('10.1.2.3', 1)).toBe(true);
    expect(trust('192.0.2.1', 0)).toBe(false);
  });
});
