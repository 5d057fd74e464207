import { Body, Controller, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { DEVICE_TIMEOUT_MS } from '@app/device-protocol';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../../auth/jwt-auth.guard';
import { AUTH_ERRORS, ApiErrors, BODY_ERRORS, DATABASE_ERRORS } from '../../../infrastructure/api-errors';
import { InvalidJobError } from '../../domain/job.errors';
import { JobResponseDto } from '../../job.response.dto';
import { JobTarget, StartJobCommand } from './start-job.command';
import { StartJobRequestDto } from './start-job.request.dto';

@ApiTags('jobs')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('jobs')
export class StartJobHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  /**
   * Send one device API call to many devices (a list, or a selector). Answers at once with the job's id,
   * `queued` and `total: null`: a runner resolves its devices next (`GET /jobs/{id}` shows `total` then).
   */
  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ type: JobResponseDto })
  @ApiErrors(DATABASE_ERRORS, AUTH_ERRORS, BODY_ERRORS, { 400: ['INVALID_JOB', 'INVALID_DEVICE_REQUEST'] })
  async start(@CurrentUser() user: AuthenticatedUser, @Body() body: StartJobRequestDto): Promise<JobResponseDto> {
    if ((body.devices === undefined) === (body.selector === undefined)) {
      throw new InvalidJobError('give either devices or selector');
    }
    const target: JobTarget = body.devices ? { devices: body.devices } : { selector: body.selector ?? {} };
    const job = await this.commandBus.execute(
      new StartJobCommand(
        user.userId,
        target,
        body.api,
        body.params ?? {},
        body.timeoutMs ?? DEVICE_TIMEOUT_MS.default,
        body.concurrency ?? 50,
        body.ratePerSecond,
        body.abort,
      ),
    );
    return JobResponseDto.from(job);
  }
}
