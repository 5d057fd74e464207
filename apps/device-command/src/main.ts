import { Logger } from '@nestjs/common';
import { startDeviceCommand } from './start-device-command';

startDeviceCommand()
  .then(() => Logger.log('device-command is consuming its shard queues over AMQPS', 'Bootstrap'))
  .catch((error: unknown) => {
    Logger.error(error instanceof Error ? error.message : String(error), 'Bootstrap');
    process.exit(1);
  });
