/** Test helper: a CommandContext over an in-memory transport. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GlobalOptions } from '../src/args';
import { ConfigStore } from '../src/config-store';
import { CommandContext } from '../src/commands/context';
import { HttpMethod, HttpResponse, JsonTransport, RequestOptions } from '../src/http-client';

export interface SentRequest {
  method: HttpMethod;
  path: string;
  options: RequestOptions;
}

export class FakeTransport implements JsonTransport {
  sent: SentRequest[] = [];
  constructor(private readonly answer: (request: SentRequest) => HttpResponse) {}

  async request(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<HttpResponse> {
    const request = { method, path, options };
    this.sent.push(request);
    return this.answer(request); // throws ApiError etc. as the real client would
  }
}

export const URL = 'https://gw.test:8443';

export function fakeContext(
  http: JsonTransport,
  options: Partial<GlobalOptions> = {},
): CommandContext & { lines: string[]; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'iotcloud-cli-ctx-'));
  const store = new ConfigStore(join(dir, 'config.json'));
  store.write({
    url: URL,
    username: 'alice',
    accessToken: 'tok',
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
  });
  const lines: string[] = [];
  return {
    http,
    url: URL,
    store,
    options: { insecure: false, json: false, ...options },
    env: {},
    cwd: dir,
    stdin: {
      setEncoding: () => undefined,
      on: () => undefined,
      removeListener: () => undefined,
      resume: () => undefined,
      pause: () => undefined,
    },
    stderr: { write: () => undefined },
    progress: (line) => lines.push(line),
    print: (line) => lines.push(line),
    now: () => 1_700_000_000_000,
    sleep: () => Promise.resolve(),
    tty: false,
    redraw: () => undefined,
    lines,
    dir,
  };
}
