import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ListAuditHandler } from './queries/list-audit/list-audit.handler';
import { ListAuditHttpController } from './queries/list-audit/list-audit.http.controller';

/** `GET /audit`: a user reads their own trail. */
@Module({
  imports: [AuthModule],
  controllers: [ListAuditHttpController],
  providers: [ListAuditHandler],
})
export class AuditModule {}
