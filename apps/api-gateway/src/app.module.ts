import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { CqrsModule } from '@nestjs/cqrs';
import { MongooseModule } from '@nestjs/mongoose';
import { validateConfigWith } from '@app/common/nest';
import { AuthModule } from './auth/auth.module';
import { BrokerAuthModule } from './broker-auth/broker-auth.module';
import { GatewayConfig } from './config/gateway.config';
import { DeviceControlModule } from './device-control/device-control.module';
import { DevicesModule } from './devices/devices.module';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';
import { LegacyModule } from './legacy/legacy.module';
import { DeviceCommandClientModule } from './infrastructure/device-command.client';
import { ObservabilityModule } from './observability/observability.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, cache: true, validate: validateConfigWith(GatewayConfig) }),
    CqrsModule.forRoot(),
    MongooseModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<GatewayConfig, true>) => ({
        uri: config.get('MONGODB_URI', { infer: true }),
        serverSelectionTimeoutMS: 5000,
      }),
    }),
    ObservabilityModule,
    DeviceCommandClientModule,
    AuthModule,
    DevicesModule,
    DeviceControlModule,
    HealthModule,
    BrokerAuthModule,
    LegacyModule,
    JobsModule,
  ],
})
export class AppModule {}
