import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectConnection } from '@nestjs/mongoose';
import { Connection } from 'mongoose';
import { DeviceCommandPattern, PingRequest } from '@app/common/device-command';
import { CommandHistoryRecorder } from '../../../history/command-history.recorder';
import { DeviceCommandClient } from '../../../infrastructure/device-command.client';
import { ComponentStatus, GetHealthQuery, HealthReport } from './get-health.query';

const CHECK_TIMEOUT_MS = 2000;

async function probe(check: () => Promise<unknown>): Promise<ComponentStatus> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { status: 'up', latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  } catch (error) {
    return { status: 'down', error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

@QueryHandler(GetHealthQuery)
export class GetHealthHandler implements IQueryHandler<GetHealthQuery> {
  constructor(
    @InjectConnection() private readonly db: Connection,
    private readonly deviceCommand: DeviceCommandClient,
    private readonly history: CommandHistoryRecorder,
  ) {}

  async execute(): Promise<HealthReport> {
    const [database, broker] = await Promise.all([
      probe(async () => {
        if (!this.db.db) throw new Error('not connected');
        await this.db.db.admin().ping();
      }),
      probe(() => this.deviceCommand.connected(CHECK_TIMEOUT_MS)),
    ]);
    const deviceCommand: ComponentStatus =
      broker.status === 'up'
        ? await probe(() =>
            this.deviceCommand.request(DeviceCommandPattern.ping, { sentAt: Date.now() } satisfies PingRequest, {
              timeoutMs: CHECK_TIMEOUT_MS,
            }),
          )
        : { status: 'down', error: 'broker unreachable' };
    const allUp = [database, broker, deviceCommand].every((c) => c.status === 'up');
    const history = { recorded: this.history.recorded, unrecorded: this.history.unrecorded };
    return { status: allUp ? 'ok' : 'degraded', database, broker, deviceCommand, history };
  }
}
