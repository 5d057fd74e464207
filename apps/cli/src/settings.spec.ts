import { UsageError } from './errors';
import { DEFAULT_URL, defaultCaCandidates, normalizeUrl, resolveCa, resolveUrl } from './settings';

const session = { url: 'https://saved:8443', username: 'a', accessToken: 't', expiresAt: '2030-01-01T00:00:00Z' };

describe('resolveUrl', () => {
  it('takes --url, then IOTCLOUD_URL, then the saved session, then the default', () => {
    expect(resolveUrl('https://flag:1', { IOTCLOUD_URL: 'https://env:2' }, session)).toBe('https://flag:1');
    expect(resolveUrl(undefined, { IOTCLOUD_URL: 'https://env:2' }, session)).toBe('https://env:2');
    expect(resolveUrl(undefined, {}, session)).toBe('https://saved:8443');
    expect(resolveUrl(undefined, { IOTCLOUD_URL: '' }, undefined)).toBe(DEFAULT_URL);
  });

  it('normalizes trailing slashes and default ports', () => {
    expect(normalizeUrl('https://gw:443/', 'x')).toBe('https://gw');
    expect(normalizeUrl('https://gw:8443/api//', 'x')).toBe('https://gw:8443/api');
  });

  it.each(['http://localhost:8443', 'localhost:8443', 'not a url', 'https://u:p@gw', 'https://gw/?a=1'])(
    'rejects %s as a usage error naming its source',
    (url) => {
      expect(() => resolveUrl(url, {}, undefined)).toThrow(UsageError);
      expect(() => resolveUrl(url, {}, undefined)).toThrow(/--url/);
      expect(() => resolveUrl(undefined, { IOTCLOUD_URL: url }, undefined)).toThrow(/IOTCLOUD_URL/);
    },
  );
});

describe('resolveCa', () => {
  const pem = Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  const files: Record<string, Buffer> = {
    '/flag.pem': pem,
    '/env.pem': pem,
    '/repo/certs/rootca.pem': pem,
    '/junk.pem': Buffer.from('hello'),
  };
  const read = (path: string): Buffer => {
    const content = files[path];
    if (!content) throw new Error(`ENOENT: no such file, open '${path}'`);
    return content;
  };
  const exists = (path: string): boolean => path in files;

  it('takes --ca over IOTCLOUD_CA over the default candidates', () => {
    expect(resolveCa('/flag.pem', { IOTCLOUD_CA: '/env.pem' }, ['/repo/certs/rootca.pem'], read, exists).caFile).toBe(
      '/flag.pem',
    );
    expect(resolveCa(undefined, { IOTCLOUD_CA: '/env.pem' }, ['/repo/certs/rootca.pem'], read, exists).caFile).toBe(
      '/env.pem',
    );
    expect(resolveCa(undefined, {}, ['/missing.pem', '/repo/certs/rootca.pem'], read, exists)).toEqual({
      ca: pem,
      caFile: '/repo/certs/rootca.pem',
    });
  });

  it('falls back to the system store (no ca) when no default exists', () => {
    expect(resolveCa(undefined, {}, ['/missing.pem'], read, exists)).toEqual({});
  });

  it('resolves a relative --ca against the given working directory', () => {
    expect(resolveCa('rootca.pem', {}, [], read, exists, '/repo/certs').caFile).toBe('/repo/certs/rootca.pem');
  });

  it('is a usage error when an explicit CA file is missing or not PEM', () => {
    expect(() => resolveCa('/nope.pem', {}, [], read, exists)).toThrow(
      /cannot read the CA file \/nope.pem \(from --ca\)/,
    );
    expect(() => resolveCa(undefined, { IOTCLOUD_CA: '/nope.pem' }, [], read, exists)).toThrow(/from IOTCLOUD_CA/);
    expect(() => resolveCa('/junk.pem', {}, [], read, exists)).toThrow(/holds no PEM certificate/);
  });
});

describe('defaultCaCandidates', () => {
  it('looks in the repository of the code (source or build), then in the working directory', () => {
    expect(defaultCaCandidates('/repo/apps/cli/src', '/home/me')).toEqual([
      '/repo/certs/rootca.pem',
      '/home/me/certs/rootca.pem',
    ]);
    expect(defaultCaCandidates('/repo/dist/apps/cli/apps/cli/src', '/repo')).toEqual(['/repo/certs/rootca.pem']);
  });
});
