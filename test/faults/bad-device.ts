/**
 * The fault suite's misbehaving device, in a process of its own (forked by main.ts): with its flood
 * in the suite's own process, the other devices' replies and the users' calls, which share that
 * event loop, were measured slow by the suite itself. It waits for `start` over IPC, then for
 * `durationMs` floods replies, sends garbage and 1 MB payloads and reconnects in a tight loop, and
 * answers with what it did.
 */
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { replyTopic } from '@app/device-protocol';

export interface BadDeviceStart {
  url: string;
  deviceId: string;
  certificate: string;
  privateKey: string;
  caPem: string;
  durationMs: number;
}

export interface BadDeviceReport {
  connects: number;
  published: number;
  /** Connections the broker closed while the device was flooding. */
  cutOff: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function misbehave(start: BadDeviceStart): Promise<BadDeviceReport> {
  const until = Date.now() + start.durationMs;
  const report: BadDeviceReport = { connects: 0, published: 0, cutOff: 0 };
  const big = Buffer.alloc(1024 * 1024, 0x61);
  while (Date.now() < until) {
    const client = mqtt.connect(start.url, {
      clientId: start.deviceId,
      cert: start.certificate,
      key: start.privateKey,
      ca: start.caPem,
      reconnectPeriod: 0,
      connectTimeout: 10_000, // a TLS handshake can take seconds on a loaded machine
    });
    const outcome = await new Promise<'connected' | 'failed'>((resolve) => {
      client.once('connect', () => resolve('connected'));
      client.once('error', () => resolve('failed'));
      client.once('close', () => resolve('failed'));
    });
    let leaving = false;
    if (outcome === 'connected') {
      report.connects += 1;
      client.once('close', () => {
        if (!leaving) report.cutOff += 1;
      });
      const floodUntil = Date.now() + 500;
      while (Date.now() < floodUntil && client.connected) {
        for (let i = 0; i < 50; i++) {
          client.publish(replyTopic(start.deviceId, 'get_gpio'), JSON.stringify({ number: 1, value: 1 }));
          client.publish(replyTopic(start.deviceId, 'get_status'), randomBytes(64));
          report.published += 2;
        }
        await sleep(5);
      }
      if (client.connected) {
        client.publish(replyTopic(start.deviceId, 'get_mac'), big);
        report.published += 1;
      }
    }
    leaving = true;
    client.end(true);
  }
  return report;
}

process.on('message', (start: BadDeviceStart) => {
  void misbehave(start).then((report) => {
    process.send?.(report, () => process.exit(0));
  });
});
process.send?.('ready');
