/**
 * Test helpers: a throwaway self-signed certificate made with the openssl CLI,
 * and a real HTTPS server on 127.0.0.1 that records what it receives.
 * Not part of the CLI build (tsconfig.app.json compiles src/ only).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { IncomingHttpHeaders } from 'node:http';
import * as https from 'node:https';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsFixture {
  dir: string;
  /** The server's self-signed certificate: trusting it as a CA makes verification pass. */
  certFile: string;
  cert: string;
  key: string;
  /** Another self-signed certificate: the wrong CA. */
  otherCaFile: string;
  remove(): void;
}

function selfSigned(dir: string, name: string, san: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}_cert.pem`);
  const keyFile = join(dir, `${name}_pkey.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      `subjectAltName=${san}`,
    ],
    { stdio: 'pipe' },
  );
  return { certFile, keyFile };
}

/** `san`: the server certificate's subjectAltName (default: localhost and 127.0.0.1). */
export function makeTlsFixture(san = 'DNS:localhost,IP:127.0.0.1'): TlsFixture {
  const dir = mkdtempSync(join(tmpdir(), 'iotcloud-cli-tls-'));
  const server = selfSigned(dir, 'server', san);
  const other = selfSigned(dir, 'other', 'DNS:localhost,IP:127.0.0.1');
  return {
    dir,
    certFile: server.certFile,
    cert: readFileSync(server.certFile, 'utf8'),
    key: readFileSync(server.keyFile, 'utf8'),
    otherCaFile: other.certFile,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/devices/lamp/status?timeout=200`. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or undefined when there was none. */
  body: unknown;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** Sent verbatim instead of `body` (to test non-JSON answers). */
  raw?: string;
  /** Answer this much later. */
  delayMs?: number;
}

export type Handler = (request: RecordedRequest) => Reply;

export interface TestServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** TLS handshakes completed so far. */
  handshakes(): number;
  setHandler(handler: Handler): void;
  close(): Promise<void>;
}

export async function startTestServer(fixture: TlsFixture, initial: Handler): Promise<TestServer> {
  let handler = initial;
  let handshakes = 0;
  const requests: RecordedRequest[] = [];
  const server = https.createServer({ key: fixture.key, cert: fixture.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
      };
      requests.push(recorded);
      const reply = handler(recorded);
      const payload = reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
      const send = (): void => {
        if (res.destroyed) return;
        res.writeHead(
          reply.status,
          reply.raw === undefined && payload !== '' ? { 'content-type': 'application/json' } : {},
        );
        res.end(payload);
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  server.on('secureConnection', () => {
    handshakes += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    requests,
    handshakes: () => handshakes,
    setHandler: (next) => {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function unusedPort(): Promise<number> {
  const net = await import('node:net');
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
