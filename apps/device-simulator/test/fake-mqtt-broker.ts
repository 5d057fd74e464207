/**
 * A tiny MQTT 3.1/3.1.1 broker over mutual TLS, for the simulator's own tests:
 * just enough to check what MqttDevice puts on the wire (CONNECT fields,
 * SUBSCRIBE, reply PUBLISHes and their order) without RabbitMQ.
 * Not a product: one session per client id, no retained messages, no QoS 2.
 */
import { EventEmitter } from 'node:events';
import { AddressInfo } from 'node:net';
import { TLSSocket, Server, createServer } from 'node:tls';
import * as mqttPacket from 'mqtt-packet';

export interface ConnectRecord {
  clientId: string;
  protocolId: string;
  protocolVersion: number;
  clean: boolean;
  username?: string;
  password?: string;
  /** CN of the client certificate (mutual TLS). */
  certificateCn?: string;
  /** The client's source address (127.0.0.x on loopback). */
  remoteAddress?: string;
}

export interface PublishRecord {
  clientId: string;
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  at: number;
}

interface Session {
  socket: TLSSocket;
  clientId: string;
  protocolVersion: number;
  filters: string[];
  nextId: number;
}

export interface FakeBrokerOptions {
  key: string;
  cert: string;
  ca: string;
}

function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i += 1) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

export class FakeMqttBroker extends EventEmitter {
  readonly connects: ConnectRecord[] = [];
  readonly subscriptions: { clientId: string; topic: string; qos: number }[] = [];
  readonly published: PublishRecord[] = [];
  /** CONNACK return code to send (0 = accepted, 5 = not authorized). */
  connackCode = 0;
  /** SUBACK granted value to send (1, or 0x80 = failure). */
  subackGranted = 1;
  /** Whether QoS 1 publishes are acknowledged (RabbitMQ never PUBACKs one a queue refused, on MQTT 3.x). */
  pubacks = true;
  private readonly sessions = new Map<string, Session>();
  private readonly sockets = new Set<TLSSocket>();
  private readonly server: Server;

  constructor(options: FakeBrokerOptions) {
    super();
    this.server = createServer(
      { key: options.key, cert: options.cert, ca: options.ca, requestCert: true, rejectUnauthorized: true },
      (socket) => this.accept(socket),
    );
    this.server.on('tlsClientError', () => undefined);
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  isConnected(clientId: string): boolean {
    return this.sessions.has(clientId);
  }

  /** Publishes a request to a connected client at QoS 1, if one of its filters matches. */
  publish(clientId: string, topic: string, payload: string | Buffer): boolean {
    const session = this.sessions.get(clientId);
    if (!session || !session.filters.some((filter) => matches(filter, topic))) return false;
    session.nextId = (session.nextId % 65535) + 1;
    this.send(session.socket, session.protocolVersion, {
      cmd: 'publish',
      topic,
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
      qos: 1,
      messageId: session.nextId,
      retain: false,
      dup: false,
    });
    return true;
  }

  /** Cuts a client's connection, as a broker restart would. */
  drop(clientId: string): void {
    this.sessions.get(clientId)?.socket.destroy();
  }

  /** Resolves when `predicate` holds, re-checked on every broker event. */
  waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.off('event', check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.off('event', check);
        reject(new Error('FakeMqttBroker.waitFor timed out'));
      }, timeoutMs);
      this.on('event', check);
    });
  }

  private send(socket: TLSSocket, protocolVersion: number, packet: mqttPacket.Packet): void {
    if (!socket.destroyed) socket.write(mqttPacket.generate(packet, { protocolVersion }));
  }

  private accept(socket: TLSSocket): void {
    this.sockets.add(socket);
    const parser = mqttPacket.parser();
    let session: Session | undefined;
    let protocolVersion = 4;
    const peer = socket.getPeerCertificate();
    const certificateCn = peer && typeof peer.subject?.CN === 'string' ? peer.subject.CN : undefined;

    parser.on('packet', (packet: mqttPacket.Packet) => {
      switch (packet.cmd) {
        case 'connect': {
          protocolVersion = packet.protocolVersion ?? 4;
          this.connects.push({
            clientId: packet.clientId,
            protocolId: packet.protocolId ?? '',
            protocolVersion,
            clean: packet.clean ?? false,
            username: packet.username,
            password: packet.password?.toString(),
            certificateCn,
            remoteAddress: socket.remoteAddress,
          });
          this.send(socket, protocolVersion, { cmd: 'connack', returnCode: this.connackCode, sessionPresent: false });
          if (this.connackCode !== 0) {
            socket.end();
            break;
          }
          this.sessions.get(packet.clientId)?.socket.destroy(); // take over, like a real broker
          session = { socket, clientId: packet.clientId, protocolVersion, filters: [], nextId: 0 };
          this.sessions.set(packet.clientId, session);
          break;
        }
        case 'subscribe': {
          if (!session) break;
          for (const { topic, qos } of packet.subscriptions) {
            this.subscriptions.push({ clientId: session.clientId, topic, qos });
            if (this.subackGranted < 0x80) session.filters.push(topic);
          }
          this.send(socket, protocolVersion, {
            cmd: 'suback',
            messageId: packet.messageId ?? 0,
            granted: packet.subscriptions.map(() => this.subackGranted),
          });
          break;
        }
        case 'publish': {
          if (!session) break;
          this.published.push({
            clientId: session.clientId,
            topic: packet.topic,
            payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
            qos: packet.qos,
            retain: packet.retain,
            at: Date.now(),
          });
          if (packet.qos === 1 && this.pubacks) {
            this.send(socket, protocolVersion, { cmd: 'puback', messageId: packet.messageId ?? 0 });
          }
          break;
        }
        case 'pingreq':
          this.send(socket, protocolVersion, { cmd: 'pingresp' });
          break;
        case 'disconnect':
          socket.end();
          break;
        default:
          break;
      }
      this.emit('event');
    });
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (session && this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId);
      this.emit('event');
    });
  }
}
