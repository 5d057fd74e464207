/** Stops exactly what global setup started; a broker or database that was already running stays up. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.__E2E_INFRASTRUCTURE__?.stop();
}
