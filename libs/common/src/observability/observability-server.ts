import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';

export interface PlainAnswer {
  status: number;
  contentType: string;
  body: string;
}

export type PlainRoute = () => Promise<PlainAnswer>;

/**
 * A small plain-HTTP server for operators' tools (Prometheus, an orchestrator's
 * probes): fixed GET routes, nothing else. Bound to loopback by default, since
 * what it tells is for the operator's network only.
 */
export class ObservabilityServer {
  private server?: Server;

  constructor(private readonly routes: Record<string, PlainRoute>) {}

  /** Listens on host:port (0: any free port); resolves the port it got. */
  async listen(port: number, host: string): Promise<number> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = req.method === 'GET' ? this.routes[(req.url ?? '').split('?')[0]] : undefined;
    let answer: PlainAnswer;
    try {
      answer = route
        ? await route()
        : { status: 404, contentType: 'text/plain', body: `not found; try ${Object.keys(this.routes).join(', ')}\n` };
    } catch (error) {
      answer = { status: 500, contentType: 'text/plain', body: `${String(error)}\n` };
    }
    res.writeHead(answer.status, { 'content-type': answer.contentType }).end(answer.body);
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export function jsonAnswer(status: number, body: unknown): PlainAnswer {
  return { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) };
}
