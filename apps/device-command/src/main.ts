import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DeviceCommandModule } from './device-command.module';
import { transportOptions } from './transport.options';

async function bootstrap(): Promise<void> {
  // No HTTP listener: the RabbitMQ transport is this service's only door.
  const app = await NestFactory.createMicroservice(DeviceCommandModule, transportOptions);
  app.enableShutdownHooks();
  await app.listen();
  Logger.log('device-command is consuming from the broker over AMQPS', 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  Logger.error(error instanceof Error ? error.message : String(error), 'Bootstrap');
  process.exit(1);
});
