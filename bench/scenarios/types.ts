import type { FleetGroup, FleetReady } from '../fleet';
import type { DevicePool, Session } from '../session';
import type { Stack } from '../stack';

/** metric name → value, in the order they should be shown. */
export type Metrics = Record<string, number>;

/** A size flag of a scenario (`--calls 2000`). */
export interface FlagSpec {
  name: string;
  description: string;
  default: number;
  /** The value under --smoke (unless given explicitly). */
  smoke: number;
  min: number;
  max?: number;
  integer: boolean;
}

/** flag name → value, for one scenario. */
export type Sizes = Record<string, number>;

export interface FleetOptions {
  /** Devices connecting at the same time; default 200. */
  concurrency?: number;
  /** Per-device connect timeout; default 30 s. */
  connectTimeoutMs?: number;
  /** Backstop for the whole connect phase; default 10 min. */
  readyTimeoutMs?: number;
  /** Fail (and stop the process) unless every device connected; default true. */
  requireAll?: boolean;
  /** Devices per simulator process; default 15,000 (bench/fleet.ts DEVICES_PER_PROCESS). */
  perProcess?: number;
}

export interface ScenarioContext {
  stack: Stack;
  session: Session;
  pool: DevicePool;
  /** Aborted on SIGINT/SIGTERM: stop launching work. */
  signal: AbortSignal;
  /**
   * Starts simulator processes with the first `count` pool devices (already registered): one
   * process up to 15,000 devices, more beyond, each on its own loopback source address.
   */
  startFleet(count: number, options?: FleetOptions): Promise<{ fleet: FleetGroup; ready: FleetReady }>;
  /** Remembers a device name for the clean-up (unregistered at the end). */
  trackDevice(name: string): void;
}

export interface ScenarioResult {
  metrics: Metrics;
  /** What went wrong without stopping the scenario (errors, devices that did not answer). Fails --smoke and --strict. */
  problems: string[];
}

export interface Scenario {
  name: string;
  summary: string;
  flags: FlagSpec[];
  run(context: ScenarioContext, sizes: Sizes): Promise<ScenarioResult>;
}
