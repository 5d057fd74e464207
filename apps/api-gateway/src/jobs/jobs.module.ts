import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AuthModule } from '../auth/auth.module';
import { DeviceControlModule } from '../device-control/device-control.module';
import { DevicesModule } from '../devices/devices.module';
import { CancelJobHandler, CancelJobHttpController } from './commands/cancel-job/cancel-job';
import { StartJobHandler } from './commands/start-job/start-job.handler';
import { StartJobHttpController } from './commands/start-job/start-job.http.controller';
import { JobRepository } from './database/job.repository';
import { Job, JobResult, JobResultSchema, JobSchema } from './database/job.schema';
import { GetJobHandler, GetJobHttpController, ListJobResultsHandler } from './queries/get-job/get-job';
import { JobRunner } from './job-runner';
import { JobTargetResolver } from './job-target.resolver';

/** Bulk commands: one device API call sent to many devices, persisted and resumable. */
@Module({
  imports: [
    AuthModule,
    DevicesModule,
    DeviceControlModule,
    MongooseModule.forFeature([
      { name: Job.name, schema: JobSchema },
      { name: JobResult.name, schema: JobResultSchema },
    ]),
  ],
  controllers: [StartJobHttpController, GetJobHttpController, CancelJobHttpController],
  providers: [
    JobRepository,
    JobRunner,
    JobTargetResolver,
    StartJobHandler,
    CancelJobHandler,
    GetJobHandler,
    ListJobResultsHandler,
  ],
})
export class JobsModule {}
