import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore, StoredSession, configPath } from './config-store';
import { NotLoggedInError } from './errors';

const session: StoredSession = {
  url: 'https://localhost:8443',
  username: 'alice',
  accessToken: 'eyJ.token.sig',
  expiresAt: '2030-01-01T00:00:00.000Z',
};

describe('configPath', () => {
  it('prefers IOTCLOUD_CONFIG, then XDG_CONFIG_HOME, then ~/.config', () => {
    expect(configPath({ IOTCLOUD_CONFIG: '/etc/x.json', XDG_CONFIG_HOME: '/xdg' }, '/home/a')).toBe('/etc/x.json');
    expect(configPath({ XDG_CONFIG_HOME: '/xdg' }, '/home/a')).toBe('/xdg/iotcloud/config.json');
    expect(configPath({}, '/home/a')).toBe('/home/a/.config/iotcloud/config.json');
  });

  it('ignores empty variables', () => {
    expect(configPath({ IOTCLOUD_CONFIG: '', XDG_CONFIG_HOME: '' }, '/home/a')).toBe(
      '/home/a/.config/iotcloud/config.json',
    );
  });
});

describe('ConfigStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'iotcloud-cli-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the session with mode 0600 in a new 0700 directory, and reads it back', () => {
    const store = new ConfigStore(join(dir, 'nested', 'iotcloud', 'config.json'));
    store.write(session);

    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'nested', 'iotcloud')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'nested')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(store.path, 'utf8'))).toEqual(session);
    expect(store.read()).toEqual(session);
  });

  it('tightens an existing world-readable file to 0600 when it rewrites it', () => {
    const path = join(dir, 'config.json');
    writeFileSync(path, '{}');
    chmodSync(path, 0o644);
    new ConfigStore(path).write(session);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('reads nothing when there is no file', () => {
    expect(new ConfigStore(join(dir, 'none.json')).read()).toBeUndefined();
  });

  it('says to log in again when the file is not a session', () => {
    const path = join(dir, 'config.json');
    writeFileSync(path, '{"url": "https://x"}');
    expect(() => new ConfigStore(path).read()).toThrow(NotLoggedInError);
    writeFileSync(path, 'not json');
    expect(() => new ConfigStore(path).read()).toThrow(/run iotcloud login/);
  });

  it('clears the session, and says when there was none', () => {
    const store = new ConfigStore(join(dir, 'config.json'));
    store.write(session);
    expect(store.clear()).toBe(true);
    expect(store.read()).toBeUndefined();
    expect(store.clear()).toBe(false);
  });

  it('leaves no temporary files behind', () => {
    const store = new ConfigStore(join(dir, 'config.json'));
    store.write(session);
    store.write({ ...session, username: 'bob' });
    expect(readdirSync(dir)).toEqual(['config.json']);
    expect(store.read()?.username).toBe('bob');
  });
});
