import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { GatewayConfig } from '../config/gateway.config';
import { AUDIT_SETTINGS, AuditSettings, AuditTrail } from './audit-trail';
import { AuditMongoRepository } from './database/audit.mongo-repository';
import { AUDIT_REPOSITORY } from './database/audit.repository.port';

/** The audit trail, for every module that records into it (auth, devices). */
@Global()
@Module({
  providers: [
    { provide: AUDIT_REPOSITORY, useClass: AuditMongoRepository },
    {
      provide: AUDIT_SETTINGS,
      inject: [ConfigService],
      useFactory: (config: ConfigService<GatewayConfig, true>): AuditSettings => ({
        retentionDays: config.get('AUDIT_LOG_DAYS', { infer: true }),
      }),
    },
    AuditTrail,
  ],
  exports: [AuditTrail, AUDIT_REPOSITORY],
})
export class AuditStoreModule {}
