import { INestApplication, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import fastifyHelmet from '@fastify/helmet';
import { HttpErrorFilter, createValidationPipe } from '@app/common/nest';
import { GatewayConfig } from './config/gateway.config';
import { rejectDeepBodies } from './infrastructure/body-depth';
import { bodyLimitBytes, useBodyParsers } from './infrastructure/body-parsers';
import { GatewayHttpAdapter } from './infrastructure/http-adapter';
import { methodNotAllowed } from './infrastructure/method-not-allowed';
import { buildOpenApiDocument } from './infrastructure/openapi-document';
import { GatewayMetrics } from './observability/gateway.metrics';
import { observeHttp } from './observability/http-observer';

export const SWAGGER_PATH = 'api/docs';

/**
 * Everything that makes the gateway what it is besides its modules: request ids,
 * metrics and the access log, body limits,
 * security headers, validation, the error shape and Swagger. main.ts and the e2e
 * tests both call this, on an app made with a GatewayHttpAdapter, so tests run what users run.
 */
export async function configureApp(app: NestFastifyApplication): Promise<INestApplication> {
  const adapter = app.getHttpAdapter();
  if (!(adapter instanceof GatewayHttpAdapter)) throw new Error('The gateway runs on a GatewayHttpAdapter');
  const config = app.get<ConfigService<GatewayConfig, true>>(ConfigService);
  // First, so every request, even one refused by the body parser, has an id, a duration and an access line.
  adapter.setOnRequestHook(observeHttp(app.get(GatewayMetrics), new Logger('Access')));
  // Behind a TLS-terminating proxy, the client address (the login throttle's key) is the
  // one the trusted proxy puts in X-Forwarded-For, not the proxy's own.
  adapter.trustProxy(config.get('TRUST_PROXY', { infer: true }));
  useBodyParsers(app, bodyLimitBytes(config.get('BODY_LIMIT', { infer: true })));
  await app.register(fastifyHelmet, {
    // Swagger UI needs its inline script and style.
    contentSecurityPolicy: {
      directives: {
        'script-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:', 'validator.swagger.io'],
      },
    },
  });
  const fastify = adapter.getInstance();
  fastify.addHook('preValidation', rejectDeepBodies());
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter());
  app.enableShutdownHooks();

  const document = buildOpenApiDocument(app);
  // After helmet's hooks, so a 405 carries its headers too.
  fastify.addHook('onRequest', methodNotAllowed(document));
  SwaggerModule.setup(SWAGGER_PATH, app, document, { jsonDocumentUrl: `${SWAGGER_PATH}-json` });
  return app;
}
