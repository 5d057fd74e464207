import { INestApplication, LogLevel, LoggerService } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { RpcDomainErrorFilter, rmqServerStrategy } from '@app/common/nest';
import { DeviceCommandConfig } from './config/device-command.config';
import { DeviceCommandModule } from './device-command.module';
import { DeviceCommandHttpServer } from './observability/device-command.http-server';
import { shardTransports } from './transport.options';

export interface DeviceCommandStartOptions {
  logger?: LogLevel[] | LoggerService;
  /** Overrides DEVICE_COMMAND_HTTP_PORT (0: any free port), e.g. for a second replica on one host. */
  httpPort?: number;
}

/**
 * Builds and starts device-command: one RabbitMQ transport per shard queue, and a
 * small loopback HTTP listener for metrics and health. main.ts and the e2e tests
 * both call this, so tests run what operators run.
 */
export async function startDeviceCommand(options: DeviceCommandStartOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create(DeviceCommandModule, { logger: options.logger });
  app.enableShutdownHooks();
  app.useGlobalFilters(new RpcDomainErrorFilter());
  const config = app.get<ConfigService<DeviceCommandConfig, true>>(ConfigService);
  for (const transport of shardTransports(config)) {
    // Nest's RMQ server, with its channel's errors logged rather than thrown (they would crash the process).
    app.connectMicroservice(rmqServerStrategy(transport), { inheritAppConfig: true });
  }
  await app.startAllMicroservices();
  await app.init();
  const configuredPort = config.get('DEVICE_COMMAND_HTTP_PORT', { infer: true });
  const httpPort = options.httpPort ?? (configuredPort === 0 ? undefined : configuredPort); // 0 in config: disabled
  if (httpPort !== undefined) {
    await app.get(DeviceCommandHttpServer).listen(httpPort, config.get('DEVICE_COMMAND_HTTP_HOST', { infer: true }));
  }
  return app;
}
