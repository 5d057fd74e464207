import { Injectable, Logger } from '@nestjs/common';
import * as https from 'node:https';

export interface ManagementSettings {
  /** e.g. https://127.0.0.1:15671 */
  url: string;
  username: string;
  password: string;
  caPem: string;
}

/**
 * Closes live broker connections through RabbitMQ's management API (HTTPS on
 * loopback). Used to cut a revoked device off at once, instead of waiting for
 * it to reconnect and be refused.
 */
@Injectable()
export class BrokerConnections {
  private readonly logger = new Logger(BrokerConnections.name);
  private readonly agent: https.Agent;

  constructor(private readonly settings: ManagementSettings) {
    // No keep-alive: revocations are rare, and a reused idle socket the server already closed fails.
    this.agent = new https.Agent({ ca: settings.caPem, keepAlive: false, maxSockets: 4 });
  }

  /**
   * Closes every connection logged in as `username` and returns how many there were. Uses the
   * per-user endpoints, which read the broker's connection tracking at once; the general
   * connection list trails by a statistics interval (and more on a busy broker).
   */
  async closeConnectionsOf(username: string, reason: string): Promise<number> {
    const path = `/api/connections/username/${encodeURIComponent(username)}`;
    const attempt = async (): Promise<number> => {
      const { body } = await this.call('GET', path);
      const open = (JSON.parse(body) as unknown[]).length;
      if (open > 0) await this.call('DELETE', path, { 'X-Reason': reason });
      return open;
    };
    return attempt().catch(async (error: unknown) => {
      this.logger.warn(`closing the connections of ${username} failed (${String(error)}); retrying once`);
      return attempt();
    });
  }

  /**
   * Every connection the broker has now: its name and user. Reads the general list,
   * which may miss a connection opened in the last second or so (a statistics interval).
   */
  async listConnections(): Promise<{ name: string; user: string }[]> {
    const { body } = await this.call('GET', '/api/connections?columns=name,user');
    return (JSON.parse(body) as { name?: unknown; user?: unknown }[])
      .filter((c) => typeof c.name === 'string' && typeof c.user === 'string')
      .map((c) => ({ name: c.name as string, user: c.user as string }));
  }

  private call(
    method: string,
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: string }> {
    const auth = Buffer.from(`${this.settings.username}:${this.settings.password}`).toString('base64');
    return new Promise((resolve, reject) => {
      const req = https.request(
        new URL(path, this.settings.url),
        { method, agent: this.agent, timeout: 5000, headers: { authorization: `Basic ${auth}`, ...headers } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            // 404 on DELETE: the connection closed by itself meanwhile.
            if (status >= 400 && !(method === 'DELETE' && status === 404)) {
              reject(new Error(`management API ${method} ${path}: ${status} ${body.slice(0, 200)}`));
            } else resolve({ status, body });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('management API timed out')));
      req.on('error', reject);
      req.end();
    });
  }
}
