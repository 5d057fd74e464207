/** The IPC messages between the bench and its simulator child process (bench/fleet-process.ts). */

export interface StartMessage {
  type: 'start';
  devicesDir: string;
  count: number;
  /** Devices connecting at the same time. */
  concurrency: number;
  /** Per-device connect timeout. */
  connectTimeoutMs: number;
  /** Skip this many device files first (one of several simulator processes). */
  offset?: number;
  /** Source addresses to connect from, round robin (127.0.0.2, ...). */
  localAddresses?: string[];
}

export type ParentMessage = StartMessage | { type: 'stop' };

export type ChildMessage =
  | { type: 'hello'; pid: number }
  | {
      type: 'ready';
      connected: number;
      failed: number;
      skipped: number;
      elapsedMs: number;
      /** Failures grouped by reason ("12 x mqtts://...: not authorized ..."). */
      failureSummary: string[];
    }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function isParentMessage(value: unknown): value is ParentMessage {
  if (!isObject(value)) return false;
  if (value.type === 'stop') return true;
  return (
    value.type === 'start' &&
    typeof value.devicesDir === 'string' &&
    typeof value.count === 'number' &&
    typeof value.concurrency === 'number' &&
    typeof value.connectTimeoutMs === 'number' &&
    (value.offset === undefined || typeof value.offset === 'number') &&
    (value.localAddresses === undefined ||
      (Array.isArray(value.localAddresses) && value.localAddresses.every((a) => typeof a === 'string')))
  );
}

export function isChildMessage(value: unknown): value is ChildMessage {
  if (!isObject(value)) return false;
  switch (value.type) {
    case 'hello':
      return typeof value.pid === 'number';
    case 'ready':
      return (
        typeof value.connected === 'number' &&
        typeof value.failed === 'number' &&
        typeof value.skipped === 'number' &&
        typeof value.elapsedMs === 'number' &&
        Array.isArray(value.failureSummary)
      );
    case 'stopped':
      return true;
    case 'error':
      return typeof value.message === 'string';
    default:
      return false;
  }
}
