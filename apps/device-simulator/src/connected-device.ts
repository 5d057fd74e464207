import { EventEmitter } from 'node:events';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DeviceApi } from '@app/device-protocol';
import { DeviceConnectError, messageOf } from './connect-errors';
import { SimulatorLogger } from './logger';
import { DeviceResponse, NoReplyReason, SimulatedDevice, SimulatedDeviceOptions } from './simulated-device';

/** How a device reaches the broker; shared by MqttDevice and AmqpDevice. */
export interface ConnectionOptions {
  /** PEM of the device's client certificate (CN = device id). */
  certificatePem: string;
  /** PEM of the device's private key. */
  privateKeyPem: string;
  /** PEM of the platform CA, to verify the broker. */
  caPem: string;
  host: string;
  port: number;
  /**
   * More brokers (the other nodes of a cluster): after a lost connection or a failed
   * reconnect the device moves on to the next one, round robin, starting from host/port.
   */
  failover?: { host: string; port: number }[];
  /**
   * Legacy login with a username/password. By default none is sent: the
   * broker logs the device in by its certificate's CN.
   */
  username?: string;
  password?: string;
  /** Do not verify the broker's certificate (like the legacy tools). Default false. */
  insecure?: boolean;
  /** After answering set_status restart: stay disconnected this long before reconnecting. Default 1000. */
  restartDelayMs?: number;
  /** Give up a connection attempt after this long. Default 30000. */
  connectTimeoutMs?: number;
  /** Reconnect backoff after a lost connection (ms): first delay, then doubling up to the max. Default 1000 / 30000. */
  reconnectMinDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** Log one line per request (`[sim x] get_gpio {...} -> {...} (0.4 ms)`). Default false. */
  logRequests?: boolean;
}

export type DeviceOptions = SimulatedDeviceOptions & ConnectionOptions;

export interface RequestEvent {
  api: DeviceApi;
  /** The raw body as received. */
  body: Buffer;
  /** MQTT 5 only: the request's Response Topic and Correlation Data. */
  replyContext?: ReplyContext;
}

export interface ReplyEvent {
  api: DeviceApi;
  /** The request payload as received (parsed JSON). */
  request: unknown;
  /** The reply object published, or null when a non-JSON fault was published. */
  reply: object | null;
  body: Buffer;
  fault?: 'bad-reply' | 'non-json';
  /** From receipt of the request to the reply being published (acknowledged at QoS 1 over MQTT). */
  durationMs: number;
}

export interface DropEvent {
  api: string;
  request: unknown;
  /** Why no reply went out: the firmware's choice, or `stale` (the connection it came on is gone) / `publish-failed`. */
  reason: NoReplyReason | 'stale' | 'publish-failed';
  detail?: string;
}

export interface DisconnectEvent {
  /** True when the device disconnected to restart (set_status), false when stopped or lost. */
  restarting: boolean;
  /** Set when the connection was lost rather than closed on purpose. */
  error?: Error;
}

/** Events of MqttDevice and AmqpDevice. Listen with `device.on('reply', ...)` or `events.once(device, 'connect')`. */
export interface DeviceEventMap {
  /** Connected and subscribed/consuming (first start, after a restart, after a lost connection). */
  connect: [];
  disconnect: [event: DisconnectEvent];
  /** A request arrived on one of the device's topics (before any handling or delay). */
  request: [event: RequestEvent];
  /** A reply was published. */
  reply: [event: ReplyEvent];
  /** A request got no reply. */
  drop: [event: DropEvent];
  /** A set_status restart is starting (emitted after its reply went out). */
  restart: [];
  /** A background problem (lost connection, failed reconnect); the device keeps trying. */
  warning: [error: Error];
}

type State = 'stopped' | 'connecting' | 'connected' | 'restarting' | 'reconnecting';

/** Where a request asked its reply to go (MQTT 5 Response Topic and Correlation Data). */
export interface ReplyContext {
  responseTopic?: string;
  correlationData?: Buffer;
}

interface Pending {
  api: DeviceApi;
  body: Buffer;
  replyContext?: ReplyContext;
  generation: number;
  receivedAt: number;
  settle?: () => void;
}

const DEFAULT_RESTART_DELAY_MS = 1000;
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const MAX_LOGGED_PAYLOAD = 200;

function shown(value: unknown): string {
  let text: string;
  if (Buffer.isBuffer(value)) text = value.toString('utf8');
  else if (typeof value === 'string') text = value;
  else text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_LOGGED_PAYLOAD ? `${text.slice(0, MAX_LOGGED_PAYLOAD)}...` : text;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a number >= 0, got ${String(value)}`);
  }
  return value;
}

/**
 * The transport-independent half of a simulated device: start/stop,
 * one-at-a-time in-order handling, reply delays, restart and reconnect.
 * A subclass only opens/closes its connection and publishes bytes.
 *
 * Idle devices hold no timers of their own: timers exist only while a reply
 * is delayed, a restart waits, or a reconnect backs off.
 */
export abstract class ConnectedDevice extends EventEmitter<DeviceEventMap> {
  /** The firmware and its state (GPIO, RTC, MAC, ...) and live fault settings. */
  readonly device: SimulatedDevice;
  readonly deviceId: string;
  protected readonly options: DeviceOptions;
  protected readonly logger: SimulatorLogger;
  protected readonly restartDelayMs: number;
  protected readonly connectTimeoutMs: number;
  private readonly reconnectMinDelayMs: number;
  private readonly reconnectMaxDelayMs: number;
  private state: State = 'stopped';
  /** Bumped whenever a connection ends: requests queued from an older connection are dropped. */
  private generation = 0;
  /** The firmware's single thread: each request waits for the one before. */
  private chain: Promise<void> = Promise.resolve();
  private abort = new AbortController();
  private starting?: Promise<void>;
  private stopping?: Promise<void>;
  private background?: Promise<void>;

  protected constructor(options: DeviceOptions) {
    super();
    this.device = new SimulatedDevice(options);
    this.deviceId = this.device.deviceId;
    this.options = options;
    this.logger = this.device.logger;
    this.restartDelayMs = nonNegative('restartDelayMs', options.restartDelayMs, DEFAULT_RESTART_DELAY_MS);
    this.connectTimeoutMs = nonNegative('connectTimeoutMs', options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
    this.reconnectMinDelayMs = nonNegative('reconnectMinDelayMs', options.reconnectMinDelayMs, 1000);
    this.reconnectMaxDelayMs = Math.max(
      this.reconnectMinDelayMs,
      nonNegative('reconnectMaxDelayMs', options.reconnectMaxDelayMs, 30_000),
    );
    for (const field of ['certificatePem', 'privateKeyPem', 'caPem', 'host'] as const) {
      if (typeof options[field] !== 'string' || options[field].trim() === '') {
        throw new RangeError(`${field} is required`);
      }
    }
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
      throw new RangeError(`port must be an integer from 1 to 65535, got ${String(options.port)}`);
    }
  }

  /** `mqtts://host:port` or `amqps://host:port` of the current broker, for messages. */
  abstract get url(): string;

  private endpointIndex = 0;

  /** The broker this device connects to now: host/port, or one of `failover` after a loss. */
  protected endpoint(): { host: string; port: number } {
    const endpoints = [{ host: this.options.host, port: this.options.port }, ...(this.options.failover ?? [])];
    return endpoints[this.endpointIndex % endpoints.length];
  }

  /** Moves to the next broker, when there are several. */
  private nextEndpoint(): void {
    if (this.options.failover?.length) this.endpointIndex += 1;
  }

  /** Connects and subscribes. Must throw a DeviceConnectError; must not retry. */
  protected abstract openTransport(): Promise<void>;
  /** Closes the current connection (or the one being opened) on purpose. Must not throw. */
  protected abstract closeTransport(): Promise<void>;
  /** Publishes one reply; resolves when it is out (acknowledged, for MQTT QoS 1). */
  protected abstract sendReply(api: DeviceApi, body: Buffer, replyContext?: ReplyContext): Promise<void>;

  get label(): string {
    return this.device.label;
  }

  /** True while connected and subscribed/consuming. */
  get connected(): boolean {
    return this.state === 'connected';
  }

  /**
   * Connects and subscribes. Resolves once requests can arrive; rejects with a
   * DeviceConnectError (e.g. "connection refused: not authorized") instead of
   * retrying. After a first successful start, lost connections are retried
   * in the background until stop().
   */
  start(): Promise<void> {
    if (this.starting) return this.starting;
    if (this.state !== 'stopped') return Promise.resolve();
    this.abort = new AbortController();
    this.state = 'connecting';
    this.starting = this.firstConnect().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async firstConnect(): Promise<void> {
    try {
      checkCredentials(this.options, this.deviceId, this.logger, this.label);
      await this.openTransport();
    } catch (error) {
      if (this.state !== 'connecting') {
        throw new DeviceConnectError(`${this.url}: stopped while connecting`, 'stopped', error);
      }
      this.state = 'stopped';
      throw error;
    }
    if (this.state !== 'connecting') {
      await this.closeTransport();
      throw new DeviceConnectError(`${this.url}: stopped while connecting`, 'stopped');
    }
    this.connectedNow('connected');
  }

  /** Disconnects for good (no reconnect). Pending delayed replies are dropped. Safe to call twice. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    if (this.state === 'stopped') return Promise.resolve();
    this.stopping = this.shutDown().finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  private async shutDown(): Promise<void> {
    const wasConnected = this.state === 'connected';
    this.state = 'stopped';
    this.generation += 1;
    this.abort.abort();
    await this.closeTransport();
    if (wasConnected) {
      this.logger.info(`[sim ${this.label}] disconnected`);
      this.emit('disconnect', { restarting: false });
    }
    await Promise.allSettled([this.chain, this.background]);
  }

  // ---- for subclasses ----

  /**
   * Queues a request that arrived on the current connection. `settle` runs
   * once the request has been handled (replied to or dropped): AMQP acks there.
   */
  protected receive(api: DeviceApi, body: Buffer, settle?: () => void, replyContext?: ReplyContext): void {
    const pending: Pending = {
      api,
      body,
      replyContext,
      generation: this.generation,
      receivedAt: performance.now(),
      settle,
    };
    this.emit('request', { api, body, replyContext });
    this.chain = this.chain.then(() => this.process(pending));
  }

  /** The current connection ended without closeTransport() having been asked. */
  protected transportLost(error?: Error): void {
    if (this.state !== 'connected') return;
    this.state = 'reconnecting';
    this.generation += 1;
    this.nextEndpoint();
    const reason = error ? messageOf(error) : 'closed by the broker';
    this.logger.warn(`[sim ${this.label}] connection lost (${reason}); reconnecting`);
    this.emit('disconnect', { restarting: false, error: error ?? new Error(reason) });
    this.emit('warning', error ?? new Error(`connection lost: ${reason}`));
    this.background = this.reconnect(this.jittered(this.reconnectMinDelayMs));
  }

  // ---- internals ----

  private connectedNow(verb: string): void {
    this.state = 'connected';
    this.logger.info(`[sim ${this.label}] ${verb} to ${this.url} as ${this.deviceId}`);
    this.emit('connect');
  }

  private async process(pending: Pending): Promise<void> {
    let restart = false;
    try {
      restart = await this.answer(pending);
    } catch (error) {
      this.logger.warn(`[sim ${this.label}] ${pending.api}: ${messageOf(error)}`);
    } finally {
      try {
        pending.settle?.();
      } catch {
        // the channel it came on is gone: nothing to acknowledge
      }
    }
    if (restart && pending.generation === this.generation && this.state === 'connected') {
      this.background = this.restart();
    }
  }

  /** Handles one request; returns true when the device must now restart. */
  private async answer(pending: Pending): Promise<boolean> {
    const { api, generation } = pending;
    if (generation !== this.generation) {
      this.dropped({ api, request: shown(pending.body), reason: 'stale' }, pending);
      return false;
    }
    const response = this.device.respond(api, pending.body);
    if (response.kind === 'none') {
      this.dropped(response, pending);
      return response.restart;
    }
    if (response.delayMs > 0 && !(await this.sleep(response.delayMs))) {
      this.dropped({ api, request: response.request, reason: 'stale', detail: 'stopped' }, pending);
      return false;
    }
    if (generation !== this.generation) {
      this.dropped({ api, request: response.request, reason: 'stale' }, pending);
      return false;
    }
    try {
      await this.sendReply(api, response.body, pending.replyContext);
    } catch (error) {
      this.dropped({ api, request: response.request, reason: 'publish-failed', detail: messageOf(error) }, pending);
      return response.restart;
    }
    this.replied(response, pending);
    return response.restart;
  }

  private replied(response: Extract<DeviceResponse, { kind: 'reply' }>, pending: Pending): void {
    const durationMs = performance.now() - pending.receivedAt;
    if (this.options.logRequests) {
      const fault = response.fault ? ` [fault: ${response.fault}]` : '';
      this.logger.info(
        `[sim ${this.label}] ${response.api} ${shown(response.request)} -> ${shown(response.body)} (${durationMs.toFixed(1)} ms)${fault}`,
      );
    }
    this.emit('reply', {
      api: response.api,
      request: response.request,
      reply: response.reply,
      body: response.body,
      fault: response.fault,
      durationMs,
    });
  }

  private dropped(event: DropEvent, pending: Pending): void {
    if (this.options.logRequests) {
      const detail = event.detail ? `: ${event.detail}` : '';
      const ms = (performance.now() - pending.receivedAt).toFixed(1);
      this.logger.info(
        `[sim ${this.label}] ${event.api} ${shown(event.request)} -> no reply (${event.reason}${detail}) (${ms} ms)`,
      );
    }
    this.emit('drop', { api: event.api, request: event.request, reason: event.reason, detail: event.detail });
  }

  /** set_status restart: the reply is out; go offline, wait, boot, come back. */
  private async restart(): Promise<void> {
    this.state = 'restarting';
    this.generation += 1;
    this.logger.info(`[sim ${this.label}] restarting: back in ${this.restartDelayMs} ms`);
    this.emit('restart');
    await this.closeTransport();
    if (this.state !== 'restarting') return; // stopped meanwhile
    this.emit('disconnect', { restarting: true });
    if (!(await this.sleep(this.restartDelayMs))) return;
    this.device.reboot();
    await this.reconnect(0);
  }

  /** Reconnects until it works or stop() is called. */
  private async reconnect(firstDelayMs: number): Promise<void> {
    let delay = firstDelayMs;
    for (let attempt = 1; ; attempt += 1) {
      if (delay > 0 && !(await this.sleep(delay))) return;
      if (this.stopped()) return;
      try {
        await this.openTransport();
      } catch (error) {
        if (this.stopped()) return;
        this.nextEndpoint();
        delay = this.jittered(Math.min(this.reconnectMaxDelayMs, this.reconnectMinDelayMs * 2 ** (attempt - 1)));
        this.logger.warn(
          `[sim ${this.label}] reconnect failed: ${messageOf(error)}; retrying in ${Math.round(delay)} ms`,
        );
        this.emit('warning', error instanceof Error ? error : new Error(String(error)));
        continue;
      }
      if (this.stopped()) {
        await this.closeTransport();
        return;
      }
      this.connectedNow('reconnected');
      return;
    }
  }

  /** Not narrowed by TypeScript across awaits, unlike a direct `this.state` comparison. */
  private stopped(): boolean {
    return this.state === 'stopped';
  }

  /** +-20 % so that a fleet does not reconnect in lockstep. */
  private jittered(ms: number): number {
    return ms * (0.8 + Math.random() * 0.4);
  }

  /** Resolves true after `ms`, or false as soon as stop() is called. */
  private sleep(ms: number): Promise<boolean> {
    const signal = this.abort.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * Fails fast, with a clear message, on credentials that could never work
 * (before the broker gives a vaguer answer), and warns when the certificate
 * is not the device's own.
 */
export function checkCredentials(
  options: Pick<ConnectionOptions, 'certificatePem' | 'privateKeyPem'>,
  deviceId: string,
  logger: SimulatorLogger,
  label: string,
): void {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(options.certificatePem);
  } catch (error) {
    throw new DeviceConnectError(
      `the device certificate is not a PEM certificate (${messageOf(error)})`,
      'config',
      error,
    );
  }
  let key;
  try {
    key = createPrivateKey(options.privateKeyPem);
  } catch (error) {
    throw new DeviceConnectError(
      `the device private key is not a usable PEM key (${messageOf(error)})`,
      'config',
      error,
    );
  }
  if (!certificate.checkPrivateKey(key)) {
    throw new DeviceConnectError('the private key does not belong to the device certificate', 'config');
  }
  const commonName = /^CN=(.*)$/m.exec(certificate.subject)?.[1];
  if (commonName !== deviceId) {
    logger.warn(
      `[sim ${label}] warning: the certificate's CN is ${JSON.stringify(commonName ?? '')}, not the device id ${deviceId}; the broker logs in the CN`,
    );
  }
  if (Date.parse(certificate.validTo) < Date.now()) {
    logger.warn(`[sim ${label}] warning: the device certificate expired on ${certificate.validTo}`);
  }
}
