import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { QueryBus } from '@nestjs/cqrs';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { GatewayConfig } from '../config/gateway.config';
import { GatewayMetrics } from '../observability/gateway.metrics';
import { Permission } from './broker-access.policy';
import {
  AuthorizeBrokerAccessQuery,
  BrokerAccessRequest,
} from './queries/authorize-broker-access/authorize-broker-access.query';

const MAX_BODY = 4096;
/** Answers slower than this are logged: the broker holds the device meanwhile. */
const SLOW_ANSWER_MS = 1000;
const PERMISSIONS: ReadonlySet<string> = new Set(['configure', 'write', 'read']);

/** Translates one form-encoded request of RabbitMQ's HTTP auth backend into a query; null when malformed. */
export function toBrokerAccessRequest(path: string, form: URLSearchParams): BrokerAccessRequest | null {
  const username = form.get('username');
  if (!username) return null;
  const vhost = form.get('vhost') ?? '';
  const permission = form.get('permission') ?? '';
  switch (path) {
    case '/broker-auth/user':
      return { check: 'user', username, password: form.get('password') ?? undefined };
    case '/broker-auth/vhost':
      return { check: 'vhost', username, vhost, clientId: form.get('client_id') ?? undefined };
    case '/broker-auth/resource':
      if (!PERMISSIONS.has(permission)) return null;
      return {
        check: 'resource',
        username,
        vhost,
        resource: form.get('resource') ?? '',
        name: form.get('name') ?? '',
        permission: permission as Permission,
      };
    case '/broker-auth/topic':
      if (!PERMISSIONS.has(permission)) return null;
      return {
        check: 'topic',
        username,
        vhost,
        name: form.get('name') ?? '',
        permission: permission as Permission,
        routingKey: form.get('routing_key') ?? '',
      };
    default:
      return null;
  }
}

/**
 * The internal endpoint RabbitMQ's HTTP auth backend calls for device logins and
 * permissions. It is a separate HTTP server bound to loopback (BROKER_AUTH_HOST),
 * not a route of the public API. It fails closed: anything unexpected is `deny`.
 */
@Injectable()
export class BrokerAuthHttpServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BrokerAuthHttpServer.name);
  private server?: Server;

  constructor(
    private readonly queryBus: QueryBus,
    private readonly config: ConfigService<GatewayConfig, true>,
    private readonly metrics: GatewayMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.get('BROKER_AUTH_PORT', { infer: true });
    const host = this.config.get('BROKER_AUTH_HOST', { infer: true });
    if (port === 0) return; // disabled (e.g. a second gateway replica on the same host)
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.logger.log(`broker auth endpoint on http://${host}:${port}/broker-auth`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    let decision = false;
    let request: BrokerAccessRequest | null = null;
    try {
      const body = await readBody(req);
      request = req.method === 'POST' ? toBrokerAccessRequest(req.url ?? '', new URLSearchParams(body)) : null;
      if (request) decision = await this.queryBus.execute(new AuthorizeBrokerAccessQuery(request));
      else this.logger.warn(`malformed broker auth request: ${req.method} ${req.url}`);
    } catch (error) {
      this.logger.error(`broker auth failed closed: ${error instanceof Error ? error.message : String(error)}`);
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(decision ? 'allow' : 'deny');
    const elapsed = performance.now() - started;
    const check = request?.check ?? 'malformed';
    this.metrics.brokerAuthDecisions.inc({ check, result: decision ? 'allow' : 'deny' });
    this.metrics.brokerAuthDuration.observe({ check }, elapsed / 1000);
    if (elapsed > SLOW_ANSWER_MS) {
      this.logger.warn(
        `answered the broker's ${check} check for ${request?.username ?? '?'} in ${Math.round(elapsed)} ms`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
