import { ApiProperty } from '@nestjs/swagger';
import { PLATFORM_EVENT_TYPES } from '@app/common';

/** One event of `GET /events` (the `data:` line of the SSE message; `id:` and `event:` repeat id and type). */
export class PlatformEventDto {
  /** Time-ordered id; send the last one you got as `Last-Event-ID` to resume. */
  id: string;
  @ApiProperty({ enum: PLATFORM_EVENT_TYPES })
  type: string;
  /** ISO time of the event. */
  at: string;
  /** Your user id. */
  ownerId: string;
  /** The device concerned; absent on job events. */
  deviceId?: string;
  /** Absent on job events. */
  deviceName?: string;
  /**
   * `device.connected`: `{transport: "mqtt"|"amqp", protocolLevel?, connectedAt}`;
   * `device.disconnected`: `{disconnectedAt, reason?}`; `device.registered`/`device.unregistered`: `{}`;
   * `command.completed`: `{commandId, api, outcome, latencyMs, jobId?}` (outcome `OK` or the error code);
   * `job.progress`: `{jobId, api, state, total, done, counts}`; `job.completed`: the same and `finishedAt`.
   */
  @ApiProperty({ type: 'object', additionalProperties: true })
  data: Record<string, unknown>;
}
