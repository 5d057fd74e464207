export { ROOT } from '../../tools/stack/stack';

/**
 * The e2e database: MONGODB_URI's server with the database name suffixed
 * `_e2e`, or the local one. Tests refuse to run on any other database.
 */
export function e2eMongoUri(base = process.env.MONGODB_URI): string {
  const uri = new URL(base || `mongodb://127.0.0.1:${process.env.LOCAL_DB_PORT ?? '27018'}/iotcloud`);
  const name = uri.pathname.replace(/^\//, '') || 'iotcloud';
  uri.pathname = `/${name.endsWith('_e2e') ? name : `${name}_e2e`}`;
  return uri.toString();
}

export function assertE2eDatabase(uri: string): void {
  if (!new URL(uri).pathname.endsWith('_e2e')) {
    throw new Error(`Refusing to run e2e tests against ${uri}: the database name must end with _e2e`);
  }
}
