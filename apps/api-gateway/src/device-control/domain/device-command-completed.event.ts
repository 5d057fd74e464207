/** A device command (REST or legacy) finished, with its answer or its error code. */
export class DeviceCommandCompletedEvent {
  constructor(
    readonly commandId: string,
    /** Who asked (the device's owner: users reach only their own devices). */
    readonly userId: string,
    readonly deviceId: string,
    readonly deviceName: string,
    readonly api: string,
    readonly params: Record<string, unknown>,
    /** `OK` or the error code the caller got. */
    readonly outcome: string,
    readonly reply: Record<string, unknown> | null,
    readonly requestedAt: Date,
    readonly answeredAt: Date,
    /** From the request reaching the gateway to its answer. */
    readonly totalMs: number,
    /** Device hop: publishing to the device until its reply; null when it never answered. */
    readonly deviceMs: number | null,
    /** Set when the command was one device's part of a job (POST /jobs). */
    readonly jobId?: string,
  ) {}
}
