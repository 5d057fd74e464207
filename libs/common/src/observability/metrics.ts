import { Registry, collectDefaultMetrics } from 'prom-client';
import { DomainError } from '../errors/domain-error';

/** Nest token of an app's own prom-client registry (one per app, so two apps in one process never mix). */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');

/** Latency buckets (seconds) for every duration histogram: 1 ms (a cached answer) .. 30 s (the longest timeout). */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** A registry with Node.js's process metrics (CPU, memory, GC, event-loop lag, handles). */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  return registry;
}

/** The `outcome` label of a device call: a fixed set, whatever the error. */
export type DeviceCallOutcome =
  'ok' | 'timeout' | 'offline' | 'bad_reply' | 'busy' | 'unavailable' | 'invalid' | 'error';

const OUTCOME_BY_CODE: Record<string, DeviceCallOutcome> = {
  DEVICE_TIMEOUT: 'timeout',
  DEVICE_OFFLINE: 'offline',
  DEVICE_BAD_REPLY: 'bad_reply',
  DEVICE_BUSY: 'busy',
  DEVICE_COMMAND_UNAVAILABLE: 'unavailable',
  INVALID_DEVICE_REQUEST: 'invalid',
};

export function deviceCallOutcome(error?: unknown): DeviceCallOutcome {
  if (error === undefined) return 'ok';
  const code = error instanceof DomainError ? error.code : undefined;
  return (code && OUTCOME_BY_CODE[code]) || 'error';
}

/** Seconds since `startedAt` (a performance.now() reading): what histograms observe. */
export function secondsSince(startedAt: number): number {
  return (performance.now() - startedAt) / 1000;
}
