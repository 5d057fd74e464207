import * as net from 'node:net';
import { AppProcess, freePort, gatewayUrl, waitHealthy } from '../../tools/stack/stack';
import { CA_PEM } from './apps';

export { freePort } from '../../tools/stack/stack';

export interface GatewayProcess {
  baseUrl: string;
  process: AppProcess;
  stop(): Promise<void>;
}

/**
 * Another gateway replica: a separate process of the real main.ts (ts-node), with
 * its own settings on top of this worker's environment, as `node dist/.../main.js`
 * runs it next to a first replica. BROKER_AUTH_PORT and METRICS_PORT are 0 (off) unless
 * given: one replica answers the broker, and the test's own in-process gateways (and the
 * other replicas) must not collide on those listeners.
 */
export async function spawnGateway(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const port = await freePort();
  const settings: Record<string, string> = {
    BROKER_AUTH_PORT: '0',
    METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
    ...env,
    PORT: String(port),
  };
  const gateway = new AppProcess(`gateway :${port}`, 'api-gateway', {
    from: 'source',
    env: settings,
    output: 'inherit',
  });
  gateway.start();
  const baseUrl = gatewayUrl(settings);
  try {
    // Listening is enough: some tests run it without device-command, which /health reports with 503.
    const health = await waitHealthy(baseUrl, CA_PEM, 90_000, { watch: [gateway], anyAnswer: true });
    if (health.state === 'down') {
      throw new Error(`the gateway on :${port} did not listen within 90 s (${health.reason})`);
    }
  } catch (error) {
    await gateway.kill('SIGKILL');
    throw error;
  }
  return { baseUrl, process: gateway, stop: () => gateway.stop() };
}

/**
 * A TCP relay to the database that the test can cut and restore: "the database
 * went away" for the gateways behind it, without disturbing anything else.
 */
export class CuttableRelay {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    private readonly target: { host: string; port: number },
    readonly port: number,
  ) {}

  async open(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
