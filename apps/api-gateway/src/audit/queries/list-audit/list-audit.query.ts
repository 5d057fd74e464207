import { Query } from '@nestjs/cqrs';
import { AuditEntry } from '../../domain/audit-entry';

export interface AuditPage {
  items: AuditEntry[];
  nextBefore: string | null;
}

/** The caller's own audit trail, newest first. */
export class ListAuditQuery extends Query<AuditPage> {
  constructor(
    readonly userId: string,
    readonly limit: number,
    readonly before?: string,
  ) {
    super();
  }
}
