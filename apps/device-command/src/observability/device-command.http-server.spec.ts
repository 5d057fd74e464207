import { AmqpConnectionManager } from 'amqp-connection-manager';
import { Registry } from 'prom-client';
import { DeviceCommandHttpServer } from './device-command.http-server';

describe('DeviceCommandHttpServer', () => {
  let connected = true;
  let server: DeviceCommandHttpServer;
  let base: string;

  beforeAll(async () => {
    const broker = { isConnected: () => connected } as unknown as AmqpConnectionManager;
    server = new DeviceCommandHttpServer(new Registry(), broker);
    base = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
  });

  afterAll(() => server.onApplicationShutdown());

  it('is ready while the broker connection is up, and answers 503 when it is down; alive either way', async () => {
    connected = true;
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
    connected = false;
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'degraded', broker: { status: 'down', error: 'broker unreachable' } });
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
  });

  it('serves only its GET routes', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base}/anything`)).status).toBe(404);
  });
});
