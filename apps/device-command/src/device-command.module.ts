import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { CqrsModule } from '@nestjs/cqrs';
import { validateConfigWith } from '@app/common/nest';
import { DeviceCommandConfig } from './config/device-command.config';
import { DevicesModule } from './devices/devices.module';
import { DeviceCommandHttpServer } from './observability/device-command.http-server';
import { ObservabilityModule } from './observability/observability.module';
import { PingHandler } from './health/queries/ping/ping.handler';
import { PingMessageController } from './health/queries/ping/ping.message.controller';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, cache: true, validate: validateConfigWith(DeviceCommandConfig) }),
    CqrsModule.forRoot(),
    ObservabilityModule,
    DevicesModule,
  ],
  controllers: [PingMessageController],
  providers: [PingHandler, DeviceCommandHttpServer],
})
export class DeviceCommandModule {}
