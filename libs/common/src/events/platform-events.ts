/**
 * The events of `GET /events`: what happened to a user's devices. The gateway
 * publishes them on the broker (exchange `iotcloud.events`) so every gateway replica
 * delivers every event; the CLI reads the same shapes from the stream.
 */
export const PLATFORM_EVENT_TYPES = [
  'device.connected',
  'device.disconnected',
  'device.registered',
  'device.unregistered',
  'command.completed',
  'job.progress',
  'job.completed',
] as const;

export type PlatformEventType = (typeof PLATFORM_EVENT_TYPES)[number];

export interface DeviceConnectedData {
  transport: 'mqtt' | 'amqp';
  /** MQTT protocol level (3 = 3.1, 4 = 3.1.1, 5); absent for AMQP. */
  protocolLevel?: number;
  connectedAt: string;
}

export interface DeviceDisconnectedData {
  disconnectedAt: string;
  /** Why, where the broker says (e.g. `not connected at reconciliation`). */
  reason?: string;
}

export interface CommandCompletedData {
  commandId: string;
  api: string;
  /** `OK`, or the error code the caller got (`DEVICE_TIMEOUT`, `DEVICE_OFFLINE`, …). */
  outcome: string;
  /** From the request reaching the gateway to its answer, ms. */
  latencyMs: number;
  /** Set when the command was one device's part of a job. */
  jobId?: string;
}

/** Outcome counts of a job so far (`ok`, `timeout`, `offline`, `busy`, `not_found`, `error`, `unknown`). */
export type JobCounts = Partial<Record<string, number>>;

export interface JobProgressData {
  jobId: string;
  api: string;
  state: string;
  /** Devices in the job (progress is only sent once they are resolved; the first one has `done` 0). */
  total: number;
  /** Devices with an outcome so far. */
  done: number;
  counts: JobCounts;
}

export interface JobCompletedData extends Omit<JobProgressData, 'state' | 'total'> {
  /** `completed`, `cancelled` or `aborted`. */
  state: 'completed' | 'cancelled' | 'aborted';
  /** null when the job ended before its devices were resolved (cancelled while queued, or refused). */
  total: number | null;
  finishedAt: string;
  /** Why a job was refused when its runner resolved it (`aborted`, total null). */
  error?: { code: string; message: string };
}

interface EventBase<T extends PlatformEventType, D> {
  /** Sortable across replicas: time first (`Last-Event-ID` compares it). */
  id: string;
  type: T;
  /** ISO time of the event. */
  at: string;
  ownerId: string;
  deviceId: string;
  deviceName: string;
  data: D;
}

/** A job's events concern many devices: they name none. */
type JobEvent<T extends PlatformEventType, D> = Omit<EventBase<T, D>, 'deviceId' | 'deviceName'> & {
  deviceId?: undefined;
  deviceName?: undefined;
};

export type PlatformEvent =
  | EventBase<'device.connected', DeviceConnectedData>
  | EventBase<'device.disconnected', DeviceDisconnectedData>
  | EventBase<'device.registered', Record<string, never>>
  | EventBase<'device.unregistered', Record<string, never>>
  | EventBase<'command.completed', CommandCompletedData>
  | JobEvent<'job.progress', JobProgressData>
  | JobEvent<'job.completed', JobCompletedData>;

let sequence = 0;
const instance = Math.floor(Math.random() * 0x1000000)
  .toString(16)
  .padStart(6, '0');

/**
 * A time-ordered id: 12 hex digits of epoch ms, 6 of this process, 6 of a counter.
 * Lexicographic order is time order (to the ms) across processes, and ids never repeat.
 */
export function sortableId(now = Date.now()): string {
  sequence = (sequence + 1) % 0x1000000;
  return now.toString(16).padStart(12, '0') + instance + sequence.toString(16).padStart(6, '0');
}

/** The epoch ms a sortableId was made at, or NaN when it is not one. */
export function timeOfSortableId(id: string): number {
  return /^[0-9a-f]{24}$/.test(id) ? parseInt(id.slice(0, 12), 16) : NaN;
}
