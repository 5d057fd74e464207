import { formatIpAddress, ipAddressBytes, serverNames } from './host-names';
import { randomSerial } from './keys';

describe('serverNames', () => {
  it('always adds localhost, 127.0.0.1 and ::1, and classifies IPs', () => {
    const names = serverNames(['Broker.Example.COM.', '192.168.1.10', '[2001:db8::7]', ' localhost ']);
    expect(names.commonName).toBe('broker.example.com');
    expect(names.dns).toEqual(['broker.example.com', 'localhost']);
    expect(names.ip.map(formatIpAddress)).toEqual(['192.168.1.10', '2001:db8::7', '127.0.0.1', '::1']);
  });

  it('uses localhost as CN when no host name is given', () => {
    expect(serverNames([]).commonName).toBe('localhost');
  });

  it('accepts single-label and wildcard names, rejects junk', () => {
    expect(serverNames(['rabbitmq', 'api_gateway', '*.iot.example']).dns).toContain('*.iot.example');
    for (const bad of ['a b', 'exa$mple.com', '*.com', 'foo.*.com', '-lead.example', 'fe80::1%eth0']) {
      expect(() => serverNames([bad])).toThrow(RangeError);
    }
  });
});

describe('ipAddressBytes', () => {
  it.each([
    ['127.0.0.1', '7f000001'],
    ['::1', '00000000000000000000000000000001'],
    ['::', '00000000000000000000000000000000'],
    ['2001:db8::8a2e:370:7334', '20010db80000000000008a2e03707334'],
    ['fe80::', 'fe800000000000000000000000000000'],
    ['::ffff:10.0.0.1', '00000000000000000000ffff0a000001'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
  ])('%s', (address, hex) => {
    expect(ipAddressBytes(address).toString('hex')).toBe(hex);
  });
});

describe('randomSerial', () => {
  it('is positive, minimally encoded and at least 64 bits', () => {
    for (let i = 0; i < 2000; i++) {
      const { der, hex } = randomSerial();
      expect(der[0] & 0x80).toBe(0);
      if (der.length > 1) expect(der[0] === 0 && der[1] < 0x80).toBe(false);
      expect(BigInt(`0x${hex}`)).toBeGreaterThanOrEqual(2n ** 63n);
      expect(BigInt(`0x${hex}`)).toBe(BigInt(`0x${der.toString('hex')}`));
    }
  });
});
