import mongoose from 'mongoose';
import { assertE2eDatabase, e2eMongoUri, infra } from './infrastructure';

declare global {
  // Shared with global-teardown (same process): what this run started and must stop.
  var __E2E_STARTED__: { broker: boolean; database: boolean } | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (!infra('setup.sh')) throw new Error('infra/setup.sh failed (dependencies, .env or certificates)');
  process.loadEnvFile?.('.env');

  const started = { broker: false, database: false };
  if (!infra('broker.sh', 'status')) {
    if (!infra('broker.sh', 'start')) throw new Error('could not start the broker: see the output above');
    started.broker = true;
  } else if (!infra('broker.sh', 'start')) {
    throw new Error('the running broker could not be reconciled: see the output above');
  }
  const externalDb = Boolean(process.env.MONGODB_URI);
  if (!externalDb && !infra('database.sh', 'status')) {
    if (!infra('database.sh', 'start')) throw new Error('could not start the database: see the output above');
    started.database = true;
  }
  globalThis.__E2E_STARTED__ = started;

  const uri = e2eMongoUri();
  assertE2eDatabase(uri);
  process.env.MONGODB_URI = uri; // inherited by the test workers
  const connection = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 10000 }).asPromise();
  await connection.dropDatabase();
  await connection.close();
}
