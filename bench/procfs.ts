/**
 * Process measurements from /proc (Linux): resident memory (VmRSS) and CPU
 * time of the gateway, device-command, the simulator and the broker, sampled
 * every ~250 ms, and finding those processes when the bench did not start them.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';

function cpuCount(): number {
  return availableParallelism();
}

export interface ProcStatus {
  /** Resident set size now, in kB. */
  rssKb: number;
  /** Peak resident set size since the process started, in kB. */
  hwmKb: number;
}

/** VmRSS and VmHWM of a /proc/<pid>/status text; NaN when missing. */
export function parseProcStatus(text: string): ProcStatus {
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return match ? Number(match[1]) : Number.NaN;
  };
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

/** utime + stime (clock ticks) of a /proc/<pid>/stat text. */
export function parseProcStatTicks(text: string): number {
  // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return utime + stime;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function readStatus(pid: number): ProcStatus | undefined {
  const text = readText(`/proc/${pid}/status`);
  return text === undefined ? undefined : parseProcStatus(text);
}

function readTicks(pid: number): number | undefined {
  const text = readText(`/proc/${pid}/stat`);
  return text === undefined ? undefined : parseProcStatTicks(text);
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

function cmdlineOf(pid: number): string[] {
  const text = readText(`/proc/${pid}/cmdline`);
  return text ? text.split('\0').filter((arg) => arg !== '') : [];
}

function pids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/**
 * The broker: the `beam.smp` process of node `nodeName`. RabbitMQ passes the
 * node name in the environment (RABBITMQ_NODENAME), not always on the command
 * line; without access to the environment, its `-home <dataDir>/home` argument
 * identifies it.
 */
export function findBrokerPid(nodeName: string, dataDir?: string): number | undefined {
  for (const pid of pids()) {
    const args = cmdlineOf(pid);
    if (args.length === 0 || !/(^|\/)beam(\.smp)?$/.test(args[0])) continue;
    if (args.includes(nodeName)) return pid;
    const environ = readText(`/proc/${pid}/environ`);
    if (environ?.split('\0').includes(`RABBITMQ_NODENAME=${nodeName}`)) return pid;
    const home = args.indexOf('-home');
    if (environ === undefined && dataDir && home >= 0 && args[home + 1] === `${dataDir}/home`) return pid;
  }
  return undefined;
}

/** The inode of the socket listening on TCP `port` (IPv4 or IPv6), from /proc/net/tcp{,6}. */
export function listeningInodes(port: number, tables: string[]): Set<string> {
  const inodes = new Set<string>();
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of tables) {
    for (const line of table.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode
      if (cols.length < 10) continue;
      const local = cols[1];
      if (cols[3] === '0A' && local.slice(local.lastIndexOf(':') + 1) === portHex) inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** The process listening on TCP `port` (e.g. the gateway on PORT). */
export function findListeningPid(port: number): number | undefined {
  const inodes = listeningInodes(
    port,
    ['/proc/net/tcp', '/proc/net/tcp6'].map((file) => readText(file) ?? ''),
  );
  if (inodes.size === 0) return undefined;
  for (const pid of pids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match && inodes.has(match[1])) return pid;
      } catch {
        // gone meanwhile
      }
    }
  }
  return undefined;
}

/**
 * A node process whose command line mentions `script` (e.g. device-command's
 * main.js). When several match, the one whose environment has every `env`
 * entry; undefined when that still is not exactly one.
 */
export function findNodeProcess(script: RegExp, env: Record<string, string>): number | undefined {
  const candidates = pids().filter((pid) => {
    const args = cmdlineOf(pid);
    return args.length > 0 && /(^|\/)node$/.test(args[0]) && args.some((arg) => script.test(arg));
  });
  if (candidates.length <= 1) return candidates[0];
  const matching = candidates.filter((pid) => {
    const environ = readText(`/proc/${pid}/environ`);
    if (environ === undefined) return false;
    const vars = new Set(environ.split('\0'));
    return Object.entries(env).every(([key, value]) => vars.has(`${key}=${value}`));
  });
  return matching.length === 1 ? matching[0] : undefined;
}

/** Busy and total clock ticks of the whole machine, from the first line of /proc/stat. */
export function parseMachineTicks(text: string): { busy: number; total: number } {
  const line = text.split('\n').find((l) => l.startsWith('cpu ')) ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const total = values.slice(0, 8).reduce((sum, v) => sum + (Number.isFinite(v) ? v : 0), 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

function readMachineTicks(): { busy: number; total: number } | undefined {
  const text = readText('/proc/stat');
  return text === undefined ? undefined : parseMachineTicks(text);
}

interface Track {
  /** One process, or several counted as one (the simulator processes of a big fleet). */
  pids: number[];
  peakRssKb: number;
  /** When CPU time started being counted. */
  since: number;
  /** CPU ticks per pid, first and last sample. */
  startTicks: Map<number, number>;
  lastTicks: Map<number, number>;
}

export interface ProcessUsage {
  /** Highest sampled VmRSS, in MB. */
  peakRssMb: number;
  /** CPU used over the monitored time, in % of one core (200 % = both cores of a 2-core machine). */
  cpuPercent: number;
  /** CPU time used over the monitored time, in seconds. */
  cpuSeconds: number;
}

/**
 * Samples VmRSS and CPU time of named processes every `intervalMs`. Processes
 * may be added while it runs (the simulator starts later); a process that
 * ends keeps its last values.
 */
export class ProcessMonitor {
  private readonly tracks = new Map<string, Track>();
  private timer?: NodeJS.Timeout;
  private machineStart?: { busy: number; total: number };

  constructor(private readonly intervalMs = 250) {}

  /** Several pids under one label are summed: RSS of each sample, and CPU. */
  add(label: string, pid: number | readonly number[] | undefined): void {
    const pids = pid === undefined ? [] : typeof pid === 'number' ? [pid] : [...pid];
    if (pids.length === 0) return;
    const track: Track = { pids, peakRssKb: 0, since: Date.now(), startTicks: new Map(), lastTicks: new Map() };
    this.tracks.set(label, track);
    if (this.timer) this.sample(track, true);
  }

  start(): void {
    this.machineStart = readMachineTicks();
    for (const track of this.tracks.values()) this.sample(track, true);
    this.timer = setInterval(() => {
      for (const track of this.tracks.values()) this.sample(track, false);
    }, this.intervalMs);
    this.timer.unref();
  }

  private sample(track: Track, first: boolean): void {
    let rssKb = 0;
    let sampled = false;
    for (const pid of track.pids) {
      const status = readStatus(pid);
      if (status && Number.isFinite(status.rssKb)) {
        rssKb += status.rssKb;
        sampled = true;
      }
      const ticks = readTicks(pid);
      if (ticks !== undefined && Number.isFinite(ticks)) {
        if (first || !track.startTicks.has(pid)) {
          track.startTicks.set(pid, ticks);
          if (first) track.since = Date.now();
        }
        track.lastTicks.set(pid, ticks);
      }
    }
    if (sampled) track.peakRssKb = Math.max(track.peakRssKb, rssKb);
  }

  /**
   * The whole machine's CPU use since start(), in % of one core (all cores busy = 100 × cores),
   * so that load from processes outside the platform (another test run) shows. NaN before start().
   */
  machineCpuPercent(): number {
    const end = readMachineTicks();
    if (!this.machineStart || !end || end.total <= this.machineStart.total) return Number.NaN;
    const cores = Math.max(1, cpuCount());
    return ((end.busy - this.machineStart.busy) / (end.total - this.machineStart.total)) * 100 * cores;
  }

  /** Stops sampling (after a last sample) and returns the usage per label. */
  stop(): Record<string, ProcessUsage> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const track of this.tracks.values()) this.sample(track, false);
    const now = Date.now();
    const result: Record<string, ProcessUsage> = {};
    for (const [label, track] of this.tracks) {
      const seconds = Math.max(0.001, (now - track.since) / 1000);
      let ticks = 0;
      for (const [pid, last] of track.lastTicks) ticks += last - (track.startTicks.get(pid) ?? last);
      result[label] = {
        peakRssMb: track.peakRssKb / 1024,
        cpuPercent: (ticks / ticksPerSecond() / seconds) * 100,
        cpuSeconds: ticks / ticksPerSecond(),
      };
    }
    return result;
  }
}

/** `rss.<label>MB` and `cpu.<label>Pct` metrics, plus `rss.platformMB` (broker + gateway + device-command). */
export function usageMetrics(
  usage: Record<string, ProcessUsage>,
  withCpu: boolean,
  machineCpuPercent = Number.NaN,
): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [label, value] of Object.entries(usage)) metrics[`rss.${label}MB`] = value.peakRssMb;
  const platform = ['gateway', 'deviceCommand', 'broker'].filter((label) => usage[label] !== undefined);
  if (platform.length === 3) {
    metrics['rss.platformMB'] = platform.reduce((sum, label) => sum + usage[label].peakRssMb, 0);
    if (usage.simulator) metrics['rss.withSimulatorMB'] = metrics['rss.platformMB'] + usage.simulator.peakRssMb;
  }
  if (withCpu) {
    for (const [label, value] of Object.entries(usage)) metrics[`cpu.${label}Pct`] = value.cpuPercent;
    if (Number.isFinite(machineCpuPercent)) {
      metrics['cpu.machinePct'] = machineCpuPercent;
      // Everything else on the machine: the database's helpers (e.g. PostgreSQL backends), other users' test runs.
      metrics['cpu.otherPct'] = Math.max(
        0,
        machineCpuPercent - Object.values(usage).reduce((sum, u) => sum + u.cpuPercent, 0),
      );
    }
  }
  return metrics;
}
