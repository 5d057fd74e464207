/**
 * What writing the command history costs, in CPU time per record, measured
 * apart from the request path: N command records (as the gateway makes them)
 * go through the gateway's own BatchedWriter and CommandHistoryMongoRepository
 * (batches of 200, one write at a time) into a scratch database next to the
 * gateway's (`<db>_history_cost`, dropped at the end). Reports the CPU time of
 * this process (the gateway's share: building and serializing the batches) and
 * of the local database process (from /proc), per record. CPU time moves far
 * less than rates with the load of other jobs on a shared machine, so this is
 * the figure to set against a call's whole CPU cost (docs/performance.md).
 *
 *   npx ts-node -r tsconfig-paths/register --transpile-only bench/history-write-cost.ts [--records 20000] [--rounds 3]
 */
import { Logger } from '@nestjs/common';
import mongoose from 'mongoose';
import { sortableId } from '@app/common';
import { CommandHistoryMongoRepository } from '../apps/api-gateway/src/history/database/command-history.mongo-repository';
import { CommandRecord } from '../apps/api-gateway/src/history/domain/command-record';
import { BatchedWriter } from '../apps/api-gateway/src/infrastructure/batched-writer';
import { median } from './alternate';
import { parseProcStatTicks } from './procfs';
import { gatewayDatabaseUri } from './registry-size';
import { loadDotEnv, localDatabasePid } from './stack';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

function ticksOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    return parseProcStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return Number.NaN;
  }
}

/** A record like the gateway's for `PUT /devices/:name/gpio/3 {"value":1}`, on one of 200 devices. */
function record(i: number): CommandRecord {
  const at = new Date();
  return {
    commandId: sortableId(),
    deviceId: (i % 200).toString(16).padStart(32, '0'),
    deviceName: `pool-${String(i % 200).padStart(6, '0')}`,
    userId: '6b170b7dbfcb174194ff1646',
    api: 'set_gpio',
    params: { number: 3, value: 1 },
    outcome: 'OK',
    reply: { number: 3, value: 1 },
    requestedAt: at,
    answeredAt: at,
    totalMs: 4.2,
    deviceMs: 1.3,
  };
}

function scratchUri(): string {
  const uri = new URL(gatewayDatabaseUri());
  const name = uri.pathname.replace(/^\//, '') || 'iotcloud';
  uri.pathname = `/${name}_history_cost`;
  return uri.toString();
}

async function main(): Promise<void> {
  loadDotEnv();
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: number) => {
    const at = args.indexOf(`--${name}`);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  const records = flag('records', 20000);
  const rounds = flag('rounds', 3);
  const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const databasePid = localDatabasePid();
  const connection = await mongoose.createConnection(scratchUri(), { serverSelectionTimeoutMS: 3000 }).asPromise();
  const repository = new CommandHistoryMongoRepository(connection);
  const logger = new Logger('history-write-cost');
  const gatewayUs: number[] = [];
  const databaseUs: number[] = [];
  const wallUs: number[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const batch = Array.from({ length: records }, (_, i) => record(i));
      const writer = new BatchedWriter<CommandRecord>(
        'history',
        (b) => repository.insertMany(b),
        { batchSize: 200, maxPending: records },
        logger,
      );
      const cpuBefore = process.cpuUsage();
      const dbBefore = ticksOf(databasePid);
      const began = process.hrtime.bigint();
      for (const r of batch) writer.add(r);
      while (writer.recorded + writer.unrecorded < records) await writer.flush();
      const wall = Number(process.hrtime.bigint() - began) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const db = ((ticksOf(databasePid) - dbBefore) / clockTicks) * 1e6;
      if (writer.unrecorded > 0) throw new Error(`${writer.unrecorded} records not written`);
      gatewayUs.push((cpu.user + cpu.system) / records);
      databaseUs.push(db / records);
      wallUs.push(wall / records);
      process.stderr.write(
        `round ${round}: ${records} records, per record: writer ${gatewayUs.at(-1)?.toFixed(1)} µs CPU, ` +
          `database ${databaseUs.at(-1)?.toFixed(1)} µs CPU, ${wallUs.at(-1)?.toFixed(1)} µs wall\n`,
      );
    }
  } finally {
    await connection.dropDatabase().catch(() => undefined);
    await connection.close();
  }
  const result = {
    records,
    rounds,
    'writerCpuUsPerRecord.median': median(gatewayUs),
    'databaseCpuUsPerRecord.median': median(databaseUs),
    'wallUsPerRecord.median': median(wallUs),
    writerCpuUsPerRecord: gatewayUs,
    databaseCpuUsPerRecord: databaseUs,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
