/** The processes the fault suite runs and breaks: the stack's parts (from the orchestrator, tools/stack) and `npm start`. */
import { ChildProcess, spawn } from 'node:child_process';
import { ROOT, prefixLines } from '../../tools/stack/stack';

export {
  AppProcess,
  Infrastructure,
  ROOT,
  buildApps,
  freePort,
  infra,
  portOpen,
  waitHealthy,
} from '../../tools/stack/stack';

export function log(line: string): void {
  process.stderr.write(`[faults] ${line}\n`);
}

/** `npm start` in its own process group, as a terminal or a supervisor runs it. */
export class NpmStart {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;

  constructor(label: string) {
    this.child = spawn('npm', ['start'], {
      cwd: ROOT,
      env: process.env,
      detached: true, // its own process group, which the signals below go to
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prefixLines(this.child.stdout as NodeJS.ReadableStream as never, `[${label}] `);
    prefixLines(this.child.stderr as NodeJS.ReadableStream as never, `[${label}] `);
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  /** Ctrl-C in a terminal, or SIGTERM from a supervisor: the signal goes to the whole group. */
  signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-(this.child.pid as number), signal);
    } catch {
      // already gone
    }
  }

  /** Whether any process of the group is alive. */
  groupAlive(): boolean {
    try {
      process.kill(-(this.child.pid as number), 0);
      return true;
    } catch {
      return false;
    }
  }
}
