import { Logger } from '@nestjs/common';
import { exitIfShutdownStalls, logLevels } from '@app/common/nest';
import { startDeviceCommand } from './start-device-command';

async function bootstrap(): Promise<void> {
  try {
    process.loadEnvFile('.env'); // for LOG_LEVEL, before the app module exists; the environment wins
  } catch {
    // no .env: the environment alone configures the service
  }
  await startDeviceCommand({ logger: logLevels() });
  exitIfShutdownStalls();
  Logger.log('device-command is consuming its shard queues over AMQPS', 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  Logger.error(error instanceof Error ? error.message : String(error), 'Bootstrap');
  process.exit(1);
});
