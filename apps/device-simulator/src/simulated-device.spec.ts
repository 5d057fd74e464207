import { NetworkInterfaceInfo } from 'node:os';
import { DEVICE_APIS, DeviceBadReplyError, decodeDeviceReply, parseDeviceReply } from '@app/device-protocol';
import { SimulatorLogger } from './logger';
import {
  BAD_REPLY_PAYLOAD,
  FALLBACK_NETWORK,
  NON_JSON_REPLY,
  SimulatedDevice,
  SimulatedDeviceOptions,
  defaultNetwork,
  macFromDeviceId,
} from './simulated-device';

const ID = '3f9c2a1e7b4d4c0e9a8f6b5d4c3b2a19';

function capture(): SimulatorLogger & { infos: string[]; warnings: string[] } {
  const infos: string[] = [];
  const warnings: string[] = [];
  return { infos, warnings, info: (line) => infos.push(line), warn: (line) => warnings.push(line) };
}

/** A clock the test moves by hand. */
function fakeClock(startMs: number): { now: () => number; advance: (ms: number) => void } {
  let time = startMs;
  return { now: () => time, advance: (ms) => (time += ms) };
}

function device(options: Partial<SimulatedDeviceOptions> = {}): SimulatedDevice {
  return new SimulatedDevice({
    deviceId: ID,
    ip: '10.0.0.5',
    subnet: '255.255.0.0',
    gateway: '10.0.0.1',
    logger: capture(),
    ...options,
  });
}

describe('SimulatedDevice: every api', () => {
  it('get_status answers running', () => {
    expect(device().handle('get_status', {})).toEqual({ status: 'running' });
  });

  it('set_status restart answers restarting and signals a restart', () => {
    const onRestartRequested = jest.fn();
    const dev = device({ onRestartRequested });
    expect(dev.handle('set_status', { status: 'restart' })).toEqual({ status: 'restarting' });
    expect(onRestartRequested).toHaveBeenCalledTimes(1);
    expect(dev.restartRequests).toBe(1);
    const response = dev.respond('set_status', '{"status":"restart"}');
    expect(response).toMatchObject({ kind: 'reply', reply: { status: 'restarting' }, restart: true });
    expect(onRestartRequested).toHaveBeenCalledTimes(2);
  });

  it('other apis never ask for a restart', () => {
    const dev = device();
    expect(dev.respond('get_status', '{}')).toMatchObject({ kind: 'reply', restart: false });
    expect(dev.respond('set_gpio', '{"number":1,"value":1}')).toMatchObject({ kind: 'reply', restart: false });
    expect(dev.restartRequests).toBe(0);
  });

  it('remembers GPIO levels per pin, default 0', () => {
    const dev = device();
    expect(dev.handle('get_gpio', { number: 3 })).toEqual({ number: 3, value: 0 });
    expect(dev.handle('set_gpio', { number: 3, value: 1 })).toEqual({ number: 3, value: 1 });
    expect(dev.handle('set_gpio', { number: 200, value: 1 })).toEqual({ number: 200, value: 1 });
    expect(dev.handle('get_gpio', { number: 3 })).toEqual({ number: 3, value: 1 });
    expect(dev.handle('get_gpio', { number: 4 })).toEqual({ number: 4, value: 0 });
    expect(dev.handle('set_gpio', { number: 3, value: 0 })).toEqual({ number: 3, value: 0 });
    expect(dev.handle('get_gpio', { number: 3 })).toEqual({ number: 3, value: 0 });
    expect(dev.handle('get_gpio', { number: 200 })).toEqual({ number: 200, value: 1 });
  });

  it('keeps each device its own GPIO state', () => {
    const a = device();
    const b = device({ deviceId: '0123456789abcdef0123456789abcdef' });
    a.handle('set_gpio', { number: 7, value: 1 });
    expect(b.handle('get_gpio', { number: 7 })).toEqual({ number: 7, value: 0 });
  });

  it('reboot resets GPIO but keeps RTC and MAC', () => {
    const clock = fakeClock(1_000_000);
    const dev = device({ clock: clock.now });
    dev.handle('set_gpio', { number: 9, value: 1 });
    dev.handle('set_rtc', { value: 1_700_000_000 });
    dev.handle('set_mac', { value: '44:d5:f2:00:10:2b' });
    dev.reboot();
    expect(dev.bootCount).toBe(2);
    expect(dev.handle('get_gpio', { number: 9 })).toEqual({ number: 9, value: 0 });
    expect(dev.handle('get_rtc', {})).toEqual({ value: 1_700_000_000 });
    expect(dev.handle('get_mac', {})).toEqual({ value: '44:d5:f2:00:10:2b' });
  });

  it('set_rtc sets the RTC, which then ticks with the clock', () => {
    const clock = fakeClock(1_234_567);
    const dev = device({ clock: clock.now });
    expect(dev.handle('set_rtc', { value: 1_700_000_000 })).toEqual({ value: 1_700_000_000 });
    expect(dev.handle('get_rtc', {})).toEqual({ value: 1_700_000_000 });
    clock.advance(999);
    expect(dev.handle('get_rtc', {})).toEqual({ value: 1_700_000_000 });
    clock.advance(1);
    expect(dev.handle('get_rtc', {})).toEqual({ value: 1_700_000_001 });
    clock.advance(3_600_000);
    expect(dev.handle('get_rtc', {})).toEqual({ value: 1_700_003_601 });
  });

  it('starts the RTC at the clock time (Unix seconds) unless told otherwise', () => {
    expect(device({ clock: () => 1_650_000_000_999 }).handle('get_rtc', {})).toEqual({ value: 1_650_000_000 });
    expect(device({ clock: () => 5_000, rtc: 42 }).handle('get_rtc', {})).toEqual({ value: 42 });
  });

  it('wraps the RTC like an unsigned 32-bit counter, so it never sends an invalid value', () => {
    const clock = fakeClock(0);
    const dev = device({ clock: clock.now, rtc: 4_294_967_295 });
    clock.advance(1000);
    expect(dev.handle('get_rtc', {})).toEqual({ value: 0 });
  });

  it('reports MAC, IP, subnet and gateway from the options', () => {
    const dev = device({ mac: 'AA:BB:CC:DD:EE:01', ip: '172.16.5.9', subnet: '255.255.240.0', gateway: '172.16.0.1' });
    expect(dev.handle('get_mac', {})).toEqual({ value: 'aa:bb:cc:dd:ee:01' });
    expect(dev.handle('get_ip', {})).toEqual({ value: '172.16.5.9' });
    expect(dev.handle('get_subnet', {})).toEqual({ value: '255.255.240.0' });
    expect(dev.handle('get_gateway', {})).toEqual({ value: '172.16.0.1' });
  });

  it('set_mac changes the MAC that get_mac reports', () => {
    const dev = device();
    expect(dev.handle('set_mac', { value: '44:D5:F2:00:10:2B' })).toEqual({ value: '44:d5:f2:00:10:2b' });
    expect(dev.handle('get_mac', {})).toEqual({ value: '44:d5:f2:00:10:2b' });
  });

  it('write_uart echoes the data and logs it', () => {
    const logger = capture();
    const dev = device({ logger, name: 'bench-1' });
    expect(dev.handle('write_uart', { data: 'hello\r\n' })).toEqual({ data: 'hello\r\n' });
    expect(dev.handle('write_uart', { data: '' })).toEqual({ data: '' });
    expect(logger.infos).toEqual(['[sim bench-1] uart> "hello\\r\\n"', '[sim bench-1] uart> ""']);
  });

  it.each(DEVICE_APIS)('%s: every reply passes the platform reply validation', (api) => {
    const requests: Record<string, object> = {
      set_status: { status: 'restart' },
      get_gpio: { number: 1 },
      set_gpio: { number: 1, value: 1 },
      set_rtc: { value: 5 },
      set_mac: { value: '02:00:00:00:00:01' },
      write_uart: { data: 'x' },
    };
    const response = device().respond(api, JSON.stringify(requests[api] ?? {}));
    expect(response.kind).toBe('reply');
    if (response.kind !== 'reply') return;
    expect(decodeDeviceReply(api, response.body)).toEqual(response.reply);
  });
});

describe('SimulatedDevice: defaults', () => {
  it('derives a locally administered unicast MAC from the device id', () => {
    expect(macFromDeviceId(ID)).toBe('02:3f:9c:2a:1e:7b');
    const mac = device({ mac: undefined }).mac;
    expect(mac).toBe('02:3f:9c:2a:1e:7b');
    const firstOctet = parseInt(mac.slice(0, 2), 16);
    expect(firstOctet & 0b10).toBe(0b10); // locally administered
    expect(firstOctet & 0b1).toBe(0); // unicast
  });

  const iface = (address: string, netmask: string, internal = false): NetworkInterfaceInfo => ({
    address,
    netmask,
    family: 'IPv4',
    mac: '00:00:00:00:00:00',
    internal,
    cidr: null,
  });

  it('uses the first non-internal IPv4 interface, gateway = first host of its subnet', () => {
    const interfaces = (): NodeJS.Dict<NetworkInterfaceInfo[]> => ({
      lo: [iface('127.0.0.1', '255.0.0.0', true)],
      eth0: [
        { ...iface('fe80::1', 'ffff:ffff:ffff:ffff::'), family: 'IPv6', scopeid: 1 },
        iface('10.20.30.40', '255.255.255.0'),
      ],
    });
    expect(defaultNetwork(interfaces)).toEqual({ ip: '10.20.30.40', subnet: '255.255.255.0', gateway: '10.20.30.1' });
    const dev = new SimulatedDevice({ deviceId: ID, networkInterfaces: interfaces, logger: capture() });
    expect(dev.handle('get_ip', {})).toEqual({ value: '10.20.30.40' });
    expect(dev.handle('get_subnet', {})).toEqual({ value: '255.255.255.0' });
    expect(dev.handle('get_gateway', {})).toEqual({ value: '10.20.30.1' });
  });

  it('picks another gateway when the host itself is the first address', () => {
    const interfaces = (): NodeJS.Dict<NetworkInterfaceInfo[]> => ({ eth0: [iface('192.168.7.1', '255.255.255.0')] });
    expect(defaultNetwork(interfaces).gateway).toBe('192.168.7.254');
  });

  it('falls back to 192.168.1.100/255.255.255.0/192.168.1.1 without a usable interface', () => {
    const interfaces = (): NodeJS.Dict<NetworkInterfaceInfo[]> => ({ lo: [iface('127.0.0.1', '255.0.0.0', true)] });
    expect(defaultNetwork(interfaces)).toEqual({
      ip: '192.168.1.100',
      subnet: '255.255.255.0',
      gateway: '192.168.1.1',
    });
    expect(FALLBACK_NETWORK.ip).toBe('192.168.1.100');
    const failing = (): NodeJS.Dict<NetworkInterfaceInfo[]> => {
      throw new Error('EPERM');
    };
    expect(defaultNetwork(failing)).toEqual(FALLBACK_NETWORK);
  });

  it('an ip of its own gets a /24 and its first host as gateway, not the host interface', () => {
    const interfaces = (): NodeJS.Dict<NetworkInterfaceInfo[]> => ({ eth0: [iface('10.1.1.1', '255.0.0.0')] });
    const dev = new SimulatedDevice({
      deviceId: ID,
      ip: '192.168.50.2',
      networkInterfaces: interfaces,
      logger: capture(),
    });
    expect([dev.ip, dev.subnet, dev.gateway]).toEqual(['192.168.50.2', '255.255.255.0', '192.168.50.1']);
    const wide = new SimulatedDevice({ deviceId: ID, ip: '172.20.3.4', subnet: '255.255.0.0', logger: capture() });
    expect(wide.gateway).toBe('172.20.0.1');
  });

  it('the host interface parts can be overridden one by one', () => {
    const interfaces = (): NodeJS.Dict<NetworkInterfaceInfo[]> => ({ eth0: [iface('10.1.1.9', '255.0.0.0')] });
    const dev = new SimulatedDevice({
      deviceId: ID,
      gateway: '10.0.0.254',
      networkInterfaces: interfaces,
      logger: capture(),
    });
    expect([dev.ip, dev.subnet, dev.gateway]).toEqual(['10.1.1.9', '255.0.0.0', '10.0.0.254']);
  });

  it('refuses options the protocol could not carry', () => {
    expect(() => device({ deviceId: 'ABC' })).toThrow(/invalid device id/);
    expect(() => device({ mac: 'aa:bb:cc' })).toThrow(/^mac "aa:bb:cc" must be a MAC address/);
    expect(() => device({ ip: '10.0.0.01' })).toThrow(/^ip "10.0.0.01" must be a dotted-quad/);
    expect(() => device({ gateway: '300.1.1.1' })).toThrow(/^gateway/);
    expect(() => device({ replyDelayMs: -1 })).toThrow(/replyDelayMs/);
    expect(() => device({ silentApis: ['reboot' as never] })).toThrow(/silentApis: unknown api "reboot"/);
  });
});

describe('SimulatedDevice: invalid requests get no reply', () => {
  it.each([
    ['get_gpio', { number: 'x' }, 'get_gpio request: field "number" must be an integer from 0 to 255'],
    ['set_gpio', { number: 1, value: true }, 'field "value" must be 0 or 1'],
    ['set_status', { status: 'reboot' }, 'field "status" must be "restart"'],
    ['set_rtc', { value: -1 }, 'field "value" must be an integer'],
    ['set_mac', {}, 'field "value" is required'],
    ['get_status', [], 'payload must be a JSON object'],
  ] as const)('%s %j', (api, payload, message) => {
    const logger = capture();
    const dev = device({ logger });
    expect(dev.handle(api, payload)).toBeNull();
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toContain(message);
    expect(logger.warnings[0]).toContain('no reply');
  });

  it('an invalid request changes nothing', () => {
    const onRestartRequested = jest.fn();
    const dev = device({ onRestartRequested });
    dev.handle('set_gpio', { number: 3, value: 2 });
    dev.handle('set_status', { status: 'stop' });
    expect(dev.gpio(3)).toBe(0);
    expect(onRestartRequested).not.toHaveBeenCalled();
  });

  it('respond: a body that is not JSON is dropped and logged', () => {
    const logger = capture();
    const response = device({ logger }).respond('get_status', 'hello');
    expect(response).toMatchObject({ kind: 'none', reason: 'invalid-request', restart: false });
    expect(logger.warnings[0]).toContain('get_status request: payload is not JSON');
  });

  it('respond: invalid UTF-8 is dropped', () => {
    expect(device().respond('get_status', Buffer.from([0xff, 0xfe]))).toMatchObject({
      kind: 'none',
      reason: 'invalid-request',
    });
  });

  it('respond: an unknown api is ignored silently', () => {
    const logger = capture();
    expect(device({ logger }).respond('reboot', '{}')).toMatchObject({ kind: 'none', reason: 'unknown-api' });
    expect(device({ logger }).handle('reboot', {})).toBeNull();
    expect(logger.warnings).toEqual([]);
  });

  it('respond: trailing NUL bytes (C strings) are accepted', () => {
    const response = device().respond('get_gpio', Buffer.from('{"number":5}\0\0'));
    expect(response).toMatchObject({ kind: 'reply', reply: { number: 5, value: 0 } });
  });
});

describe('SimulatedDevice: faults', () => {
  it('replyDelayMs is passed on with every reply', () => {
    const dev = device({ replyDelayMs: 250 });
    expect(dev.respond('get_status', '{}')).toMatchObject({ kind: 'reply', delayMs: 250 });
    expect(device().respond('get_status', '{}')).toMatchObject({ kind: 'reply', delayMs: 0 });
  });

  it.each(DEVICE_APIS)('badReplyApis: %s gets {"value":"banana"}, which the platform rejects', (api) => {
    const dev = device({ badReplyApis: [api] });
    const requests: Record<string, string> = {
      set_status: '{"status":"restart"}',
      get_gpio: '{"number":1}',
      set_gpio: '{"number":1,"value":1}',
      set_rtc: '{"value":5}',
      set_mac: '{"value":"02:00:00:00:00:01"}',
      write_uart: '{"data":"x"}',
    };
    const response = dev.respond(api, requests[api] ?? '{}');
    expect(response).toMatchObject({ kind: 'reply', fault: 'bad-reply', reply: BAD_REPLY_PAYLOAD });
    if (response.kind !== 'reply') return;
    expect(response.body.toString()).toBe('{"value":"banana"}');
    expect(() => decodeDeviceReply(api, response.body)).toThrow(DeviceBadReplyError);
  });

  it('badReplyApis only touches the apis listed, and the request still takes effect', () => {
    const dev = device({ badReplyApis: ['set_gpio'] });
    expect(dev.respond('set_gpio', '{"number":2,"value":1}')).toMatchObject({ fault: 'bad-reply' });
    expect(dev.gpio(2)).toBe(1);
    expect(dev.respond('get_gpio', '{"number":2}')).toMatchObject({ reply: { number: 2, value: 1 } });
    expect(dev.respond('get_gpio', '{"number":2}')).not.toHaveProperty('fault');
  });

  it('nonJsonReplyApis answers the raw bytes "not json"', () => {
    const dev = device({ nonJsonReplyApis: ['get_rtc'], replyDelayMs: 10 });
    const response = dev.respond('get_rtc', '{}');
    expect(response).toMatchObject({ kind: 'reply', fault: 'non-json', reply: null, delayMs: 10 });
    if (response.kind !== 'reply') return;
    expect(response.body.toString()).toBe(NON_JSON_REPLY);
    expect(() => decodeDeviceReply('get_rtc', response.body)).toThrow(/not valid UTF-8 JSON/);
  });

  it('silentApis never answer, but the request still takes effect', () => {
    const dev = device({ silentApis: ['set_gpio', 'set_status'], badReplyApis: ['set_gpio'] });
    expect(dev.respond('set_gpio', '{"number":4,"value":1}')).toMatchObject({ kind: 'none', reason: 'silent' });
    expect(dev.gpio(4)).toBe(1);
    expect(dev.respond('set_status', '{"status":"restart"}')).toMatchObject({
      kind: 'none',
      reason: 'silent',
      restart: true,
    });
    expect(dev.respond('get_status', '{}')).toMatchObject({ kind: 'reply' });
  });

  it('faults can be changed at run time', () => {
    const dev = device();
    dev.setFaults({ silentApis: ['get_ip'], replyDelayMs: 5 });
    expect(dev.respond('get_ip', '{}')).toMatchObject({ kind: 'none', reason: 'silent' });
    dev.faults.silentApis.clear();
    expect(dev.respond('get_ip', '{}')).toMatchObject({ kind: 'reply', delayMs: 5 });
    expect(() => dev.setFaults({ badReplyApis: ['nope' as never] })).toThrow(/unknown api/);
  });

  it('handle() ignores faults: it is the protocol behaviour', () => {
    const dev = device({ silentApis: ['get_status'], badReplyApis: ['get_ip'] });
    expect(dev.handle('get_status', {})).toEqual({ status: 'running' });
    expect(parseDeviceReply('get_ip', dev.handle('get_ip', {}))).toEqual({ value: '10.0.0.5' });
  });
});
