import { progress } from './progress';

/**
 * Clean-up steps run once, last added first, whatever happened (normal end,
 * error, SIGINT/SIGTERM). A failing step is reported and the others still run.
 */
export class Teardown {
  private readonly steps: { label: string; fn: () => Promise<void> | void }[] = [];
  private running?: Promise<void>;

  add(label: string, fn: () => Promise<void> | void): void {
    this.steps.push({ label, fn });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.splice(0).reverse()) {
        try {
          await step.fn();
        } catch (error) {
          progress(`clean-up: ${step.label} failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    })();
    return this.running;
  }
}
