import { readFileSync } from 'node:fs';
import { ApiError, GatewayUnreachableError } from './errors';
import { HttpClient, toApiError } from './http-client';
import { TestServer, TlsFixture, makeTlsFixture, startTestServer, unusedPort } from '../test/tls-server';

describe('HttpClient against a real HTTPS server', () => {
  let tls: TlsFixture;
  let server: TestServer;
  const clients: HttpClient[] = [];

  function client(
    overrides: { baseUrl?: string; caFile?: string; insecure?: boolean; requestTimeoutMs?: number } = {},
  ): HttpClient {
    const caFile = overrides.caFile ?? tls.certFile;
    const c = new HttpClient({
      baseUrl: overrides.baseUrl ?? server.url,
      ca: overrides.insecure ? undefined : readFileSync(caFile),
      caFile,
      insecure: overrides.insecure,
      requestTimeoutMs: overrides.requestTimeoutMs,
    });
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    tls = makeTlsFixture();
    server = await startTestServer(tls, () => ({ status: 200, body: { ok: true } }));
  });

  afterEach(() => {
    clients.splice(0).forEach((c) => c.close());
    server.requests.length = 0;
    server.setHandler(() => ({ status: 200, body: { ok: true } }));
  });

  afterAll(async () => {
    await server.close();
    tls.remove();
  });

  it('sends the bearer token, a JSON body and the query, and parses the JSON answer', async () => {
    server.setHandler((req) => ({ status: 200, body: { echoed: req.body } }));
    const response = await client().request('PUT', '/devices/lamp/gpio/5', {
      token: 'tok-123',
      body: { value: 1 },
      query: { timeout: 250, skipped: undefined },
    });

    expect(response).toEqual({ status: 200, body: { echoed: { value: 1 } } });
    const [req] = server.requests;
    expect(req.method).toBe('PUT');
    expect(req.url).toBe('/devices/lamp/gpio/5?timeout=250');
    expect(req.headers.authorization).toBe('Bearer tok-123');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.accept).toBe('application/json');
  });

  it('sends no Authorization header without a token, and no body for GET', async () => {
    await client().request('GET', '/health');
    const [req] = server.requests;
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body).toBeUndefined();
  });

  it('returns an undefined body for 204', async () => {
    server.setHandler(() => ({ status: 204 }));
    await expect(client().request('DELETE', '/devices/lamp', { token: 't' })).resolves.toEqual({
      status: 204,
      body: undefined,
    });
  });

  it('keeps a base path prefix', async () => {
    await client({ baseUrl: `${server.url}/iot/` }).request('GET', '/devices');
    expect(server.requests[0].url).toBe('/iot/devices');
  });

  it('parses an error answer into an ApiError with the gateway code and message', async () => {
    server.setHandler(() => ({
      status: 404,
      body: { statusCode: 404, code: 'DEVICE_NOT_FOUND', message: 'No device named "x"' },
    }));
    const error = await client()
      .request('GET', '/devices/x', { token: 't' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ statusCode: 404, code: 'DEVICE_NOT_FOUND', message: 'No device named "x"' });
  });

  it('turns a non-JSON error answer into HTTP_<status>', async () => {
    server.setHandler(() => ({ status: 502, raw: '<html>Bad Gateway</html>' }));
    const error = await client()
      .request('GET', '/x')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 502, code: 'HTTP_502', message: '<html>Bad Gateway</html>' });
  });

  it('rejects a successful answer that is not JSON', async () => {
    server.setHandler(() => ({ status: 200, raw: 'hello' }));
    await expect(client().request('GET', '/x')).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });

  it('fails TLS verification against the wrong CA, naming the URL and the CA file', async () => {
    const error = await client({ caFile: tls.otherCaFile })
      .request('GET', '/health')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayUnreachableError);
    const e = error as GatewayUnreachableError;
    expect(e.code).toBe('TLS_ERROR');
    expect(e.message).toContain(server.url);
    expect(e.message).toContain(tls.otherCaFile);
    expect(server.requests).toHaveLength(0);
  });

  it('fails TLS verification against the system store (a self-signed server)', async () => {
    const c = new HttpClient({ baseUrl: server.url });
    clients.push(c);
    await expect(c.request('GET', '/health')).rejects.toMatchObject({ code: 'TLS_ERROR' });
  });

  it('fails on a host name the certificate does not cover, even with the right CA', async () => {
    const elsewhere = makeTlsFixture('DNS:gateway.example');
    const other = await startTestServer(elsewhere, () => ({ status: 200, body: {} }));
    try {
      const c = client({ baseUrl: other.url, caFile: elsewhere.certFile });
      await expect(c.request('GET', '/health')).rejects.toMatchObject({
        code: 'TLS_ERROR',
        reason: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });
      expect(other.requests).toHaveLength(0);
    } finally {
      await other.close();
      elsewhere.remove();
    }
  });

  it('connects without verification only when told to (--insecure)', async () => {
    await expect(client({ insecure: true, caFile: tls.otherCaFile }).request('GET', '/health')).resolves.toMatchObject({
      status: 200,
    });
  });

  it('reports a refused connection as unreachable, with the URL and `npm start`', async () => {
    const port = await unusedPort();
    const error = await client({ baseUrl: `https://127.0.0.1:${port}` })
      .request('GET', '/health')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayUnreachableError);
    expect(error).toMatchObject({ code: 'GATEWAY_UNREACHABLE', reason: 'ECONNREFUSED' });
    expect((error as Error).message).toContain(`https://127.0.0.1:${port}`);
    expect((error as Error).message).toContain('npm start');
  });

  it('gives up after the request timeout', async () => {
    server.setHandler(() => ({ status: 200, body: {}, delayMs: 1000 }));
    await expect(client({ requestTimeoutMs: 100 }).request('GET', '/slow')).rejects.toMatchObject({
      code: 'GATEWAY_TIMEOUT',
    });
  });

  it('reuses one kept-alive connection: only the first request pays for the TLS handshake', async () => {
    const before = server.handshakes();
    const c = client();
    for (let i = 0; i < 5; i += 1) await c.request('GET', '/health');
    expect(server.handshakes() - before).toBe(1);
  });

  it('rejects a non-https base URL', () => {
    expect(() => new HttpClient({ baseUrl: 'http://localhost:8443' })).toThrow(/https/);
  });
});

describe('toApiError', () => {
  it('keeps the gateway error shape', () => {
    expect(toApiError(409, { statusCode: 409, code: 'USERNAME_TAKEN', message: 'taken' }, '').toJSON()).toEqual({
      statusCode: 409,
      code: 'USERNAME_TAKEN',
      message: 'taken',
    });
  });

  it('falls back to the status text for an empty body', () => {
    expect(toApiError(503, undefined, '').toJSON()).toEqual({
      statusCode: 503,
      code: 'HTTP_503',
      message: 'Service Unavailable',
    });
  });
});
