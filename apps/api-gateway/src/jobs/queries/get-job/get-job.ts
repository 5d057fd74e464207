import { Controller, Get, Param, Query as QueryParams, UseGuards } from '@nestjs/common';
import { IQueryHandler, Query, QueryBus, QueryHandler } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../../auth/jwt-auth.guard';
import { AUTH_ERRORS, ApiErrors, DATABASE_ERRORS, PARAM_ERRORS } from '../../../infrastructure/api-errors';
import { JobRepository } from '../../database/job.repository';
import { JobRecord, JobResultRecord } from '../../domain/job';
import { JobNotFoundError } from '../../domain/job.errors';
import { JobResponseDto, JobResultResponseDto } from '../../job.response.dto';

export class GetJobQuery extends Query<JobRecord> {
  constructor(
    readonly ownerId: string,
    readonly jobId: string,
  ) {
    super();
  }
}

/** One page of a job's per-device results, in the job's order. */
export class ListJobResultsQuery extends Query<JobResultRecord[]> {
  constructor(
    readonly ownerId: string,
    readonly jobId: string,
    readonly after: number,
    readonly limit: number,
  ) {
    super();
  }
}

@QueryHandler(GetJobQuery)
export class GetJobHandler implements IQueryHandler<GetJobQuery> {
  constructor(private readonly jobs: JobRepository) {}

  async execute({ ownerId, jobId }: GetJobQuery): Promise<JobRecord> {
    const job = await this.jobs.find(jobId);
    if (!job || job.ownerId !== ownerId) throw new JobNotFoundError(jobId);
    return job;
  }
}

@QueryHandler(ListJobResultsQuery)
export class ListJobResultsHandler implements IQueryHandler<ListJobResultsQuery> {
  constructor(private readonly jobs: JobRepository) {}

  async execute({ ownerId, jobId, after, limit }: ListJobResultsQuery): Promise<JobResultRecord[]> {
    const job = await this.jobs.find(jobId);
    if (!job || job.ownerId !== ownerId) throw new JobNotFoundError(jobId);
    return this.jobs.results(jobId, after, limit);
  }
}

export class JobResultsRequestDto {
  /** Page size, 1-500 (default 100). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  /** The last `index` of the previous page. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  after?: number;
}

@ApiTags('jobs')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('jobs')
export class GetJobHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  /** A job's state and its counts per outcome. */
  @Get(':id')
  @ApiOkResponse({ type: JobResponseDto })
  @ApiErrors(DATABASE_ERRORS, AUTH_ERRORS, { 404: ['JOB_NOT_FOUND'] })
  async get(@CurrentUser() user: AuthenticatedUser, @Param('id') id: string): Promise<JobResponseDto> {
    return JobResponseDto.from(await this.queryBus.execute(new GetJobQuery(user.userId, id)));
  }

  /** A job's per-device outcomes and replies, one page at a time. */
  @Get(':id/results')
  @ApiOkResponse({ type: [JobResultResponseDto] })
  @ApiErrors(DATABASE_ERRORS, AUTH_ERRORS, PARAM_ERRORS, { 404: ['JOB_NOT_FOUND'] })
  async results(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id') id: string,
    @QueryParams() query: JobResultsRequestDto,
  ): Promise<JobResultResponseDto[]> {
    const results = await this.queryBus.execute(
      new ListJobResultsQuery(user.userId, id, query.after ?? -1, query.limit ?? 100),
    );
    return results.map((r) => JobResultResponseDto.from(r));
  }
}
