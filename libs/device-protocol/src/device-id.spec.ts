import { generateDeviceId, isValidDeviceId } from './index';

describe('device ids', () => {
  it('generates 32 lowercase hex characters', () => {
    const id = generateDeviceId();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(isValidDeviceId(id)).toBe(true);
  });

  it('generates unique ids across 1000 calls', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => generateDeviceId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(isValidDeviceId(id)).toBe(true);
  });

  it('accepts a well-formed id', () => {
    expect(isValidDeviceId('0123456789abcdef0123456789abcdef')).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['dot', '0123456789abcdef.123456789abcdef'],
    ['slash', '0123456789abcdef/123456789abcdef'],
    ['hash', '0123456789abcdef#123456789abcdef'],
    ['plus', '0123456789abcdef+123456789abcdef'],
    ['star', '0123456789abcdef*123456789abcdef'],
    ['uppercase', '0123456789ABCDEF0123456789ABCDEF'],
    ['too short', '0123456789abcdef0123456789abcde'],
    ['too long', '0123456789abcdef0123456789abcdef0'],
    ['non-hex', '0123456789abcdef0123456789abcdeg'],
    ['trailing newline', '0123456789abcdef0123456789abcdef\n'],
    ['uuid with dashes', '01234567-89ab-cdef-0123-456789abcdef'],
  ])('rejects %s', (_label, value) => {
    expect(isValidDeviceId(value)).toBe(false);
  });
});
