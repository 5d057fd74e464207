import { isIP } from 'node:net';
import { IClientOptions, MqttClient, connect } from 'mqtt';
import { DeviceApi, deviceSubscriptionTopic, parseRequestTopic, replyTopic } from '@app/device-protocol';
import { ConnectedDevice, DeviceOptions, ReplyContext } from './connected-device';
import { DeviceConnectError, messageOf, socketConnectError } from './connect-errors';

export interface MqttDeviceOptions extends DeviceOptions {
  /**
   * 4 = MQTT 3.1.1 (default), 3 = MQTT 3.1 (protocol name `MQIsdp`), as older firmware speaks,
   * 5 = MQTT 5: replies go to the request's Response Topic and echo its Correlation Data.
   */
  mqttVersion?: MqttVersion;
  /** MQTT keepalive in seconds. Default 60. */
  keepaliveSeconds?: number;
  /**
   * How long a reply waits for its PUBACK before the device goes on to its next request. Default 500.
   * MQTT 3.x has no negative PUBACK: a reply the broker refuses (a queue it was routed to is on a
   * node that just died) is simply never acknowledged, and waiting for it would stall the device.
   */
  pubackWaitMs?: number;
}

const DEFAULT_PUBACK_WAIT_MS = 500;

export type MqttVersion = 3 | 4 | 5;

/** CONNACK return codes of MQTT 3.1 / 3.1.1. */
const CONNACK_REFUSALS: Record<number, { text: string; reason: DeviceConnectError['reason'] }> = {
  1: { text: 'unacceptable protocol version', reason: 'other' },
  2: { text: 'identifier rejected', reason: 'other' },
  3: { text: 'server unavailable', reason: 'other' },
  4: { text: 'bad username or password', reason: 'bad-credentials' },
  5: { text: 'not authorized', reason: 'not-authorized' },
};

/** mqtt.js reports a SUBACK failure (0x80) with the granted codes on `packet` (or `code` in older versions). */
function refusedSubscription(error: unknown): boolean {
  const { code, packet } = error as { code?: unknown; packet?: { granted?: unknown } };
  if (typeof code === 'number' && code >= 0x80) return true;
  return (
    Array.isArray(packet?.granted) && packet.granted.some((granted) => typeof granted === 'number' && granted >= 0x80)
  );
}

/** Grace period for a polite DISCONNECT before the socket is simply destroyed. */
const END_GRACE_MS = 2000;

interface Link {
  client: MqttClient;
  /** closeTransport() ended it: its close is not a lost connection. */
  closedByUs: boolean;
  lastError?: Error;
}

/**
 * A simulated FT900 board speaking MQTT over TLS, like the real firmware:
 * client id = device id, clean session, subscribes `{deviceId}/#` at QoS 1,
 * answers on `server/{deviceId}/{api}` at QoS 1 without retain, one request at
 * a time and in order.
 *
 * ```ts
 * const dev = new MqttDevice({ deviceId, certificatePem, privateKeyPem, caPem, host: 'localhost', port: 8883 });
 * await dev.start();
 * ```
 */
export class MqttDevice extends ConnectedDevice {
  private readonly mqttVersion: MqttVersion;
  private readonly keepaliveSeconds: number;
  private readonly pubackWaitMs: number;
  private link?: Link;

  constructor(options: MqttDeviceOptions) {
    super(options);
    this.mqttVersion = options.mqttVersion ?? 4;
    if (this.mqttVersion !== 3 && this.mqttVersion !== 4 && this.mqttVersion !== 5) {
      throw new RangeError(
        `mqttVersion must be 3 (MQTT 3.1), 4 (MQTT 3.1.1) or 5 (MQTT 5), got ${String(options.mqttVersion)}`,
      );
    }
    this.keepaliveSeconds = options.keepaliveSeconds ?? 60;
    this.pubackWaitMs = options.pubackWaitMs ?? DEFAULT_PUBACK_WAIT_MS;
    if (!Number.isFinite(this.pubackWaitMs) || this.pubackWaitMs < 0) {
      throw new RangeError(`pubackWaitMs must be a non-negative number, got ${String(options.pubackWaitMs)}`);
    }
  }

  get url(): string {
    const { host, port } = this.endpoint();
    return `mqtts://${host}:${port}`;
  }

  /** The options handed to mqtt.js (exposed for tests). */
  clientOptions(): IClientOptions {
    const { host, port } = this.endpoint();
    const { certificatePem, privateKeyPem, caPem, username, password, insecure } = this.options;
    const options: IClientOptions = {
      protocol: 'mqtts',
      host,
      port,
      cert: certificatePem,
      key: privateKeyPem,
      ca: caPem,
      rejectUnauthorized: insecure !== true,
      clientId: this.deviceId,
      clean: true,
      protocolVersion: this.mqttVersion,
      protocolId: this.mqttVersion === 3 ? 'MQIsdp' : 'MQTT',
      keepalive: this.keepaliveSeconds,
      connectTimeout: this.connectTimeoutMs,
      // Reconnection is ours: a first failure must reject start(), later ones back off.
      reconnectPeriod: 0,
      resubscribe: false,
    };
    if (isIP(host) === 0) options.servername = host;
    // mqtt.js hands its options to tls.connect, which binds the socket to localAddress.
    if (this.options.localAddress !== undefined) Object.assign(options, { localAddress: this.options.localAddress });
    if (username !== undefined) options.username = username;
    if (password !== undefined) options.password = password;
    return options;
  }

  protected openTransport(): Promise<void> {
    const topic = deviceSubscriptionTopic(this.deviceId);
    return new Promise<void>((resolve, reject) => {
      let client: MqttClient;
      try {
        client = connect(this.clientOptions());
      } catch (error) {
        reject(this.connectError(error));
        return;
      }
      // Small request, small PUBACK, small reply: without TCP_NODELAY, Nagle and
      // delayed ACKs add ~40 ms to every reply.
      (client.stream as { setNoDelay?: (noDelay: boolean) => void } | undefined)?.setNoDelay?.(true);
      const link: Link = { client, closedByUs: false };
      this.link = link;
      let settled = false;
      const fail = (error: DeviceConnectError): void => {
        if (settled) return;
        settled = true;
        link.closedByUs = true;
        if (this.link === link) this.link = undefined;
        client.end(true);
        reject(error);
      };

      client.on('error', (error) => {
        link.lastError = error;
        if (!settled) fail(this.connectError(error));
      });
      client.on('close', () => {
        if (!settled) {
          const why = link.lastError ? messageOf(link.lastError) : 'no CONNACK';
          const closed = link.closedByUs
            ? new DeviceConnectError(`${this.url}: connection closed while connecting`, 'stopped')
            : (socketConnectError(this.url, link.lastError) ??
              new DeviceConnectError(
                `${this.url}: the broker closed the connection before accepting it (${why}); it may have rejected the client certificate or client id`,
                'closed',
                link.lastError,
              ));
          fail(closed);
          return;
        }
        if (link.closedByUs || this.link !== link) return;
        this.link = undefined;
        this.transportLost(link.lastError);
      });
      client.on('message', (messageTopic, payload, packet) => {
        if (this.link !== link) return;
        const address = parseRequestTopic(messageTopic);
        // Our own replies (server/...) and unknown apis are not requests: ignore them.
        if (!address || address.deviceId !== this.deviceId) return;
        const { responseTopic, correlationData } = packet.properties ?? {};
        this.receive(
          address.api,
          payload,
          undefined,
          this.mqttVersion === 5 ? { responseTopic, correlationData } : undefined,
        );
      });
      client.once('connect', () => {
        client.subscribe(topic, { qos: 1 }, (error) => {
          if (settled) return;
          if (error) {
            fail(
              refusedSubscription(error)
                ? new DeviceConnectError(
                    `${this.url}: subscription to ${topic} refused by the broker (SUBACK 0x80): not authorized to read it`,
                    'not-authorized',
                    error,
                  )
                : this.connectError(error),
            );
            return;
          }
          settled = true;
          resolve();
        });
      });
    });
  }

  protected async closeTransport(): Promise<void> {
    const link = this.link;
    this.link = undefined;
    if (!link) return;
    link.closedByUs = true;
    const { client } = link;
    await new Promise<void>((resolve) => {
      if (!client.connected) {
        client.end(true, {}, () => resolve());
        return;
      }
      const timer = setTimeout(() => {
        client.stream?.destroy();
        resolve();
      }, END_GRACE_MS);
      client.end(false, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  protected sendReply(api: DeviceApi, body: Buffer, replyContext?: ReplyContext): Promise<void> {
    const link = this.link;
    if (!link || !link.client.connected) return Promise.reject(new Error('not connected'));
    const { client } = link;
    return new Promise<void>((resolve, reject) => {
      let waiting = true;
      const done = (error?: Error): void => {
        if (!waiting) return;
        waiting = false;
        clearTimeout(timer);
        client.removeListener('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onClose = (): void => done(new Error('connection closed before the PUBACK'));
      // No PUBACK in time: go on (MQTT 3.x cannot say that the broker refused it; see pubackWaitMs).
      const timer = setTimeout(() => {
        this.logger.warn(
          `[sim ${this.label}] no PUBACK for the ${api} reply within ${this.pubackWaitMs} ms; going on to the next request`,
        );
        done();
      }, this.pubackWaitMs);
      client.once('close', onClose);
      // MQTT 5: where the request said, echoing its Correlation Data; else the protocol's reply topic.
      const topic = replyContext?.responseTopic ?? replyTopic(this.deviceId, api);
      const properties = replyContext?.correlationData ? { correlationData: replyContext.correlationData } : undefined;
      client.publish(topic, body, { qos: 1, retain: false, ...(properties && { properties }) }, (error) =>
        done(error ?? undefined),
      );
    });
  }

  private connectError(error: unknown): DeviceConnectError {
    if (error instanceof DeviceConnectError) return error;
    const code = (error as { code?: unknown } | undefined)?.code;
    if (typeof code === 'number' && CONNACK_REFUSALS[code]) {
      const refusal = CONNACK_REFUSALS[code];
      const certificateLogin = this.options.username === undefined;
      let hint = '';
      let reason = refusal.reason;
      if (code === 5) {
        hint = certificateLogin
          ? '; the broker did not accept the certificate login (is the device registered and allowed on the broker?)'
          : '; the broker did not accept this username';
      } else if (code === 4 && certificateLogin) {
        // No username was sent: the broker did not take the identity from the certificate.
        reason = 'not-authorized';
        hint = `; no username was sent, so the broker did not log the device in by its certificate (certificate login not enabled, or no broker user ${this.deviceId})`;
      }
      return new DeviceConnectError(
        `${this.url}: connection refused: ${refusal.text} (CONNACK return code ${code})${hint}`,
        reason,
        error,
      );
    }
    const message = messageOf(error);
    if (message === 'connack timeout') {
      return new DeviceConnectError(`${this.url}: no CONNACK within ${this.connectTimeoutMs} ms`, 'timeout', error);
    }
    return socketConnectError(this.url, error) ?? new DeviceConnectError(`${this.url}: ${message}`, 'other', error);
  }
}
