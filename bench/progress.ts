/** Progress lines: always on stderr, so stdout carries only the final table. */
export function progress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

/**
 * Progress of a long loop (registering 10,000 devices): a line at most every
 * `everyMs` and at the end, with the rate so far.
 */
export class ProgressCounter {
  private done = 0;
  private failed = 0;
  private lastPrint = 0;
  private readonly started = Date.now();

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly everyMs = 5000,
    private readonly print: (line: string) => void = progress,
  ) {}

  tick(ok = true): void {
    this.done += 1;
    if (!ok) this.failed += 1;
    const now = Date.now();
    if (this.done === this.total || now - this.lastPrint >= this.everyMs) {
      this.lastPrint = now;
      const seconds = (now - this.started) / 1000;
      const rate = seconds > 0 ? ` (${(this.done / seconds).toFixed(0)}/s)` : '';
      const failed = this.failed > 0 ? `, ${this.failed} failed` : '';
      this.print(`${this.label} ${this.done}/${this.total}${failed}${rate}`);
    }
  }
}
