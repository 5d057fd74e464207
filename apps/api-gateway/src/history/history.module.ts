import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuthModule } from '../auth/auth.module';
import { GatewayConfig } from '../config/gateway.config';
import { DevicesModule } from '../devices/devices.module';
import { CommandHistoryRecorder, HISTORY_SETTINGS, HistorySettings } from './command-history.recorder';
import { CommandHistoryMongoRepository } from './database/command-history.mongo-repository';
import { COMMAND_HISTORY_REPOSITORY } from './database/command-history.repository.port';
import { RecordCommandHandler } from './events/record-command.handler';
import { GetDeviceCommandHandler } from './queries/get-device-command/get-device-command.handler';
import { DeviceCommandsHttpController } from './queries/list-device-commands/list-device-commands.http.controller';
import { ListDeviceCommandsHandler } from './queries/list-device-commands/list-device-commands.handler';

/** The command history of every device: recorded off the request path, read per device. */
@Module({
  imports: [AuthModule, DevicesModule],
  controllers: [DeviceCommandsHttpController],
  providers: [
    { provide: COMMAND_HISTORY_REPOSITORY, useClass: CommandHistoryMongoRepository },
    {
      provide: HISTORY_SETTINGS,
      inject: [ConfigService],
      useFactory: (config: ConfigService<GatewayConfig, true>): HistorySettings => ({
        enabled: config.get('COMMAND_HISTORY', { infer: true }),
        retentionDays: config.get('COMMAND_HISTORY_DAYS', { infer: true }),
        batchSize: 200,
        flushIntervalMs: 250,
        maxPending: 20_000,
      }),
    },
    CommandHistoryRecorder,
    RecordCommandHandler,
    ListDeviceCommandsHandler,
    GetDeviceCommandHandler,
  ],
  exports: [CommandHistoryRecorder],
})
export class HistoryModule {}
