import { Command } from '@nestjs/cqrs';
import { JobRecord } from '../../domain/job';

/** Which devices a job targets: named ones, or a selector. */
export type JobTarget = { devices: string[] } | { selector: { all?: boolean; tag?: string; online?: boolean } };

export class StartJobCommand extends Command<JobRecord> {
  constructor(
    readonly ownerId: string,
    readonly target: JobTarget,
    readonly api: string,
    readonly params: Record<string, unknown>,
    readonly timeoutMs: number,
    readonly concurrency: number,
    readonly ratePerSecond?: number,
    readonly abort?: { failedPercent: number; minOutcomes?: number },
  ) {
    super();
  }
}
