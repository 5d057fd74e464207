import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { AUDIT_REPOSITORY, AuditRepository } from '../../database/audit.repository.port';
import { AuditPage, ListAuditQuery } from './list-audit.query';

@QueryHandler(ListAuditQuery)
export class ListAuditHandler implements IQueryHandler<ListAuditQuery> {
  constructor(@Inject(AUDIT_REPOSITORY) private readonly audit: AuditRepository) {}

  async execute({ userId, limit, before }: ListAuditQuery): Promise<AuditPage> {
    const items = await this.audit.list(userId, limit, before);
    const last = items[items.length - 1];
    return { items, nextBefore: items.length === limit && last ? last.id : null };
  }
}
