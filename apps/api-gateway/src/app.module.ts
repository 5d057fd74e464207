import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { CqrsModule } from '@nestjs/cqrs';
import { MongooseModule } from '@nestjs/mongoose';
import { validateConfigWith } from '@app/common/nest';
import { AuditStoreModule } from './audit/audit-store.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { BrokerAuthModule } from './broker-auth/broker-auth.module';
import { GatewayConfig } from './config/gateway.config';
import { DeviceControlModule } from './device-control/device-control.module';
import { DevicesModule } from './devices/devices.module';
import { EventsModule } from './events/events.module';
import { HistoryModule } from './history/history.module';
import { PresenceModule } from './presence/presence.module';
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
        // Fail fast when the database is gone: a call answers 503 DATABASE_UNAVAILABLE within
        // this bound instead of stalling (the driver's default is 30 s), and no command waits
        // in mongoose's buffer. Frequent heartbeats notice its return within a second or so.
        serverSelectionTimeoutMS: config.get('MONGODB_SERVER_SELECTION_TIMEOUT_MS', { infer: true }),
        heartbeatFrequencyMS: 1000,
        bufferCommands: false,
      }),
    }),
    ObservabilityModule,
    DeviceCommandClientModule,
    AuditStoreModule,
    AuditModule,
    AuthModule,
    DevicesModule,
    DeviceControlModule,
    HealthModule,
    BrokerAuthModule,
    LegacyModule,
    JobsModule,
    EventsModule,
    PresenceModule,
    HistoryModule,
  ],
})
export class AppModule {}
