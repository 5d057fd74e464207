import { Controller, HttpCode, HttpStatus, Param, Post, UseGuards } from '@nestjs/common';
import { Command, CommandBus, CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../../auth/jwt-auth.guard';
import { AUTH_ERRORS, ApiErrors, DATABASE_ERRORS } from '../../../infrastructure/api-errors';
import { JobRepository } from '../../database/job.repository';
import { FINAL_JOB_STATES, JobRecord } from '../../domain/job';
import { JobNotFoundError } from '../../domain/job.errors';
import { JobFinishedEvent } from '../../domain/job.events';
import { JobRunner } from '../../job-runner';
import { JobResponseDto } from '../../job.response.dto';

/** Stops new dispatches of a job; commands in flight finish. A finished job stays as it is. */
export class CancelJobCommand extends Command<JobRecord> {
  constructor(
    readonly ownerId: string,
    readonly jobId: string,
  ) {
    super();
  }
}

@CommandHandler(CancelJobCommand)
export class CancelJobHandler implements ICommandHandler<CancelJobCommand> {
  constructor(
    private readonly jobs: JobRepository,
    private readonly runner: JobRunner,
    private readonly events: EventBus,
  ) {}

  async execute({ ownerId, jobId }: CancelJobCommand): Promise<JobRecord> {
    const job = await this.jobs.find(jobId);
    if (!job || job.ownerId !== ownerId) throw new JobNotFoundError(jobId);
    if (FINAL_JOB_STATES.includes(job.state)) return job;
    const now = new Date();
    const cancelled = await this.jobs.cancel(jobId, now);
    if (cancelled === 'finished') {
      // Queued, and no runner held it: it never resolved its devices, and never will (total stays null).
      const finished: JobRecord = { ...job, state: 'cancelled', finishedAt: now };
      this.events.publish(new JobFinishedEvent(finished));
      return finished;
    }
    if (cancelled === null) return (await this.jobs.find(jobId)) ?? job; // it ended meanwhile
    // The runner (here or on another replica, which re-reads the state every second) stops
    // resolving or dispatching, and finishes the job.
    this.runner.cancel(jobId);
    return { ...job, state: 'cancelled' };
  }
}

@ApiTags('jobs')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('jobs')
export class CancelJobHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Cancel a job: no new dispatches; in-flight commands finish. */
  @Post(':id/cancel')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: JobResponseDto })
  @ApiErrors(DATABASE_ERRORS, AUTH_ERRORS, { 404: ['JOB_NOT_FOUND'] })
  async cancel(@CurrentUser() user: AuthenticatedUser, @Param('id') id: string): Promise<JobResponseDto> {
    return JobResponseDto.from(await this.commandBus.execute(new CancelJobCommand(user.userId, id)));
  }
}
