import { Logger } from '@nestjs/common';
import { PlatformLogger, exitIfShutdownStalls } from '@app/common/nest';
import { surviveRepliesLostWithTheBroker } from './lost-replies';
import { startDeviceCommand } from './start-device-command';

async function bootstrap(): Promise<void> {
  try {
    process.loadEnvFile('.env'); // for LOG_LEVEL and LOG_FORMAT, before the app module exists; the environment wins
  } catch {
    // no .env: the environment alone configures the service
  }
  surviveRepliesLostWithTheBroker();
  await startDeviceCommand({ logger: new PlatformLogger() });
  exitIfShutdownStalls();
  Logger.log('device-command is consuming its shard queues over AMQPS', 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  Logger.error(error instanceof Error ? error.message : String(error), 'Bootstrap');
  process.exit(1);
});
