import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Registry } from 'prom-client';
import { METRICS_REGISTRY, ObservabilityServer } from '@app/common/nest';
import { GatewayConfig } from '../config/gateway.config';

/**
 * Serves the gateway's /metrics on its own listener (METRICS_HOST:METRICS_PORT,
 * loopback by default), apart from the public API, so metrics are never
 * public by accident.
 */
@Injectable()
export class MetricsHttpServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsHttpServer.name);
  private readonly server: ObservabilityServer;

  constructor(
    @Inject(METRICS_REGISTRY) registry: Registry,
    private readonly config: ConfigService<GatewayConfig, true>,
  ) {
    this.server = new ObservabilityServer({
      '/metrics': async () => ({ status: 200, contentType: registry.contentType, body: await registry.metrics() }),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.get('METRICS_PORT', { infer: true });
    const host = this.config.get('METRICS_HOST', { infer: true });
    if (port === 0) return; // disabled
    await this.server.listen(port, host);
    this.logger.log(`metrics on http://${host}:${port}/metrics`);
  }

  onApplicationShutdown(): Promise<void> {
    return this.server.close();
  }
}
