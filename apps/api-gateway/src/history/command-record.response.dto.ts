import { ApiProperty } from '@nestjs/swagger';
import { CommandRecord } from './domain/command-record';

/** One device command as the history shows it. */
export class CommandRecordResponseDto {
  /** The X-Command-Id the command was answered with. */
  commandId: string;
  deviceId: string;
  deviceName: string;
  /** The user who sent it. */
  userId: string;
  /** Device API (`get_status`, `set_gpio`, …). */
  api: string;
  @ApiProperty({ type: 'object', additionalProperties: true })
  params: Record<string, unknown>;
  /** `OK`, or the error code the caller got (`DEVICE_TIMEOUT`, `DEVICE_OFFLINE`, …). */
  outcome: string;
  /** The device's reply; null when it did not answer. */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  reply: Record<string, unknown> | null;
  requestedAt: string;
  answeredAt: string;
  /** From the request reaching the gateway to its answer, ms. */
  totalMs: number;
  /** The device hop (request published to the device until its reply), ms; null without a reply. */
  deviceMs: number | null;
  /** The job (`POST /jobs`) this command was part of; absent for interactive commands. */
  jobId?: string;

  static from(record: CommandRecord): CommandRecordResponseDto {
    return {
      ...record,
      requestedAt: record.requestedAt.toISOString(),
      answeredAt: record.answeredAt.toISOString(),
    };
  }
}

export class CommandPageResponseDto {
  /** Newest first. */
  items: CommandRecordResponseDto[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: string | null;
}
