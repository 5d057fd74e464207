import { Global, Module } from '@nestjs/common';
import { METRICS_REGISTRY, createMetricsRegistry } from '@app/common/nest';
import { GatewayMetrics } from './gateway.metrics';
import { MetricsHttpServer } from './metrics.http-server';

/** The gateway's metrics registry, its series, and the listener that serves them. */
@Global()
@Module({
  providers: [{ provide: METRICS_REGISTRY, useFactory: createMetricsRegistry }, GatewayMetrics, MetricsHttpServer],
  exports: [GatewayMetrics],
})
export class ObservabilityModule {}
