import { Global, Module } from '@nestjs/common';
import { AuditTrail } from './audit-trail';
import { AuditMongoRepository } from './database/audit.mongo-repository';
import { AUDIT_REPOSITORY } from './database/audit.repository.port';

/** The audit trail, for every module that records into it (auth, devices). */
@Global()
@Module({
  providers: [{ provide: AUDIT_REPOSITORY, useClass: AuditMongoRepository }, AuditTrail],
  exports: [AuditTrail, AUDIT_REPOSITORY],
})
export class AuditStoreModule {}
