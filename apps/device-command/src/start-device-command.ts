import { INestApplication, LogLevel } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { RpcDomainErrorFilter } from '@app/common/nest';
import { DeviceCommandConfig } from './config/device-command.config';
import { DeviceCommandModule } from './device-command.module';
import { shardTransports } from './transport.options';

/**
 * Builds and starts device-command: no HTTP listener, one RabbitMQ transport per
 * shard queue. main.ts and the e2e tests both call this, so tests run what operators run.
 */
export async function startDeviceCommand(options: { logger?: LogLevel[] } = {}): Promise<INestApplication> {
  const app = await NestFactory.create(DeviceCommandModule, { logger: options.logger });
  app.enableShutdownHooks();
  app.useGlobalFilters(new RpcDomainErrorFilter());
  for (const transport of shardTransports(app.get<ConfigService<DeviceCommandConfig, true>>(ConfigService))) {
    app.connectMicroservice(transport, { inheritAppConfig: true });
  }
  await app.startAllMicroservices();
  await app.init();
  return app;
}
