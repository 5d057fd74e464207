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
 * The `userId` of entries that concern no account: failed logins for a username that
 * does not exist. No user can read them (`GET /audit` shows the caller's own trail);
 * they are there for operators, e.g. to see which names are being tried, and from where.
 */
export const NO_ACCOUNT = '-';

/** The longest attempted username kept on a NO_ACCOUNT entry (the REST login refuses longer ones). */
export const MAX_AUDITED_USERNAME = 64;

/**
 * One account or registry action. Never a password, secret, token or key: only who,
 * what, when, from where, and how it ended.
 */
export interface AuditEntry {
  id: string;
  /** The user the action concerns (the one who may read it), or NO_ACCOUNT. */
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
  /** The username tried, on NO_ACCOUNT entries only (an account's own entries need no name). */
  username?: string;
}
