import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { CqrsModule } from '@nestjs/cqrs';
import { validateConfigWith } from '@app/common/nest';
import { DeviceCommandConfig } from './config/device-command.config';
import { DevicesModule } from './devices/devices.module';
import { PingHandler } from './health/queries/ping/ping.handler';
import { PingMessageController } from './health/queries/ping/ping.message.controller';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, cache: true, validate: validateConfigWith(DeviceCommandConfig) }),
    CqrsModule.forRoot(),
    DevicesModule,
  ],
  controllers: [PingMessageController],
  providers: [PingHandler],
})
export class DeviceCommandModule {}
