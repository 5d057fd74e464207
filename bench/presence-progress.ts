/**
 * How far the gateway's presence tracking has got: its counter
 * `iotcloud_presence_changes_total{change="connected"}` on the metrics listener
 * (METRICS_PORT, loopback). The scale scenario reads it before and after a wave of
 * connects to time how long presence takes to catch up with the broker.
 */
import { get } from 'node:http';

/** The value of iotcloud_presence_changes_total{change="connected"} in a Prometheus text page (0 before the first change). */
export function parsePresenceConnected(text: string): number {
  const match = /^iotcloud_presence_changes_total\{change="connected"\}\s+(\S+)/m.exec(text);
  return match ? Number(match[1]) : 0;
}

/** Whether PRESENCE (from the environment or .env, as the apps read it) leaves presence on. */
export function presenceEnabled(value = process.env.PRESENCE): boolean {
  return !/^(false|0|no)$/i.test((value ?? '').trim());
}

/** The gateway's count of devices recorded connected; undefined when its metrics cannot be read. */
export function readPresenceConnected(port = Number(process.env.METRICS_PORT ?? '9464')): Promise<number | undefined> {
  if (!port) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path: '/metrics', timeout: 5000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(response.statusCode === 200 ? parsePresenceConnected(body) : undefined));
      response.on('error', () => resolve(undefined));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}
