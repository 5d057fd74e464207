import { EventBus } from '@nestjs/cqrs';
import { MemoryJobs } from '../../database/job.repository.in-memory-spec';
import { JobNotFoundError } from '../../domain/job.errors';
import { JobFinishedEvent } from '../../domain/job.events';
import { JobRunner } from '../../job-runner';
import { CancelJobCommand, CancelJobHandler } from './cancel-job';

function cancelling(memory: MemoryJobs) {
  const told: string[] = [];
  const published: unknown[] = [];
  const runner = { cancel: (id: string) => told.push(id) } as unknown as JobRunner;
  const events = { publish: (event: unknown) => published.push(event) } as unknown as EventBus;
  return { handler: new CancelJobHandler(memory.repository, runner, events), told, published };
}

describe('CancelJobHandler', () => {
  it('finishes a queued job no runner holds at once: cancelled, total null, on the stream, never resumed', async () => {
    const memory = new MemoryJobs({ selector: { all: true } });
    const { handler, told, published } = cancelling(memory);
    const job = await handler.execute(new CancelJobCommand('u1', 'j1'));
    expect(job).toMatchObject({ state: 'cancelled', total: null });
    expect(job.finishedAt).toBeInstanceOf(Date);
    expect(memory.job).toMatchObject({ state: 'cancelled', finishedAt: job.finishedAt });
    expect(told).toEqual([]);
    expect(published).toEqual([new JobFinishedEvent(job)]);
    expect(await memory.unfinished()).toEqual([]); // no runner takes it up
  });

  it('marks a job a runner holds cancelled and tells the runner, which finishes it', async () => {
    const memory = new MemoryJobs({ selector: { all: true } });
    await memory.acquireLease('j1', 'runner-a', new Date(), new Date(Date.now() + 15_000));
    const { handler, told, published } = cancelling(memory);
    expect(await handler.execute(new CancelJobCommand('u1', 'j1'))).toMatchObject({ state: 'cancelled' });
    expect(memory.job).toMatchObject({ state: 'cancelled', finishedAt: null });
    expect(told).toEqual(['j1']);
    expect(published).toEqual([]);
  });

  it("leaves a finished job as it is, and hides other users' jobs", async () => {
    const memory = MemoryJobs.resolved(['lamp']);
    Object.assign(memory.job, { state: 'completed', finishedAt: new Date() });
    const { handler, told } = cancelling(memory);
    expect(await handler.execute(new CancelJobCommand('u1', 'j1'))).toMatchObject({ state: 'completed' });
    await expect(handler.execute(new CancelJobCommand('someone-else', 'j1'))).rejects.toBeInstanceOf(JobNotFoundError);
    expect(told).toEqual([]);
  });
});
