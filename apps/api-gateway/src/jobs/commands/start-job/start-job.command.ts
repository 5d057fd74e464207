import { Command } from '@nestjs/cqrs';
import { JobRecord, JobTarget } from '../../domain/job';

export type { JobTarget } from '../../domain/job';

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
