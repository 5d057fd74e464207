/**
 * Summarizes a V8 .cpuprofile (written by `node --cpu-prof`): self time per
 * function and per module (npm package, node: internal module, or our own
 * file), the idle and GC shares. Also runnable on its own:
 *
 *   npx ts-node --transpile-only bench/profile-summary.ts DIR_OR_FILE... [--top N]
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  name: string;
  selfMs: number;
  /** Share of the non-idle time, in %. */
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  /** Sampled time minus idle. */
  busyMs: number;
  gcMs: number;
  functions: SelfTime[];
  modules: SelfTime[];
  /**
   * Time by the innermost frame of our own code (apps/, libs/) on the stack:
   * what our code spends, including the library and runtime calls it makes.
   * Samples without any of our frames go to `(not in our code)`.
   */
  ownCode: SelfTime[];
}

export function isCpuProfile(value: unknown): value is CpuProfile {
  if (typeof value !== 'object' || value === null) return false;
  const profile = value as Record<string, unknown>;
  return Array.isArray(profile.nodes) && typeof profile.startTime === 'number' && typeof profile.endTime === 'number';
}

/** The module a script URL belongs to: `express`, `@nestjs/core`, `node:internal/tls`, `app:apps/api-gateway/...`. */
export function moduleOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const file = url.replace(/^file:\/\//, '');
  const nodeModules = file.lastIndexOf('node_modules/');
  if (nodeModules >= 0) {
    const parts = file.slice(nodeModules + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (file.startsWith('node:')) {
    const parts = file.slice('node:'.length).split('/');
    return `node:${parts[0] === 'internal' && parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0].replace(/\.js$/, '')}`;
  }
  // dist/apps/api-gateway/apps/api-gateway/src/x.js → app:apps/api-gateway/src/x.js (the last apps/ or libs/).
  const inRepo = /.*\/((?:apps|libs)\/.*)$/.exec(file);
  if (inRepo) return `app:${inRepo[1]}`;
  return file;
}

/** Self time per node id, from samples and time deltas (or hit counts when those are missing). */
function selfTimes(profile: CpuProfile): Map<number, number> {
  const times = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0 && deltas.length === samples.length) {
    // timeDeltas[i] is the time before sample i; the time a sample stands for is the delta to the next one.
    for (let i = 0; i < samples.length; i++) {
      const us = i + 1 < deltas.length ? deltas[i + 1] : 0;
      times.set(samples[i], (times.get(samples[i]) ?? 0) + Math.max(0, us) / 1000);
    }
    return times;
  }
  const hits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const perHit = hits > 0 ? (profile.endTime - profile.startTime) / 1000 / hits : 0;
  for (const node of profile.nodes) times.set(node.id, (node.hitCount ?? 0) * perHit);
  return times;
}

function frameLabel(node: CpuProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return url === ''
    ? functionName || '(anonymous)'
    : `${functionName || '(anonymous)'} ${moduleOf(url, functionName)}:${lineNumber + 1}`;
}

export function summarizeProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const self = selfTimes(profile);
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  const byOwnCode = new Map<string, number>();
  const parent = new Map<number, number>();
  const nodes = new Map<number, CpuProfileNode>();
  for (const node of profile.nodes) {
    nodes.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const ownFrame = new Map<number, string>();
  const innermostOwn = (id: number): string => {
    const cached = ownFrame.get(id);
    if (cached !== undefined) return cached;
    const path: number[] = [];
    let label = '(not in our code)';
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const known = ownFrame.get(at);
      if (known !== undefined) {
        label = known;
        break;
      }
      path.push(at);
      const node = nodes.get(at);
      if (node && moduleOf(node.callFrame.url, node.callFrame.functionName).startsWith('app:')) {
        label = frameLabel(node);
        break;
      }
    }
    for (const visited of path) ownFrame.set(visited, label);
    return label;
  };
  let totalMs = 0;
  let idleMs = 0;
  let gcMs = 0;
  for (const node of profile.nodes) {
    const ms = self.get(node.id) ?? 0;
    if (ms === 0) continue;
    totalMs += ms;
    const { functionName, url } = node.callFrame;
    if (functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    if (functionName === '(garbage collector)') gcMs += ms;
    const module = moduleOf(url, functionName);
    const label = frameLabel(node);
    byFunction.set(label, (byFunction.get(label) ?? 0) + ms);
    byModule.set(module, (byModule.get(module) ?? 0) + ms);
    const own = innermostOwn(node.id);
    byOwnCode.set(own, (byOwnCode.get(own) ?? 0) + ms);
  }
  const busyMs = totalMs - idleMs;
  const rank = (map: Map<string, number>): SelfTime[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, selfMs]) => ({ name, selfMs, percent: busyMs > 0 ? (selfMs / busyMs) * 100 : 0 }));
  return {
    totalMs,
    idleMs,
    busyMs,
    gcMs,
    functions: rank(byFunction),
    modules: rank(byModule),
    ownCode: rank(byOwnCode),
  };
}

export function formatProfileSummary(title: string, summary: ProfileSummary): string {
  const lines = [
    `${title}: ${(summary.totalMs / 1000).toFixed(1)} s sampled, ${(summary.busyMs / 1000).toFixed(1)} s busy ` +
      `(${summary.totalMs > 0 ? ((summary.busyMs / summary.totalMs) * 100).toFixed(0) : '0'} %), GC ${(summary.gcMs / 1000).toFixed(1)} s`,
    '  top modules by self time (% of busy):',
    ...summary.modules.map(
      (m) => `    ${m.percent.toFixed(1).padStart(5)} %  ${(m.selfMs / 1000).toFixed(2).padStart(7)} s  ${m.name}`,
    ),
    '  top functions by self time (% of busy):',
    ...summary.functions.map(
      (f) => `    ${f.percent.toFixed(1).padStart(5)} %  ${(f.selfMs / 1000).toFixed(2).padStart(7)} s  ${f.name}`,
    ),
    '  by our code (innermost apps/ or libs/ frame on the stack, % of busy):',
    ...summary.ownCode.map(
      (f) => `    ${f.percent.toFixed(1).padStart(5)} %  ${(f.selfMs / 1000).toFixed(2).padStart(7)} s  ${f.name}`,
    ),
  ];
  return lines.join('\n');
}

/** The .cpuprofile files in `dirOrFile` (or that file). */
export function profileFiles(dirOrFile: string): string[] {
  if (statSync(dirOrFile).isFile()) return [dirOrFile];
  return readdirSync(dirOrFile)
    .filter((name) => name.endsWith('.cpuprofile'))
    .sort()
    .map((name) => path.join(dirOrFile, name));
}

export function summarizeProfileFile(file: string, top = 15): string {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!isCpuProfile(parsed)) throw new Error(`${file} is not a V8 CPU profile`);
  return formatProfileSummary(path.basename(file), summarizeProfile(parsed, top));
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const topIndex = args.indexOf('--top');
  const top = topIndex >= 0 ? Number(args.splice(topIndex, 2)[1]) : 15;
  if (args.length === 0 || !Number.isInteger(top) || top < 1) {
    process.stderr.write('usage: ts-node bench/profile-summary.ts DIR_OR_FILE... [--top N]\n');
    process.exit(2);
  }
  for (const arg of args)
    for (const file of profileFiles(arg)) process.stdout.write(`${summarizeProfileFile(file, top)}\n\n`);
}
