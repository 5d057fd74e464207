import mongoose from 'mongoose';
import { LOGIN_FAILURES_COLLECTION } from '../apps/api-gateway/src/auth/database/login-failure.mongo-store';
import { CuttableRelay, GatewayProcess, freePort, plainRequest, spawnGateway } from './support/gateway-process';
import { closeClient, request, signUpAndLogIn, uniqueName } from './support/https-client';
import { registerDevice } from './support/simulated-devices';

async function until<T>(what: string, probe: () => Promise<T>, ok: (value: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('two gateway replicas (e2e, separate processes on the real broker and database)', () => {
  let a: GatewayProcess;
  let b: GatewayProcess;

  beforeAll(async () => {
    // B keeps device lookups for a minute: only the broadcast can make it forget sooner.
    const started = await Promise.allSettled([spawnGateway(), spawnGateway({ DEVICE_CACHE_TTL_MS: '60000' })]);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) {
      // Stop the one that did start, so that it holds no port for the specs after this one.
      for (const result of started) if (result.status === 'fulfilled') await result.value.stop();
      throw failed.reason;
    }
    [a, b] = started.map((result) => (result as PromiseFulfilledResult<GatewayProcess>).value);
  }, 180_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    closeClient();
  });

  it('counts failed logins across replicas: 3 on A and 2 on B lock the username on both', async () => {
    const username = uniqueName('shared-throttle');
    await request(a.baseUrl, 'POST', '/auth/signup', { body: { username, password: 'the-real-password' } });
    const statuses: number[] = [];
    for (const replica of [a, a, a, b, b, a, b]) {
      const res = await request(replica.baseUrl, 'POST', '/auth/login', {
        body: { username, password: 'wrong-guess' },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });

  it('makes replica B refuse a device as soon as replica A unregisters it (broadcast, not TTL)', async () => {
    const token = await signUpAndLogIn(a.baseUrl, uniqueName('cache'));
    await registerDevice(a.baseUrl, token, 'lamp');
    expect((await request(b.baseUrl, 'GET', '/devices/lamp', { token })).status).toBe(200); // now cached on B
    expect((await request(a.baseUrl, 'DELETE', '/devices/lamp', { token })).status).toBe(204);
    const after = await until(
      'B after the unregister',
      () => request<{ code: string }>(b.baseUrl, 'GET', '/devices/lamp', { token }),
      (res) => res.status !== 200,
      5_000,
    );
    expect([after.status, after.body.code]).toEqual([404, 'DEVICE_NOT_FOUND']);
    // And the other way round: B learns of a registration made on A at once, though it cached "not found".
    await registerDevice(a.baseUrl, token, 'lamp');
    const again = await until(
      'B after the new registration',
      () => request(b.baseUrl, 'GET', '/devices/lamp', { token }),
      (res) => res.status === 200,
      5_000,
    );
    expect(again.status).toBe(200);
  });
});

describe('a gateway whose database goes away (e2e)', () => {
  let relay: CuttableRelay;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    const db = new URL(process.env.MONGODB_URI as string);
    relay = new CuttableRelay({ host: db.hostname, port: Number(db.port || 27017) }, await freePort());
    await relay.open();
    db.host = `127.0.0.1:${relay.port}`;
    gateway = await spawnGateway({ MONGODB_URI: db.toString() });
  }, 120_000);
  afterAll(async () => {
    await gateway?.stop();
    await relay?.cut();
    closeClient();
  });

  it('answers 503 DATABASE_UNAVAILABLE (never 500) while it is gone, and serves again when it is back', async () => {
    const username = uniqueName('outage');
    const token = await signUpAndLogIn(gateway.baseUrl, username);
    await registerDevice(gateway.baseUrl, token, 'fan');
    await relay.cut();

    const calls: [string, string, unknown?][] = [
      ['POST', '/auth/login', { username, password: 'correct-horse-battery' }],
      ['POST', '/auth/signup', { username: uniqueName('late'), password: 'correct-horse-battery' }],
      ['GET', '/devices'],
      ['POST', '/devices', { name: 'heater', keyType: 'ec' }],
      ['DELETE', '/devices/nothing-here'],
    ];
    for (const [method, path, body] of calls) {
      const res = await request<{ code: string }>(gateway.baseUrl, method, path, { token, body });
      expect([method, path, res.status, res.body.code]).toEqual([method, path, 503, 'DATABASE_UNAVAILABLE']);
    }

    await relay.open();
    const back = await until(
      'the device list after the database returned',
      () => request(gateway.baseUrl, 'GET', '/devices', { token }),
      (res) => res.status === 200,
      15_000,
    );
    expect(back.body).toEqual([expect.objectContaining({ name: 'fan' })]);
  });
});

describe('a gateway behind a TLS-terminating proxy (HTTPS=false, TRUST_PROXY=loopback)', () => {
  let gateway: GatewayProcess;

  beforeAll(async () => {
    gateway = await spawnGateway({
      HTTPS: 'false',
      TRUST_PROXY: 'loopback',
      LOGIN_MAX_FAILURES_PER_ADDRESS: '3',
      LOGIN_MAX_FAILURES_PER_USERNAME: '100',
    });
  }, 120_000);
  afterAll(async () => {
    await gateway?.stop();
  });

  it("throttles by the real client's address from X-Forwarded-For, not the proxy's", async () => {
    // What the proxy (on loopback, so trusted) sends on: the client's address appended.
    const as = (client: string) => ({ 'x-forwarded-for': client });
    const attacker = `203.0.113.${Math.floor(Math.random() * 250) + 1}`;
    const db = await mongoose.createConnection(process.env.MONGODB_URI as string).asPromise();
    // Other suites fail logins from loopback too: start this address's count from none.
    try {
      await db.collection(LOGIN_FAILURES_COLLECTION).deleteMany({ _id: 'addr:127.0.0.1' } as never);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await plainRequest(gateway.baseUrl, 'POST', '/auth/login', {
          body: { username: uniqueName('spray'), password: 'x'.repeat(10) },
          headers: as(attacker),
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([401, 401, 401, 429]);
      // Everyone else, behind the same proxy, still gets to try.
      const bystander = await plainRequest<{ code: string }>(gateway.baseUrl, 'POST', '/auth/login', {
        body: { username: uniqueName('honest'), password: 'x'.repeat(10) },
        headers: as('198.51.100.23'),
      });
      expect([bystander.status, bystander.body.code]).toEqual([401, 'INVALID_CREDENTIALS']);
      const keys = await db
        .collection(LOGIN_FAILURES_COLLECTION)
        .find({ _id: { $in: [`addr:${attacker}`, 'addr:127.0.0.1'] } as never })
        .toArray();
      expect(keys.map((k) => k._id)).toEqual([`addr:${attacker}`]);
    } finally {
      await db.close();
    }
  });
});
