import { CommandHistoryRecorder, HistorySettings } from './command-history.recorder';
import { CommandHistoryRepository } from './database/command-history.repository.port';
import { CommandRecord } from './domain/command-record';

function record(n: number): CommandRecord {
  const at = new Date();
  return {
    commandId: n.toString(16).padStart(24, '0'),
    deviceId: 'd'.repeat(32),
    deviceName: 'lamp',
    userId: 'u1',
    api: 'get_status',
    params: {},
    outcome: 'OK',
    reply: { status: 'running' },
    requestedAt: at,
    answeredAt: at,
    totalMs: 1,
    deviceMs: 1,
  };
}

class FakeHistory implements Pick<CommandHistoryRepository, 'insertMany'> {
  batches: CommandRecord[][] = [];
  down = false;
  async insertMany(records: CommandRecord[]): Promise<void> {
    if (this.down) throw new Error('connection refused');
    this.batches.push(records);
  }
}

const settings: HistorySettings = {
  enabled: true,
  retentionDays: 30,
  batchSize: 3,
  flushIntervalMs: 60_000,
  maxPending: 5,
};

describe('CommandHistoryRecorder', () => {
  let db: FakeHistory;
  let recorder: CommandHistoryRecorder;

  beforeEach(() => {
    db = new FakeHistory();
    recorder = new CommandHistoryRecorder(db as unknown as CommandHistoryRepository, settings);
  });

  it('writes in batches of batchSize, nothing on the caller’s path', async () => {
    for (let i = 0; i < 7; i++) recorder.record(record(i));
    await recorder.flush();
    expect(db.batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(recorder.recorded).toBe(7);
    expect(recorder.unrecorded).toBe(0);
  });

  it('counts the gap when the database is down, and records again once it is back', async () => {
    db.down = true;
    recorder.record(record(1));
    recorder.record(record(2));
    expect(() => recorder.record(record(3))).not.toThrow(); // a full batch: written (and lost) at once
    await recorder.flush();
    expect(recorder.unrecorded).toBe(3);
    db.down = false;
    recorder.record(record(4));
    await recorder.flush();
    expect(recorder.recorded).toBe(1);
    expect(db.batches.flat().map((r) => r.commandId)).toEqual([record(4).commandId]);
  });

  it('keeps at most maxPending records waiting; the rest are counted, not queued', () => {
    const slow = new CommandHistoryRecorder(db as unknown as CommandHistoryRepository, {
      ...settings,
      batchSize: 100,
    });
    for (let i = 0; i < 8; i++) slow.record(record(i));
    expect(slow.unrecorded).toBe(3);
  });

  it('records nothing when disabled', async () => {
    const off = new CommandHistoryRecorder(db as unknown as CommandHistoryRepository, { ...settings, enabled: false });
    off.record(record(1));
    await off.flush();
    expect(db.batches).toEqual([]);
  });
});
