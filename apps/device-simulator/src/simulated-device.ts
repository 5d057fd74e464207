import { networkInterfaces as osNetworkInterfaces, NetworkInterfaceInfo } from 'node:os';
import {
  DEVICE_APIS,
  DeviceApi,
  DeviceBadReplyError,
  DeviceReply,
  DeviceReplyMap,
  GpioValue,
  InvalidDeviceRequestError,
  MAX_RTC_SECONDS,
  encodePayload,
  isDeviceApi,
  isValidDeviceId,
  parseDeviceReply,
  parseDeviceRequest,
} from '@app/device-protocol';
import { SimulatorLogger, warningsOnlyLogger } from './logger';

/** What a `badReplyApis` api answers: valid JSON that breaks every api's reply schema. */
export const BAD_REPLY_PAYLOAD: Readonly<{ value: string }> = Object.freeze({ value: 'banana' });
/** What a `nonJsonReplyApis` api answers, as raw bytes. */
export const NON_JSON_REPLY = 'not json';

/** Used when the host has no usable non-internal IPv4 interface. */
export const FALLBACK_NETWORK: Readonly<DeviceNetwork> = Object.freeze({
  ip: '192.168.1.100',
  subnet: '255.255.255.0',
  gateway: '192.168.1.1',
});

export interface DeviceNetwork {
  ip: string;
  subnet: string;
  gateway: string;
}

/**
 * Faults a test can inject. A request on a faulty api still takes effect
 * (a GPIO is still set, a restart still happens): only the reply is delayed,
 * corrupted or lost, as when a real firmware misbehaves on the way out.
 */
export interface FaultOptions {
  /** Wait this long before every reply (ms). Replies still go out one at a time, in order. */
  replyDelayMs?: number;
  /** Answer these apis with `{"value":"banana"}` (valid JSON, breaks every reply schema). */
  badReplyApis?: Iterable<DeviceApi>;
  /** Answer these apis with the raw bytes `not json`. */
  nonJsonReplyApis?: Iterable<DeviceApi>;
  /** Never answer these apis (the caller times out). Wins over the other faults. */
  silentApis?: Iterable<DeviceApi>;
}

/** The live, mutable fault settings of a device (tests may change them between requests). */
export interface DeviceFaults {
  replyDelayMs: number;
  badReplyApis: Set<DeviceApi>;
  nonJsonReplyApis: Set<DeviceApi>;
  silentApis: Set<DeviceApi>;
}

export interface SimulatedDeviceOptions extends FaultOptions {
  /** 32 lowercase hex characters, as assigned by the platform. */
  deviceId: string;
  /** Shown in log lines; defaults to the first 8 characters of the device id. */
  name?: string;
  /** MAC address; default: a locally administered address derived from the device id. */
  mac?: string;
  /** IPv4 address, subnet mask and gateway; default: the host's first non-internal IPv4 interface, or 192.168.1.100/24 via 192.168.1.1. */
  ip?: string;
  subnet?: string;
  gateway?: string;
  /** Initial RTC value (Unix seconds); default: the clock's time. */
  rtc?: number;
  /** Milliseconds since the epoch; default Date.now. Inject a fake for tests, share one across a fleet. */
  clock?: () => number;
  logger?: SimulatorLogger;
  /** Called when a `set_status {"status":"restart"}` request arrives. */
  onRestartRequested?: () => void;
  /** For tests: replaces os.networkInterfaces when working out the default network. */
  networkInterfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
}

/** Why a request got no reply. */
export type NoReplyReason =
  /** The api is not one of the protocol's (firmware ignores it). */
  | 'unknown-api'
  /** Not JSON, not an object, or a field breaks the protocol: firmware cannot answer with an error, so it logs and stays silent. */
  | 'invalid-request'
  /** The api is in `silentApis`. */
  | 'silent';

/** What the firmware does with one incoming message. */
export type DeviceResponse =
  | {
      kind: 'reply';
      api: DeviceApi;
      /** The request payload as received (parsed JSON). */
      request: unknown;
      /** The reply object sent, or null when the reply is not JSON (`nonJsonReplyApis`). */
      reply: object | null;
      /** The exact bytes to publish. */
      body: Buffer;
      /** Wait this long before publishing. */
      delayMs: number;
      /** Set when a fault shaped this reply. */
      fault?: 'bad-reply' | 'non-json';
      /** The firmware must restart once the reply is out. */
      restart: boolean;
    }
  | {
      kind: 'none';
      api: string;
      /** Parsed JSON when the body was JSON, else the raw text. */
      request: unknown;
      reason: NoReplyReason;
      /** A readable explanation (the validation error for an invalid request). */
      detail?: string;
      restart: boolean;
    };

type Evaluation =
  | { ok: true; api: DeviceApi; reply: DeviceReply; restart: boolean }
  | { ok: false; reason: 'unknown-api' | 'invalid-request'; detail: string };

const RTC_MODULUS = MAX_RTC_SECONDS + 1;
const utf8 = new TextDecoder('utf-8', { fatal: true });

let cachedHostNetwork: DeviceNetwork | undefined;

/**
 * The network settings a simulated device reports by default: the host's
 * first non-internal IPv4 interface (gateway assumed to be the first host of
 * its subnet), or FALLBACK_NETWORK. Computed once per process for the real
 * os.networkInterfaces (a fleet of 10,000 devices shares it).
 */
export function defaultNetwork(interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>): DeviceNetwork {
  if (!interfaces && cachedHostNetwork) return cachedHostNetwork;
  let found: DeviceNetwork = FALLBACK_NETWORK;
  try {
    found = networkFromInterfaces((interfaces ?? osNetworkInterfaces)()) ?? FALLBACK_NETWORK;
  } catch {
    // Some sandboxes refuse the syscall: keep the fallback.
  }
  if (!interfaces) cachedHostNetwork = found;
  return found;
}

function networkFromInterfaces(all: NodeJS.Dict<NetworkInterfaceInfo[]>): DeviceNetwork | undefined {
  for (const name of Object.keys(all).sort()) {
    for (const info of all[name] ?? []) {
      const family: unknown = info.family;
      if (info.internal || !(family === 'IPv4' || family === 4)) continue;
      if (!isIpv4(info.address) || !isIpv4(info.netmask)) continue;
      return { ip: info.address, subnet: info.netmask, gateway: gatewayFor(info.address, info.netmask) };
    }
  }
  return undefined;
}

/**
 * The usual router address of a subnet: its first host, or its last when
 * `ip` is the first host itself (a /31 or /32 has no room: the ip itself).
 */
export function gatewayFor(ip: string, subnet: string): string {
  const address = toInt(ip);
  const mask = toInt(subnet);
  if (address === undefined || mask === undefined) return ip;
  const network = (address & mask) >>> 0;
  const broadcast = (network | ~mask) >>> 0;
  if (broadcast - network < 2) return ip;
  const first = network + 1;
  return fromInt(first === address ? broadcast - 1 : first);
}

function toInt(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    const octet = Number(part);
    if (!/^\d{1,3}$/.test(part) || octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value >>> 0;
}

function fromInt(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

function isIpv4(value: string): boolean {
  try {
    parseDeviceReply('get_ip', { value });
    return true;
  } catch {
    return false;
  }
}

/** A locally administered, unicast MAC (first octet 0x02) made from the first 5 bytes of the device id. */
export function macFromDeviceId(deviceId: string): string {
  const octets = ['02'];
  for (let i = 0; i < 10; i += 2) octets.push(deviceId.slice(i, i + 2));
  return octets.join(':');
}

/** Checks an address option with the protocol's own reply rules, so the device can never send an invalid one. */
function checkedAddress(api: 'get_mac' | 'get_ip', option: string, value: string): string {
  try {
    return parseDeviceReply(api, { value }).value;
  } catch (error) {
    const reason = error instanceof DeviceBadReplyError ? error.details.reason : String(error);
    throw new RangeError(`${option} ${JSON.stringify(value)} ${reason}`, { cause: error });
  }
}

function apiSet(option: string, apis: Iterable<DeviceApi> | undefined): Set<DeviceApi> {
  const set = new Set<DeviceApi>();
  for (const api of apis ?? []) {
    if (!isDeviceApi(api)) {
      throw new RangeError(`${option}: unknown api ${JSON.stringify(api)} (known: ${DEVICE_APIS.join(', ')})`);
    }
    set.add(api);
  }
  return set;
}

function checkedDelay(value: number | undefined): number {
  const delay = value ?? 0;
  if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0) {
    throw new RangeError(`replyDelayMs must be a number >= 0, got ${String(value)}`);
  }
  return delay;
}

/** Shown in log lines: the name, else the first 8 characters of the device id. */
export function deviceLabel(deviceId: string, name?: string): string {
  return name && name.trim() !== '' ? name : deviceId.slice(0, 8);
}

/**
 * The firmware of one FT900 board, without any I/O: it keeps the board's
 * state (GPIO levels, RTC, MAC, network settings) and turns a request into the
 * reply the real firmware would publish. Transports (MqttDevice, AmqpDevice)
 * feed it messages and publish what it returns.
 *
 * Invalid requests (not JSON, not an object, a field out of range) get no
 * reply at all: the protocol has no error reply a device could send, and any
 * reply would be taken by the platform for a bad reply (502). Real firmware
 * logs and drops them, and so does this class. The platform validates every
 * request before sending it, so this only happens with hand-made traffic.
 */
export class SimulatedDevice {
  readonly deviceId: string;
  readonly label: string;
  readonly faults: DeviceFaults;
  readonly logger: SimulatorLogger;
  private readonly clock: () => number;
  private readonly onRestartRequested?: () => void;
  /** Pins ever set to 1 (every other pin reads 0): O(pins used), not O(256), per device. */
  private readonly gpioHigh = new Set<number>();
  private rtcOffsetMs = 0;
  private macAddress: string;
  readonly ip: string;
  readonly subnet: string;
  readonly gateway: string;
  private restartRequestCount = 0;
  private boots = 1;

  constructor(options: SimulatedDeviceOptions) {
    if (!isValidDeviceId(options.deviceId)) {
      throw new RangeError(
        `invalid device id ${JSON.stringify(options.deviceId)}: expected 32 lowercase hex characters`,
      );
    }
    this.deviceId = options.deviceId;
    this.label = deviceLabel(options.deviceId, options.name);
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger ?? warningsOnlyLogger;
    this.onRestartRequested = options.onRestartRequested;
    this.macAddress = checkedAddress('get_mac', 'mac', options.mac ?? macFromDeviceId(options.deviceId));
    // Default: the host's network. With an ip of its own: a /24 unless told otherwise.
    // The gateway defaults to the first host of the subnet.
    const host = options.ip === undefined ? defaultNetwork(options.networkInterfaces) : undefined;
    this.ip = checkedAddress('get_ip', 'ip', options.ip ?? (host as DeviceNetwork).ip);
    this.subnet = checkedAddress('get_ip', 'subnet', options.subnet ?? host?.subnet ?? FALLBACK_NETWORK.subnet);
    this.gateway = checkedAddress('get_ip', 'gateway', options.gateway ?? gatewayFor(this.ip, this.subnet));
    if (options.rtc !== undefined) this.setRtc(options.rtc);
    this.faults = {
      replyDelayMs: checkedDelay(options.replyDelayMs),
      badReplyApis: apiSet('badReplyApis', options.badReplyApis),
      nonJsonReplyApis: apiSet('nonJsonReplyApis', options.nonJsonReplyApis),
      silentApis: apiSet('silentApis', options.silentApis),
    };
  }

  // ---- state, readable (and settable) by tests ----

  /** Current level of a pin (0 until set). */
  gpio(pin: number): GpioValue {
    return this.gpioHigh.has(pin) ? 1 : 0;
  }

  setGpio(pin: number, value: GpioValue): void {
    if (value === 1) this.gpioHigh.add(pin);
    else this.gpioHigh.delete(pin);
  }

  /** The RTC in Unix seconds: keeps ticking with the clock after a set_rtc (an unsigned 32-bit counter). */
  get rtc(): number {
    const seconds = Math.floor((this.clock() + this.rtcOffsetMs) / 1000);
    return ((seconds % RTC_MODULUS) + RTC_MODULUS) % RTC_MODULUS;
  }

  setRtc(seconds: number): void {
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_RTC_SECONDS) {
      throw new RangeError(`rtc must be an integer from 0 to ${MAX_RTC_SECONDS}`);
    }
    this.rtcOffsetMs = seconds * 1000 - this.clock();
  }

  get mac(): string {
    return this.macAddress;
  }

  /** How many `set_status restart` requests arrived. */
  get restartRequests(): number {
    return this.restartRequestCount;
  }

  /** 1 at creation, +1 per reboot(). */
  get bootCount(): number {
    return this.boots;
  }

  /**
   * What a restart does to the board, called by the transport when it comes
   * back up: GPIO registers reset to 0. The RTC keeps running (it is battery
   * backed) and the MAC set by set_mac stays (it is kept in flash).
   */
  reboot(): void {
    this.gpioHigh.clear();
    this.boots += 1;
  }

  /** Replaces some fault settings; apis not mentioned keep their current setting. */
  setFaults(options: FaultOptions): void {
    if (options.replyDelayMs !== undefined) this.faults.replyDelayMs = checkedDelay(options.replyDelayMs);
    if (options.badReplyApis) this.faults.badReplyApis = apiSet('badReplyApis', options.badReplyApis);
    if (options.nonJsonReplyApis) this.faults.nonJsonReplyApis = apiSet('nonJsonReplyApis', options.nonJsonReplyApis);
    if (options.silentApis) this.faults.silentApis = apiSet('silentApis', options.silentApis);
  }

  // ---- the firmware ----

  /**
   * Handles one request exactly per the protocol, ignoring faults. Returns the
   * reply object, or null when the firmware sends nothing (unknown api, or an
   * invalid request, which is logged).
   */
  handle<A extends DeviceApi>(api: A, payload: unknown): DeviceReplyMap[A] | null;
  handle(api: string, payload: unknown): DeviceReply | null;
  handle(api: string, payload: unknown): DeviceReply | null {
    const outcome = this.evaluate(api, payload);
    return outcome.ok ? outcome.reply : null;
  }

  /**
   * Handles one message as received from the broker (raw bytes, UTF-8 JSON;
   * trailing NULs ignored) and applies the fault settings: what the transport
   * must publish, when, and whether to restart afterwards.
   */
  respond(api: string, body: Buffer | string): DeviceResponse {
    let request: unknown;
    let text: string;
    try {
      text = typeof body === 'string' ? body : utf8.decode(body);
    } catch {
      const detail = `${api} request: payload is not valid UTF-8`;
      this.logger.warn(`[sim ${this.label}] ${detail}; no reply sent`);
      return { kind: 'none', api, request: body.toString('latin1'), reason: 'invalid-request', detail, restart: false };
    }
    try {
      request = JSON.parse(text.replace(/\0+$/, ''));
    } catch {
      if (!isDeviceApi(api))
        return {
          kind: 'none',
          api,
          request: text,
          reason: 'unknown-api',
          detail: `unknown api "${api}"`,
          restart: false,
        };
      const detail = `${api} request: payload is not JSON`;
      this.logger.warn(`[sim ${this.label}] ${detail}; no reply sent`);
      return { kind: 'none', api, request: text, reason: 'invalid-request', detail, restart: false };
    }
    const outcome = this.evaluate(api, request);
    if (!outcome.ok)
      return { kind: 'none', api, request, reason: outcome.reason, detail: outcome.detail, restart: false };
    const { restart, api: known } = outcome;
    if (this.faults.silentApis.has(known)) {
      return { kind: 'none', api, request, reason: 'silent', detail: 'silentApis fault', restart };
    }
    const delayMs = this.faults.replyDelayMs;
    if (this.faults.nonJsonReplyApis.has(known)) {
      return {
        kind: 'reply',
        api: known,
        request,
        reply: null,
        body: Buffer.from(NON_JSON_REPLY, 'utf8'),
        delayMs,
        fault: 'non-json',
        restart,
      };
    }
    if (this.faults.badReplyApis.has(known)) {
      const reply = { ...BAD_REPLY_PAYLOAD };
      return {
        kind: 'reply',
        api: known,
        request,
        reply,
        body: encodePayload(reply),
        delayMs,
        fault: 'bad-reply',
        restart,
      };
    }
    return {
      kind: 'reply',
      api: known,
      request,
      reply: outcome.reply,
      body: encodePayload(outcome.reply),
      delayMs,
      restart,
    };
  }

  private evaluate(api: string, payload: unknown): Evaluation {
    if (!isDeviceApi(api)) return { ok: false, reason: 'unknown-api', detail: `unknown api "${api}"` };
    try {
      return { ok: true, api, ...this.execute(api, payload) };
    } catch (error) {
      if (!(error instanceof InvalidDeviceRequestError)) throw error;
      this.logger.warn(`[sim ${this.label}] invalid request ignored, no reply sent: ${error.message}`);
      return { ok: false, reason: 'invalid-request', detail: error.message };
    }
  }

  private execute(api: DeviceApi, payload: unknown): { reply: DeviceReply; restart: boolean } {
    switch (api) {
      case 'get_status':
        parseDeviceRequest(api, payload);
        return { reply: { status: 'running' }, restart: false };
      case 'set_status': {
        parseDeviceRequest(api, payload);
        this.restartRequestCount += 1;
        this.onRestartRequested?.();
        return { reply: { status: 'restarting' }, restart: true };
      }
      case 'get_gpio': {
        const { number } = parseDeviceRequest(api, payload);
        return { reply: { number, value: this.gpio(number) }, restart: false };
      }
      case 'set_gpio': {
        const { number, value } = parseDeviceRequest(api, payload);
        this.setGpio(number, value);
        return { reply: { number, value: this.gpio(number) }, restart: false };
      }
      case 'get_rtc':
        parseDeviceRequest(api, payload);
        return { reply: { value: this.rtc }, restart: false };
      case 'set_rtc': {
        const { value } = parseDeviceRequest(api, payload);
        this.setRtc(value);
        return { reply: { value }, restart: false };
      }
      case 'get_mac':
        parseDeviceRequest(api, payload);
        return { reply: { value: this.macAddress }, restart: false };
      case 'set_mac': {
        const { value } = parseDeviceRequest(api, payload);
        this.macAddress = value;
        return { reply: { value: this.macAddress }, restart: false };
      }
      case 'get_ip':
        parseDeviceRequest(api, payload);
        return { reply: { value: this.ip }, restart: false };
      case 'get_subnet':
        parseDeviceRequest(api, payload);
        return { reply: { value: this.subnet }, restart: false };
      case 'get_gateway':
        parseDeviceRequest(api, payload);
        return { reply: { value: this.gateway }, restart: false };
      case 'write_uart': {
        const { data } = parseDeviceRequest(api, payload);
        this.logger.info(`[sim ${this.label}] uart> ${JSON.stringify(data)}`);
        return { reply: { data }, restart: false };
      }
    }
  }
}
