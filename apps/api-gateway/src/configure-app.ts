import { INestApplication, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { HttpErrorFilter, createValidationPipe } from '@app/common/nest';
import { GatewayConfig } from './config/gateway.config';
import { methodNotAllowed } from './infrastructure/method-not-allowed';
import { buildOpenApiDocument } from './infrastructure/openapi-document';
import { GatewayMetrics } from './observability/gateway.metrics';
import { observeHttp } from './observability/http-observer';
import { rejectDeepBodies } from './infrastructure/body-depth';

export const SWAGGER_PATH = 'api/docs';

/**
 * Everything that makes the gateway what it is besides its modules: request ids,
 * metrics and the access log, body limits,
 * security headers, validation, the error shape and Swagger. main.ts and the e2e
 * tests both call this, so tests run what users run.
 */
export function configureApp(app: NestExpressApplication): INestApplication {
  const config = app.get<ConfigService<GatewayConfig, true>>(ConfigService);
  const bodyLimit = config.get('BODY_LIMIT', { infer: true });
  // First, so every request, even one refused by the body parser, has an id, a duration and an access line.
  app.use(observeHttp(app.get(GatewayMetrics), new Logger('Access')));
  app.useBodyParser('json', { limit: bodyLimit });
  app.useBodyParser('urlencoded', { limit: bodyLimit, extended: false });
  app.use(rejectDeepBodies());
  // Behind a TLS-terminating proxy, the client address (the login throttle's key) is the
  // one the trusted proxy puts in X-Forwarded-For, not the proxy's own.
  app.set('trust proxy', config.get('TRUST_PROXY', { infer: true }));
  app.use(
    helmet({
      // Swagger UI needs its inline script and style.
      contentSecurityPolicy: {
        directives: {
          'script-src': ["'self'", "'unsafe-inline'"],
          'img-src': ["'self'", 'data:', 'validator.swagger.io'],
        },
      },
    }),
  );
  app.disable('x-powered-by');
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter());
  app.enableShutdownHooks();

  const document = buildOpenApiDocument(app);
  app.use(methodNotAllowed(document));
  SwaggerModule.setup(SWAGGER_PATH, app, document, { jsonDocumentUrl: `${SWAGGER_PATH}-json` });
  return app;
}
