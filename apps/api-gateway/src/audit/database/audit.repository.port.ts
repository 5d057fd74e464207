import { RetentionStore } from '../../infrastructure/retention';
import { AuditEntry } from '../domain/audit-entry';

export const AUDIT_REPOSITORY = Symbol('AUDIT_REPOSITORY');

export interface AuditRepository extends RetentionStore {
  insertMany(entries: AuditEntry[]): Promise<void>;
  /** The user's entries, newest first; `before`: only entries older than this id. */
  list(userId: string, limit: number, before?: string): Promise<AuditEntry[]>;
}
