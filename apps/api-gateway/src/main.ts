import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PlatformLogger, exitIfShutdownStalls } from '@app/common/nest';
import { AppModule } from './app.module';
import { GatewayConfig } from './config/gateway.config';
import { SWAGGER_PATH, configureApp } from './configure-app';
import { GatewayHttpAdapter } from './infrastructure/http-adapter';

/**
 * ConfigModule reads .env too, but NestFactory needs the TLS options before any
 * module exists. Variables already in the environment win, as in ConfigModule.
 */
export function loadDotEnv(file = '.env'): void {
  try {
    process.loadEnvFile(file);
  } catch {
    // No .env: the environment alone must then satisfy the config schema.
  }
}

/** HTTPS options from the server certificate, unless HTTPS=false. */
function httpsOptions(): { key: Buffer; cert: Buffer } | undefined {
  if (/^(false|0|no)$/i.test(process.env.HTTPS ?? '')) return undefined;
  const dir = path.resolve(process.env.CERTS_DIR ?? 'certs');
  try {
    return {
      key: readFileSync(path.join(dir, 'server_pkey.pem')),
      cert: readFileSync(path.join(dir, 'server_cert.pem')),
    };
  } catch {
    throw new Error(
      `HTTPS needs ${dir}/server_cert.pem and server_pkey.pem: run \`npm run certs\` (or set HTTPS=false)`,
    );
  }
}

async function bootstrap(): Promise<void> {
  loadDotEnv();
  const https = httpsOptions();
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new GatewayHttpAdapter(https), {
    logger: new PlatformLogger(),
  });
  await configureApp(app);
  const config = app.get<ConfigService<GatewayConfig, true>>(ConfigService);
  const port = config.get('PORT', { infer: true });
  // Every address, as Node's own default (Fastify's is localhost only).
  await app.listen(port, '::');
  exitIfShutdownStalls();
  const base = `${https ? 'https' : 'http'}://localhost:${port}`;
  Logger.log(`API gateway listening on ${base} (Swagger UI: ${base}/${SWAGGER_PATH})`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  // Config and start-up errors: one clear line, no stack for expected ones.
  const message = error instanceof Error ? error.message : String(error);
  Logger.error(message, 'Bootstrap');
  process.exit(1);
});
