import mongoose from 'mongoose';
import { Infrastructure, logTo } from '../../tools/stack/stack';
import { assertE2eDatabase, e2eMongoUri } from './infrastructure';

declare global {
  // Shared with global-teardown (same process): what this run started and must stop.
  var __E2E_INFRASTRUCTURE__: Infrastructure | undefined;
}

/** The real broker and database, brought up by the orchestrator (tools/stack) as `npm start` does; the tests boot the apps. */
export default async function globalSetup(): Promise<void> {
  const infrastructure = new Infrastructure(logTo('e2e'));
  globalThis.__E2E_INFRASTRUCTURE__ = infrastructure;
  try {
    await infrastructure.up();
  } catch (error) {
    await infrastructure.stop(); // jest runs no teardown after a failed set-up
    throw error;
  }

  // Inherited by the test workers: the apps they boot reach the same broker, on its own database.
  Object.assign(process.env, infrastructure.appEnv);
  const uri = e2eMongoUri(infrastructure.appEnv.MONGODB_URI);
  assertE2eDatabase(uri);
  process.env.MONGODB_URI = uri;
  const connection = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 10000 }).asPromise();
  await connection.dropDatabase();
  await connection.close();
}
