import { Global, Module } from '@nestjs/common';
import { METRICS_REGISTRY, createMetricsRegistry } from '@app/common/nest';
import { DeviceCommandMetrics } from './device-command.metrics';

/** device-command's metrics registry and its series. */
@Global()
@Module({
  providers: [{ provide: METRICS_REGISTRY, useFactory: createMetricsRegistry }, DeviceCommandMetrics],
  exports: [METRICS_REGISTRY, DeviceCommandMetrics],
})
export class ObservabilityModule {}
