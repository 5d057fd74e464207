import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AmqpConnectionManager } from 'amqp-connection-manager';
import { Registry } from 'prom-client';
import { METRICS_REGISTRY, ObservabilityServer, jsonAnswer } from '@app/common/nest';
import { BROKER_CONNECTION } from '../devices/broker-connection.token';

/**
 * device-command's only HTTP: /metrics, /health/live and /health/ready, on
 * DEVICE_COMMAND_HTTP_HOST:DEVICE_COMMAND_HTTP_PORT (loopback by default).
 * Ready means its broker connection is up: without it no request arrives and no device is reached.
 */
@Injectable()
export class DeviceCommandHttpServer implements OnApplicationShutdown {
  private readonly logger = new Logger(DeviceCommandHttpServer.name);
  private readonly server: ObservabilityServer;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry, @Inject(BROKER_CONNECTION) broker: AmqpConnectionManager) {
    this.server = new ObservabilityServer({
      '/metrics': async () => ({ status: 200, contentType: registry.contentType, body: await registry.metrics() }),
      '/health/live': () => Promise.resolve(jsonAnswer(200, { status: 'ok' })),
      '/health/ready': () =>
        Promise.resolve(
          broker.isConnected()
            ? jsonAnswer(200, { status: 'ok', broker: { status: 'up' } })
            : jsonAnswer(503, { status: 'degraded', broker: { status: 'down', error: 'broker unreachable' } }),
        ),
    });
  }

  async listen(port: number, host: string): Promise<number> {
    const bound = await this.server.listen(port, host);
    this.logger.log(`metrics and health on http://${host}:${bound}/metrics, /health/live, /health/ready`);
    return bound;
  }

  onApplicationShutdown(): Promise<void> {
    return this.server.close();
  }
}
