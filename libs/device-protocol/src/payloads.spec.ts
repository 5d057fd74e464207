import { DomainError } from '@app/common';
import {
  DEVICE_APIS,
  DeviceApi,
  DeviceBadReplyError,
  InvalidDeviceRequestError,
  decodeDeviceReply,
  encodePayload,
  isDeviceApi,
  parseDeviceReply,
  parseDeviceRequest,
} from './index';

/** A valid request and reply for every api, with what the parser should return. */
const VALID: { [A in DeviceApi]: { request: object; reply: object } } = {
  get_status: { request: {}, reply: { status: 'running' } },
  set_status: { request: { status: 'restart' }, reply: { status: 'restarting' } },
  get_gpio: { request: { number: 18 }, reply: { number: 18, value: 1 } },
  set_gpio: { request: { number: 18, value: 0 }, reply: { number: 18, value: 0 } },
  get_rtc: { request: {}, reply: { value: 1_700_000_000 } },
  set_rtc: { request: { value: 1_700_000_000 }, reply: { value: 1_700_000_000 } },
  get_mac: { request: {}, reply: { value: '44:d5:f2:00:10:2a' } },
  set_mac: { request: { value: '44:d5:f2:00:10:2a' }, reply: { value: '44:d5:f2:00:10:2a' } },
  get_ip: { request: {}, reply: { value: '192.168.1.10' } },
  get_subnet: { request: {}, reply: { value: '255.255.255.0' } },
  get_gateway: { request: {}, reply: { value: '192.168.1.1' } },
  write_uart: { request: { data: 'hello\r\n' }, reply: { data: 'hello\r\n' } },
};

type Case = [api: DeviceApi, payload: unknown, field: string | undefined];

function expectRequestError(api: DeviceApi, payload: unknown, field: string | undefined): InvalidDeviceRequestError {
  let caught: unknown;
  try {
    parseDeviceRequest(api, payload);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidDeviceRequestError);
  const error = caught as InvalidDeviceRequestError;
  expect(error).toBeInstanceOf(DomainError);
  expect(error.code).toBe('INVALID_DEVICE_REQUEST');
  expect(error.kind).toBe('invalid');
  expect(error.details.api).toBe(api);
  expect(error.details.field).toBe(field);
  expect(typeof error.details.reason).toBe('string');
  expect(error.message).toContain(`${api} request`);
  if (field !== undefined) expect(error.message).toContain(`field "${field}"`);
  return error;
}

function expectReplyError(api: DeviceApi, payload: unknown, field: string | undefined): DeviceBadReplyError {
  let caught: unknown;
  try {
    parseDeviceReply(api, payload);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DeviceBadReplyError);
  const error = caught as DeviceBadReplyError;
  expect(error).toBeInstanceOf(DomainError);
  expect(error.code).toBe('DEVICE_BAD_REPLY');
  expect(error.kind).toBe('bad_gateway');
  expect(error.details.api).toBe(api);
  expect(error.details.field).toBe(field);
  expect(error.message).toContain(`${api} reply`);
  if (field !== undefined) expect(error.message).toContain(`field "${field}"`);
  return error;
}

describe('DEVICE_APIS', () => {
  it('isDeviceApi accepts the apis and nothing else', () => {
    for (const api of DEVICE_APIS) expect(isDeviceApi(api)).toBe(true);
    for (const other of ['', 'GET_STATUS', 'get_status ', 'read_uart', 'toString', '__proto__', 'constructor']) {
      expect(isDeviceApi(other)).toBe(false);
    }
  });
});

describe('valid payloads', () => {
  it.each(DEVICE_APIS)('%s accepts a valid request and reply', (api) => {
    expect(parseDeviceRequest(api, VALID[api].request)).toEqual(VALID[api].request);
    expect(parseDeviceReply(api, VALID[api].reply)).toEqual(VALID[api].reply);
    expect(decodeDeviceReply(api, encodePayload(VALID[api].reply))).toEqual(VALID[api].reply);
  });

  it('drops unknown keys and returns a new object', () => {
    const request = { number: 3, value: 1, extra: true };
    const parsed = parseDeviceRequest('set_gpio', request);
    expect(parsed).toEqual({ number: 3, value: 1 });
    expect(parsed).not.toBe(request);
    expect(parseDeviceRequest('get_status', { verbose: true })).toEqual({});
    expect(parseDeviceReply('get_rtc', { value: 5, tz: 'UTC' })).toEqual({ value: 5 });
  });

  it('normalizes MAC addresses to lower case', () => {
    expect(parseDeviceRequest('set_mac', { value: 'AA:BB:CC:0D:EE:FF' })).toEqual({ value: 'aa:bb:cc:0d:ee:ff' });
    expect(parseDeviceReply('get_mac', { value: 'AA:bb:CC:dd:EE:ff' })).toEqual({ value: 'aa:bb:cc:dd:ee:ff' });
  });

  it('accepts the bounds', () => {
    expect(parseDeviceRequest('get_gpio', { number: 0 })).toEqual({ number: 0 });
    expect(parseDeviceRequest('get_gpio', { number: 255 })).toEqual({ number: 255 });
    expect(parseDeviceRequest('set_rtc', { value: 0 })).toEqual({ value: 0 });
    expect(parseDeviceRequest('set_rtc', { value: 4294967295 })).toEqual({ value: 4294967295 });
    expect(parseDeviceReply('get_ip', { value: '0.0.0.0' })).toEqual({ value: '0.0.0.0' });
    expect(parseDeviceReply('get_subnet', { value: '255.255.255.255' })).toEqual({ value: '255.255.255.255' });
    expect(parseDeviceRequest('write_uart', { data: 'x'.repeat(1024) }).data).toHaveLength(1024);
    expect(parseDeviceRequest('write_uart', { data: '' })).toEqual({ data: '' });
  });
});

describe('parseDeviceRequest rejects bad requests', () => {
  const cases: Case[] = [
    ['get_status', null, undefined],
    ['get_status', [], undefined],
    ['get_status', 'status', undefined],
    ['get_status', 42, undefined],
    ['get_status', undefined, undefined],
    ['get_status', Buffer.from('{}'), undefined],
    ['set_status', {}, 'status'],
    ['set_status', { status: 'reboot' }, 'status'],
    ['set_status', { status: 'RESTART' }, 'status'],
    ['get_gpio', {}, 'number'],
    ['get_gpio', { number: -1 }, 'number'],
    ['get_gpio', { number: 256 }, 'number'],
    ['get_gpio', { number: 1.5 }, 'number'],
    ['get_gpio', { number: '3' }, 'number'],
    ['get_gpio', { number: Number.NaN }, 'number'],
    ['set_gpio', { number: 3 }, 'value'],
    ['set_gpio', { number: 3, value: 2 }, 'value'],
    ['set_gpio', { number: 3, value: true }, 'value'],
    ['set_gpio', { number: 3, value: '1' }, 'value'],
    ['set_gpio', { value: 1 }, 'number'],
    ['set_rtc', {}, 'value'],
    ['set_rtc', { value: -1 }, 'value'],
    ['set_rtc', { value: 4294967296 }, 'value'],
    ['set_rtc', { value: 1.5 }, 'value'],
    ['set_rtc', { value: '1700000000' }, 'value'],
    ['set_mac', { value: 'aa:bb:cc:dd:ee' }, 'value'],
    ['set_mac', { value: 'aa-bb-cc-dd-ee-ff' }, 'value'],
    ['set_mac', { value: 'aabbccddeeff' }, 'value'],
    ['set_mac', { value: 'gg:bb:cc:dd:ee:ff' }, 'value'],
    ['set_mac', { value: 'aa:bb:cc:dd:ee:ff:00' }, 'value'],
    ['set_mac', { value: 0xaabbccddeeff }, 'value'],
    ['write_uart', {}, 'data'],
    ['write_uart', { data: 42 }, 'data'],
    ['write_uart', { data: null }, 'data'],
    ['write_uart', { data: 'x'.repeat(1025) }, 'data'],
  ];

  it.each(cases)('%s %j → field %s', (api, payload, field) => {
    expectRequestError(api, payload, field);
  });

  it('names the api and the field in the message', () => {
    const error = expectRequestError('set_gpio', { number: 3, value: 2 }, 'value');
    expect(error.message).toBe('set_gpio request: field "value" must be 0 or 1');
    expect(error.details).toEqual({ api: 'set_gpio', field: 'value', reason: 'must be 0 or 1' });
  });

  it('reports a missing field as required', () => {
    const error = expectRequestError('get_gpio', {}, 'number');
    expect(error.message).toBe('get_gpio request: field "number" is required');
  });

  it('rejects an unknown api at run time', () => {
    expect(() => parseDeviceRequest('reboot' as DeviceApi, {})).toThrow(InvalidDeviceRequestError);
  });
});

describe('parseDeviceReply rejects bad replies', () => {
  const cases: Case[] = [
    ['get_status', null, undefined],
    ['get_status', ['running'], undefined],
    ['get_status', 'running', undefined],
    ['get_status', {}, 'status'],
    ['get_status', { status: 'restarting' }, 'status'],
    ['set_status', { status: 'running' }, 'status'],
    ['set_status', { status: 'restart' }, 'status'],
    ['get_gpio', { value: 1 }, 'number'],
    ['get_gpio', { number: 3 }, 'value'],
    ['get_gpio', { number: 3, value: true }, 'value'],
    ['get_gpio', { number: 3, value: 5 }, 'value'],
    ['set_gpio', { number: 300, value: 1 }, 'number'],
    ['set_gpio', { number: 3, value: null }, 'value'],
    ['get_rtc', {}, 'value'],
    ['get_rtc', { value: -5 }, 'value'],
    ['get_rtc', { value: '1700000000' }, 'value'],
    ['set_rtc', { value: 2 ** 32 }, 'value'],
    ['get_mac', { value: 'not a mac' }, 'value'],
    ['set_mac', {}, 'value'],
    ['get_ip', { value: '256.1.1.1' }, 'value'],
    ['get_ip', { value: '1.2.3' }, 'value'],
    ['get_ip', { value: '1.2.3.4.5' }, 'value'],
    ['get_ip', { value: '01.2.3.4' }, 'value'],
    ['get_ip', { value: ' 1.2.3.4' }, 'value'],
    ['get_ip', { value: 16909060 }, 'value'],
    ['get_subnet', { value: '255.255.255.' }, 'value'],
    ['get_gateway', { value: 'fe80::1' }, 'value'],
    ['get_gateway', {}, 'value'],
    ['write_uart', { data: 7 }, 'data'],
    ['write_uart', { data: 'y'.repeat(1025) }, 'data'],
  ];

  it.each(cases)('%s %j → field %s', (api, payload, field) => {
    expectReplyError(api, payload, field);
  });

  it('names the api and the field in the message', () => {
    const error = expectReplyError('get_gpio', { number: 3, value: 7 }, 'value');
    expect(error.message).toBe('get_gpio reply: field "value" must be 0 or 1');
  });
});

describe('decodeDeviceReply', () => {
  it('decodes a string or a Buffer', () => {
    expect(decodeDeviceReply('get_status', '{"status":"running"}')).toEqual({ status: 'running' });
    expect(decodeDeviceReply('get_gpio', Buffer.from(' {"number":4,"value":0}\n'))).toEqual({ number: 4, value: 0 });
  });

  it('tolerates trailing NUL bytes from C firmware', () => {
    const body = Buffer.concat([Buffer.from('{"value":1700000000}'), Buffer.from([0])]);
    expect(decodeDeviceReply('get_rtc', body)).toEqual({ value: 1700000000 });
  });

  it.each([
    ['empty', ''],
    ['truncated', '{"status":"runn'],
    ['plain text', 'running'],
    ['single quotes', "{'status':'running'}"],
  ])('rejects a non-JSON body (%s) with DEVICE_BAD_REPLY', (_label, body) => {
    for (const input of [body, Buffer.from(body)]) {
      let caught: unknown;
      try {
        decodeDeviceReply('get_status', input);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(DeviceBadReplyError);
      expect((caught as DeviceBadReplyError).code).toBe('DEVICE_BAD_REPLY');
      expect((caught as DeviceBadReplyError).details.api).toBe('get_status');
      expect((caught as DeviceBadReplyError).details.field).toBeUndefined();
    }
  });

  it('rejects invalid UTF-8', () => {
    expect(() => decodeDeviceReply('write_uart', Buffer.from([0x7b, 0xff, 0x7d]))).toThrow(DeviceBadReplyError);
  });

  it('validates the decoded JSON', () => {
    expect(() => decodeDeviceReply('get_status', 'null')).toThrow(DeviceBadReplyError);
    expect(() => decodeDeviceReply('get_gpio', '{"number":4,"value":"1"}')).toThrow(
      'get_gpio reply: field "value" must be 0 or 1',
    );
  });
});

describe('encodePayload', () => {
  it('encodes JSON as UTF-8', () => {
    const buffer = encodePayload({ data: 'héllo' });
    expect(Buffer.isBuffer(buffer)).toBe(true);
    expect(buffer.toString('utf8')).toBe('{"data":"héllo"}');
    expect(JSON.parse(encodePayload({}).toString('utf8'))).toEqual({});
  });
});
