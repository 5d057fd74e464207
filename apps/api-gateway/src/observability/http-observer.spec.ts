import { Body, Controller, Get, INestApplication, Logger, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { generateKeyPairSync } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { currentRequest } from '@app/common';
import { PlatformLogger } from '@app/common/nest';
import { GatewayMetrics } from './gateway.metrics';
import { observeHttp } from './http-observer';

const PASSWORD = 'pw-6f1d2c-correct-horse';
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.token-9b2e71.sig';
const LEGACY_SECRET = 'legacy-secret-4a7c09';
// A real key, made at run time (no key material in the source).
const PRIVATE_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const QUERY_SECRET = 'query-secret-0e6b3f';
const COOKIE = 'session-cookie-77ad21';
const SECRETS = [PASSWORD, TOKEN, LEGACY_SECRET, 'MIIEvQ-key-c3d8e5', QUERY_SECRET, COOKIE];

const seenIds: (string | undefined)[] = [];

@Controller()
class SecretsController {
  private readonly logger = new Logger('Handler');

  @Post('auth/login')
  login(@Body() body: { password?: string }): { ok: boolean } {
    seenIds.push(currentRequest()?.requestId);
    this.logger.log('checking a login'); // a line "about the request": it must carry the id
    return { ok: typeof body.password === 'string' };
  }

  @Get('legacy/:secret/status')
  legacy(@Param('secret') secret: string): { length: number } {
    return { length: secret.length };
  }
}

@Module({ controllers: [SecretsController] })
class SecretsModule {}

describe('observeHttp (request ids, metrics, access log)', () => {
  for (const format of ['json', 'text'] as const) {
    describe(`with LOG_FORMAT=${format}`, () => {
      let app: INestApplication;
      let base: string;
      let output: string;
      let registry: Registry;

      beforeAll(async () => {
        output = '';
        registry = new Registry();
        const logger = new PlatformLogger(format, ['error', 'warn', 'log'], (_stream, line) => {
          output += line;
        });
        const adapter = new FastifyAdapter();
        adapter.setOnRequestHook(observeHttp(new GatewayMetrics(registry), new Logger('Access')));
        app = await NestFactory.create<NestFastifyApplication>(SecretsModule, adapter, { logger });
        await app.listen(0, '127.0.0.1');
        base = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
      });

      afterAll(() => app.close());

      it('logs one access line per request with the route template, and never a secret', async () => {
        const login = await fetch(`${base}/auth/login?secret=${QUERY_SECRET}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${TOKEN}`,
            cookie: `session=${COOKIE}`,
            'x-request-id': 'caller-id-1',
          },
          body: JSON.stringify({ username: 'alice', password: PASSWORD, privateKey: PRIVATE_KEY }),
        });
        expect(login.status).toBe(201);
        expect(login.headers.get('x-request-id')).toBe('caller-id-1');
        const legacy = await fetch(`${base}/legacy/${LEGACY_SECRET}/status`, {
          headers: { 'x-request-id': 'bad id with spaces "and quotes"' },
        });
        expect(legacy.status).toBe(200);
        const generated = legacy.headers.get('x-request-id');
        expect(generated).toMatch(/^[0-9a-f-]{36}$/); // not sane: replaced by a fresh id

        const lines = output.trim().split('\n');
        const access = lines.filter((line) => line.includes('Access'));
        expect(access).toHaveLength(2);
        expect(access[0]).toContain('/auth/login');
        expect(access[1]).toContain('/legacy/:secret/status');
        expect(access[1]).toContain(generated);
        for (const secret of SECRETS) expect(output).not.toContain(secret);
        if (format === 'json') {
          const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
          expect(parsed.find((l) => l.context === 'Access' && l.route === '/auth/login')).toMatchObject({
            level: 'log',
            method: 'POST',
            status: 201,
            requestId: 'caller-id-1',
          });
          expect(parsed.find((l) => l.context === 'Handler')).toMatchObject({ requestId: 'caller-id-1' });
        } else {
          expect(lines.find((l) => l.includes('checking a login'))).toContain('(request caller-id-1)');
        }
        expect(seenIds.at(-1)).toBe('caller-id-1');
      });

      it('observes the duration by route template, method and status', async () => {
        const metric = (await registry.getMetricsAsJSON()).find(
          (m) => m.name === 'iotcloud_http_request_duration_seconds',
        );
        const counts = metric?.values.filter(
          (v) => (v as { metricName?: string }).metricName === 'iotcloud_http_request_duration_seconds_count',
        );
        expect(counts?.map((v) => v.labels).sort((a, b) => String(a.route).localeCompare(String(b.route)))).toEqual([
          { method: 'POST', route: '/auth/login', status: '201' },
          { method: 'GET', route: '/legacy/:secret/status', status: '200' },
        ]);
      });
    });
  }
});
