/** One sample of a Prometheus text exposition, by name and (a subset of) labels; undefined when absent. */
export function sample(exposition: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) return Number(match[3]);
  }
  return undefined;
}

/** The gateway's /metrics (METRICS_PORT from the environment, as the apps read it). */
export const GATEWAY_METRICS_URL = `http://127.0.0.1:${Number(process.env.METRICS_PORT || 9464)}/metrics`;
