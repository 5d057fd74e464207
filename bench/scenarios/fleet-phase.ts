/**
 * What the scenarios that connect a large fleet share: the connect flags, the connect phase
 * itself (a progress line, the simulator processes, the devices that did not connect noted as
 * a problem), and a monitor of the platform's processes.
 */
import type { FleetGroup, FleetReady } from '../fleet';
import { ProcessMonitor } from '../procfs';
import { progress } from '../progress';
import type { FlagSpec, FleetOptions, ScenarioContext, Sizes } from './types';

/** `--connect-concurrency` and `--connect-timeout`, read by connectFleet. */
export const CONNECT_FLAGS: FlagSpec[] = [
  {
    name: 'connect-concurrency',
    description: 'devices connecting at once',
    default: 200,
    smoke: 10,
    min: 1,
    integer: true,
  },
  {
    name: 'connect-timeout',
    description: 'seconds allowed for the whole connect phase',
    default: 1800,
    smoke: 120,
    min: 1,
    integer: false,
  },
];

/**
 * Connects the first `count` pool devices (`--connect-concurrency` at a time, within
 * `--connect-timeout`), and goes on with those that connected: the others are a problem of
 * the run, not its end.
 */
export async function connectFleet(
  context: ScenarioContext,
  scenario: string,
  count: number,
  sizes: Sizes,
  problems: string[],
  options: Pick<FleetOptions, 'perProcess'> = {},
): Promise<{ fleet: FleetGroup; ready: FleetReady }> {
  progress(`${scenario}: connecting ${count} devices (${sizes['connect-concurrency']} at a time)`);
  const started = await context.startFleet(count, {
    concurrency: sizes['connect-concurrency'],
    readyTimeoutMs: sizes['connect-timeout'] * 1000,
    requireAll: false,
    ...options,
  });
  const { connected, failureSummary } = started.ready;
  if (connected < count) {
    problems.push(`${scenario}: ${count - connected} of ${count} devices did not connect`);
    for (const line of failureSummary) progress(`${scenario}: connect failure: ${line.trim()}`);
  }
  return started;
}

/** A monitor of the gateway, device-command, the broker and the database (not started). */
export function platformMonitor(context: ScenarioContext): ProcessMonitor {
  const monitor = new ProcessMonitor();
  monitor.add('gateway', context.stack.pids.gateway);
  monitor.add('deviceCommand', context.stack.pids.deviceCommand);
  monitor.add('broker', context.stack.pids.broker);
  monitor.add('database', context.stack.pids.database);
  return monitor;
}
