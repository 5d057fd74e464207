/** What the audit trail records. */
export const AUDIT_ACTIONS = [
  'user.signed_up',
  'user.logged_in',
  'user.login_failed',
  'legacy_secret.rotated',
  'device.registered',
  'device.unregistered',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * One account or registry action. Never a password, secret, token or key: only who,
 * what, when, from where, and how it ended.
 */
export interface AuditEntry {
  id: string;
  /** The user the action concerns (the one who may read it). */
  userId: string;
  action: AuditAction;
  /** `OK` or the error code. */
  outcome: string;
  at: Date;
  sourceAddress: string | null;
  requestId: string | null;
  /** The device concerned, by name and id, for device actions. */
  deviceName?: string;
  deviceId?: string;
}
