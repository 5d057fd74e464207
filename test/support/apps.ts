import { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AppModule } from '../../apps/api-gateway/src/app.module';
import { BrokerAuthHttpServer } from '../../apps/api-gateway/src/broker-auth/broker-auth.http-server';
import { configureApp } from '../../apps/api-gateway/src/configure-app';
import { GatewayHttpAdapter } from '../../apps/api-gateway/src/infrastructure/http-adapter';
import { MetricsHttpServer } from '../../apps/api-gateway/src/observability/metrics.http-server';
import {
  DeviceCommandStartOptions,
  startDeviceCommand as start,
} from '../../apps/device-command/src/start-device-command';
import { ROOT } from './infrastructure';

export const CERTS_DIR = path.join(ROOT, 'certs');
export const CA_PEM = readFileSync(path.join(CERTS_DIR, 'rootca.pem'), 'utf8');

function serverTls(): { key: Buffer; cert: Buffer } {
  return {
    key: readFileSync(path.join(CERTS_DIR, 'server_pkey.pem')),
    cert: readFileSync(path.join(CERTS_DIR, 'server_cert.pem')),
  };
}

export interface RunningGateway {
  app: INestApplication;
  baseUrl: string;
  close(): Promise<void>;
}

/** Boots the real api-gateway module over HTTPS on a free loopback port, configured as main.ts does. */
export async function startGateway(options: { logger?: LoggerService } = {}): Promise<RunningGateway> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new GatewayHttpAdapter(serverTls()), {
    logger: options.logger ?? ['error', 'warn'],
  });
  await configureApp(app);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, baseUrl: `https://localhost:${address.port}`, close: () => app.close() };
}

/**
 * A second gateway replica in this process: the same module, except that it does not
 * serve the broker's auth questions nor /metrics (as a replica runs with BROKER_AUTH_PORT=0
 * and its own METRICS_PORT; config is read once per process, so here those servers are
 * left out instead).
 */
export function startGatewayReplica(): Promise<RunningGateway> {
  return startGatewayWithout([BrokerAuthHttpServer, MetricsHttpServer]);
}

/** The real gateway module with some providers replaced by inert objects. */
export async function startGatewayWithout(
  providers: (abstract new (...args: never[]) => unknown)[],
): Promise<RunningGateway> {
  let builder = Test.createTestingModule({ imports: [AppModule] });
  for (const provider of providers) builder = builder.overrideProvider(provider).useValue({});
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new GatewayHttpAdapter(serverTls()), {
    logger: ['error', 'warn'],
  });
  await configureApp(app);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, baseUrl: `https://localhost:${address.port}`, close: () => app.close() };
}

/**
 * Boots the real device-command microservice on the real broker (AMQPS), as main.ts does.
 * A second replica running at the same time needs `httpPort: 0` (any free port).
 */
export function startDeviceCommand(options: DeviceCommandStartOptions = {}): Promise<INestApplication> {
  return start({ logger: ['error', 'warn'], ...options });
}
