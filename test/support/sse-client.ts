import type { IncomingHttpHeaders } from 'node:http';
import * as https from 'node:https';
import { CA_PEM } from './apps';

export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

/**
 * A Server-Sent Events client over HTTPS (our CA), collecting every message.
 * `next(predicate)` waits for a message matching it, failing after `timeoutMs`.
 */
export class SseClient {
  readonly messages: SseMessage[] = [];
  status = 0;
  headers: IncomingHttpHeaders = {};
  private request?: ReturnType<typeof https.request>;
  private waiters: (() => void)[] = [];

  static async open(baseUrl: string, token: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    await client.connect(baseUrl, token, headers);
    return client;
  }

  private connect(baseUrl: string, token: string, headers: Record<string, string>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.request = https.request(
        new URL('/events', baseUrl),
        {
          method: 'GET',
          ca: CA_PEM,
          headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...headers },
        },
        (res) => {
          this.status = res.statusCode ?? 0;
          this.headers = res.headers;
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffer += chunk;
            let end: number;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              this.parse(buffer.slice(0, end));
              buffer = buffer.slice(end + 2);
            }
            // The first bytes (the ": stream open" comment) mean the stream is live.
            resolve();
          });
          res.on('end', resolve);
        },
      );
      this.request.on('error', reject);
      this.request.end();
    });
  }

  private parse(block: string): void {
    const message: SseMessage = { data: '' };
    let data: string[] | undefined;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const [field, ...rest] = line.split(':');
      const value = rest.join(':').replace(/^ /, '');
      if (field === 'id') message.id = value;
      else if (field === 'event') message.event = value;
      else if (field === 'data') (data ??= []).push(value);
    }
    if (!data) return;
    message.data = data.join('\n');
    this.messages.push(message);
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Parsed `data` of every message so far. */
  events<T = Record<string, unknown>>(): T[] {
    return this.messages.map((m) => JSON.parse(m.data) as T);
  }

  async waitFor(predicate: (events: Record<string, unknown>[]) => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events())) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; events so far: ${JSON.stringify(this.events())}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.request?.destroy();
  }
}
