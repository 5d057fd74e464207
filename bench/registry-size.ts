/**
 * How many device records the gateway's database holds. Reported with every
 * scenario so runs of different registry sizes are not compared by mistake
 * (listing a user's devices scans on FerretDB/SQLite). See docs/performance.md.
 */
import mongoose from 'mongoose';
import { DEVICE_RECORDS_COLLECTION } from '../apps/api-gateway/src/devices/database/device.collections';

/** The database the gateway uses: MONGODB_URI, else the local one on LOCAL_DB_PORT (as infra/database.sh says). */
export function gatewayDatabaseUri(): string {
  return process.env.MONGODB_URI || `mongodb://127.0.0.1:${process.env.LOCAL_DB_PORT ?? '27018'}/iotcloud`;
}

/** Total device records (active and revoked); undefined when the database cannot be reached. */
export async function countDeviceRecords(uri = gatewayDatabaseUri()): Promise<number | undefined> {
  let connection: mongoose.Connection | undefined;
  try {
    connection = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 3000 }).asPromise();
    const db = connection.db;
    if (!db) return undefined;
    return await db.collection(DEVICE_RECORDS_COLLECTION).estimatedDocumentCount();
  } catch {
    return undefined;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}
