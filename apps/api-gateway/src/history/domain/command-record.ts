/** One device command as the history keeps it. Never holds a secret: params and reply are device data. */
export interface CommandRecord {
  commandId: string;
  deviceId: string;
  deviceName: string;
  /** The requesting user (the device's owner). */
  userId: string;
  api: string;
  params: Record<string, unknown>;
  /** `OK` or the error code the caller got. */
  outcome: string;
  reply: Record<string, unknown> | null;
  requestedAt: Date;
  answeredAt: Date;
  totalMs: number;
  /** The device hop (request published to reply received); null when the device never answered. */
  deviceMs: number | null;
  /** The job (POST /jobs) the command was part of; absent for interactive commands. */
  jobId?: string;
}

export interface CommandHistoryFilter {
  limit: number;
  /** Only commands older than this command id (the cursor of the previous page). */
  before?: string;
  api?: string;
  outcome?: string;
}
