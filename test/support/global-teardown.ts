import { infra } from './infrastructure';

/** Stops exactly what global setup started; a broker or database that was already running stays up. */
export default function globalTeardown(): void {
  const started = globalThis.__E2E_STARTED__;
  if (started?.database) infra('database.sh', 'stop');
  if (started?.broker) infra('broker.sh', 'stop');
}
