/**
 * Runs the bench alternately under two (or more) settings, in the same session,
 * so that the machine's drift hits every setting alike: A, B, A, B, ... Each run
 * is a separate `npm run bench` with the setting in its environment (environment
 * beats .env, so the apps the bench starts get it). Prints, per metric, the
 * median of each setting and the ratio to the first, plus the load average seen
 * around the runs; writes every run's metrics and the summary as JSON.
 *
 *   npx ts-node --transpile-only bench/alternate.ts --reps 3 --out results.json \
 *     --setting on COMMAND_HISTORY=true --setting off COMMAND_HISTORY=false \
 *     -- latency throughput --no-build
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Setting {
  label: string;
  env: Record<string, string>;
}

export interface AlternateOptions {
  reps: number;
  out?: string;
  settings: Setting[];
  benchArgs: string[];
}

type Metrics = Record<string, Record<string, number>>;

export interface Run {
  rep: number;
  setting: string;
  startedAt: string;
  exitCode: number | null;
  loadBefore: number;
  loadAfter: number;
  metrics: Metrics;
}

export function parseAlternateArgs(argv: string[]): AlternateOptions {
  const split = argv.indexOf('--');
  const own = split >= 0 ? argv.slice(0, split) : argv;
  const benchArgs = split >= 0 ? argv.slice(split + 1) : [];
  const options: AlternateOptions = { reps: 3, settings: [], benchArgs };
  for (let i = 0; i < own.length; i++) {
    const arg = own[i];
    if (arg === '--reps') {
      options.reps = Number(own[++i]);
      if (!Number.isInteger(options.reps) || options.reps < 1) throw new Error('--reps must be a positive integer');
    } else if (arg === '--out') {
      options.out = own[++i];
      if (!options.out) throw new Error('--out needs a file');
    } else if (arg === '--setting') {
      const label = own[++i];
      const assignments: string[] = [];
      while (i + 1 < own.length && /^[A-Z_][A-Z0-9_]*=/.test(own[i + 1])) assignments.push(own[++i]);
      if (!label || label.startsWith('--')) throw new Error('--setting needs a label, then NAME=value pairs');
      const env: Record<string, string> = {};
      for (const assignment of assignments) {
        const eq = assignment.indexOf('=');
        env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
      }
      options.settings.push({ label, env });
    } else {
      throw new Error(`unknown argument ${arg} (bench arguments go after --)`);
    }
  }
  if (options.settings.length < 2) throw new Error('give at least two --setting LABEL NAME=value ...');
  if (benchArgs.includes('--out')) throw new Error('--out goes before --: each run writes its own file');
  return options;
}

export function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface SummaryRow {
  scenario: string;
  metric: string;
  medians: Record<string, number>;
  /** Median of each setting ÷ median of the first setting. */
  ratios: Record<string, number>;
}

/** Per scenario and metric, the median of each setting over its runs and the ratio to the first setting. */
export function summarize(runs: Run[], settings: Setting[]): SummaryRow[] {
  const keys = new Map<string, [string, string]>();
  for (const run of runs)
    for (const [scenario, metrics] of Object.entries(run.metrics))
      for (const metric of Object.keys(metrics)) keys.set(`${scenario}\0${metric}`, [scenario, metric]);
  const base = settings[0].label;
  return [...keys.values()].map(([scenario, metric]) => {
    const medians: Record<string, number> = {};
    for (const { label } of settings)
      medians[label] = median(
        runs.filter((r) => r.setting === label).map((r) => r.metrics[scenario]?.[metric] ?? Number.NaN),
      );
    const ratios: Record<string, number> = {};
    for (const { label } of settings) ratios[label] = medians[label] / medians[base];
    return { scenario, metric, medians, ratios };
  });
}

function format(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  return abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function main(): number {
  let options: AlternateOptions;
  try {
    options = parseAlternateArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'iotcloud-alternate-'));
  const runs: Run[] = [];
  let interrupted = false;
  try {
    for (let rep = 1; rep <= options.reps && !interrupted; rep++) {
      for (const setting of options.settings) {
        const file = join(dir, `${rep}-${setting.label}.json`);
        const startedAt = new Date().toISOString();
        const loadBefore = loadavg()[0];
        process.stderr.write(
          `[alternate] rep ${rep}/${options.reps}, ${setting.label} (${JSON.stringify(setting.env)}), load ${loadBefore.toFixed(1)}\n`,
        );
        const result = spawnSync('npm', ['run', 'bench', '--', ...options.benchArgs, '--out', file], {
          env: { ...process.env, ...setting.env },
          stdio: ['ignore', 'inherit', 'inherit'],
        });
        let metrics: Metrics = {};
        try {
          metrics = JSON.parse(readFileSync(file, 'utf8')) as Metrics;
        } catch {
          process.stderr.write(`[alternate] run ${rep} ${setting.label} wrote no results\n`);
        }
        runs.push({
          rep,
          setting: setting.label,
          startedAt,
          exitCode: result.status,
          loadBefore,
          loadAfter: loadavg()[0],
          metrics,
        });
        if (result.signal === 'SIGINT' || result.status === 130 || result.status === 143) {
          interrupted = true;
          break;
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const rows = summarize(runs, options.settings);
  const labels = options.settings.map((s) => s.label);
  const lines = [
    `| scenario | metric | ${labels.map((l) => `median ${l}`).join(' | ')} | ${labels
      .slice(1)
      .map((l) => `${l} ÷ ${labels[0]}`)
      .join(' | ')} |`,
    `|---|---|${labels.map(() => '---:').join('|')}|${labels
      .slice(1)
      .map(() => '---:')
      .join('|')}|`,
    ...rows.map(
      (row) =>
        `| ${row.scenario} | ${row.metric} | ${labels.map((l) => format(row.medians[l])).join(' | ')} | ${labels
          .slice(1)
          .map((l) => format(row.ratios[l]))
          .join(' | ')} |`,
    ),
  ];
  const loads = runs.flatMap((r) => [r.loadBefore, r.loadAfter]);
  lines.push(
    '',
    `load average (1 min) around the runs: median ${format(median(loads))}, ${format(Math.min(...loads))}-${format(Math.max(...loads))}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  if (options.out) {
    const summary = Object.fromEntries(rows.map((r) => [`${r.scenario}.${r.metric}`, r.medians]));
    writeFileSync(
      options.out,
      `${JSON.stringify({ settings: options.settings, benchArgs: options.benchArgs, runs, medians: summary }, null, 2)}\n`,
    );
  }
  return interrupted ? 130 : runs.some((r) => r.exitCode !== 0) ? 1 : 0;
}

if (require.main === module) process.exitCode = main();
