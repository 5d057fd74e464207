import mongoose from 'mongoose';
import { LOGIN_FAILURES_COLLECTION } from '../apps/api-gateway/src/auth/database/login-failure.mongo-store';
import { RunningGateway, startGateway } from './support/apps';
import { closeClient, request, signUpAndLogIn, uniqueName } from './support/https-client';

describe('accounts (e2e, HTTPS + real database)', () => {
  let gateway: RunningGateway;
  const url = () => gateway.baseUrl;

  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(async () => {
    await gateway.close();
    closeClient();
  });

  it('signs up (201), then logs in with a JWT that expires', async () => {
    const username = uniqueName('alice');
    const signup = await request(url(), 'POST', '/auth/signup', { body: { username, password: 'p4ssword-long' } });
    expect(signup.status).toBe(201);

    const login = await request<{ accessToken: string; tokenType: string; expiresIn: number }>(
      url(),
      'POST',
      '/auth/login',
      {
        body: { username, password: 'p4ssword-long' },
      },
    );
    expect(login.status).toBe(200);
    expect(login.body.tokenType).toBe('Bearer');
    expect(login.body.expiresIn).toBeGreaterThan(0);
    const claims = JSON.parse(Buffer.from(login.body.accessToken.split('.')[1], 'base64url').toString()) as {
      exp: number;
      iat: number;
      username: string;
    };
    expect(claims.username).toBe(username);
    expect(claims.exp - claims.iat).toBe(login.body.expiresIn);
  });

  it('answers the same 401 for an unknown user and a wrong password', async () => {
    const username = uniqueName('bob');
    await request(url(), 'POST', '/auth/signup', { body: { username, password: 'p4ssword-long' } });
    const wrongPassword = await request(url(), 'POST', '/auth/login', {
      body: { username, password: 'nope-nope-nope' },
    });
    const unknownUser = await request(url(), 'POST', '/auth/login', {
      body: { username: uniqueName('nobody'), password: 'p4ssword-long' },
    });
    expect(wrongPassword.status).toBe(401);
    expect(unknownUser.status).toBe(401);
    expect(wrongPassword.body).toEqual(unknownUser.body);
    expect(wrongPassword.body).toEqual({
      statusCode: 401,
      code: 'INVALID_CREDENTIALS',
      message: 'Invalid username or password',
    });
  });

  it('refuses a duplicate username with 409 USERNAME_TAKEN', async () => {
    const username = uniqueName('carol');
    await request(url(), 'POST', '/auth/signup', { body: { username, password: 'p4ssword-long' } });
    const again = await request(url(), 'POST', '/auth/signup', { body: { username, password: 'another-password' } });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ statusCode: 409, code: 'USERNAME_TAKEN' });
  });

  it('lets exactly one of many concurrent duplicate sign-ups succeed', async () => {
    const username = uniqueName('race');
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        request(url(), 'POST', '/auth/signup', { body: { username, password: 'p4ssword-long' } }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
  });

  it('names the bad field in a 400', async () => {
    const res = await request<{ code: string; message: string; details: { fields: string[] } }>(
      url(),
      'POST',
      '/auth/signup',
      {
        body: { username: 'ok-name', password: 'short' },
      },
    );
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.details.fields).toEqual(['password']);
    expect(res.body.message).toMatch(/password/);
  });

  it('rejects unknown fields and malformed JSON with stable codes', async () => {
    const extra = await request<{ code: string }>(url(), 'POST', '/auth/signup', {
      body: { username: 'ok-name', password: 'p4ssword-long', admin: true },
    });
    expect(extra.status).toBe(400);
    expect(extra.body.code).toBe('VALIDATION_FAILED');

    const malformed = await request<{ code: string }>(url(), 'POST', '/auth/login', { rawBody: '{"username": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('MALFORMED_JSON');
  });

  it('refuses hostile bodies with 400 and a stable code on every JSON route, never 500', async () => {
    let deep = '1';
    for (let i = 0; i < 3000; i++) deep = i % 2 ? `[${deep}]` : `{"a":${deep}}`;
    const token = await signUpAndLogIn(url(), uniqueName('hostile'));
    const routes: [string, string][] = [
      ['POST', '/auth/login'],
      ['POST', '/auth/signup'],
      ['POST', '/devices'],
      ['PUT', '/devices/lamp/gpio/3'],
      ['POST', '/login'], // a legacy route
    ];
    for (const [method, path] of routes) {
      const res = await request<{ code: string }>(url(), method, path, { rawBody: deep, token });
      expect([path, res.status, res.body.code]).toEqual([path, 400, 'BODY_TOO_DEEP']);
    }
    const mixed = [
      { username: Array.from({ length: 5000 }, (_, i) => i), password: 'p4ssword-long' },
      { username: { $gt: '' }, password: { $ne: null } },
      { username: 42, password: true },
      [1, 'two', { three: 3 }],
    ];
    for (const body of mixed) {
      const res = await request<{ code: string }>(url(), 'POST', '/auth/login', { body });
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
  });

  it('limits the request body size (413)', async () => {
    const res = await request<{ code: string }>(url(), 'POST', '/auth/signup', {
      body: { username: 'x'.repeat(200_000), password: 'p4ssword-long' },
    });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('rejects missing, malformed and forged tokens with 401', async () => {
    const none = await request(url(), 'GET', '/devices');
    const garbage = await request(url(), 'GET', '/devices', { token: 'not-a-jwt' });
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: 'x', username: 'x', exp: 9999999999 })).toString('base64url');
    const forged = await request(url(), 'GET', '/devices', { token: `${header}.${payload}.c2lnbmF0dXJl` });
    for (const res of [none, garbage, forged]) {
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' });
    }
  });
});

describe('login rate limiting (e2e)', () => {
  let gateway: RunningGateway;
  const url = () => gateway.baseUrl;

  beforeAll(async () => {
    // The counts live in the shared database: start from none, whatever ran before.
    const db = await mongoose.createConnection(process.env.MONGODB_URI as string).asPromise();
    await db.collection(LOGIN_FAILURES_COLLECTION).deleteMany({});
    await db.close();
    gateway = await startGateway();
  });
  afterAll(async () => {
    await gateway.close();
    closeClient();
    // This suite locks out 127.0.0.1 on purpose; the suites after it log in from there too.
    const db = await mongoose.createConnection(process.env.MONGODB_URI as string).asPromise();
    await db.collection(LOGIN_FAILURES_COLLECTION).deleteMany({});
    await db.close();
  });

  it('answers 429 with Retry-After once a username has too many failures, even for the right password', async () => {
    const username = uniqueName('target');
    await request(url(), 'POST', '/auth/signup', { body: { username, password: 'the-real-password' } });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push(
        (await request(url(), 'POST', '/auth/login', { body: { username, password: `guess-${i}-xxxx` } })).status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const right = await request<{ code: string }>(url(), 'POST', '/auth/login', {
      body: { username, password: 'the-real-password' },
    });
    expect(right.status).toBe(429);
    expect(right.body.code).toBe('TOO_MANY_LOGIN_ATTEMPTS');
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('answers 429 to a client address that guesses across many usernames', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      statuses.push(
        (
          await request(url(), 'POST', '/auth/login', {
            body: { username: uniqueName('spray'), password: 'x'.repeat(10) },
          })
        ).status,
      );
    }
    // 5 failures came from the test above; the address limit is 20.
    expect(statuses.slice(0, 15).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(15).every((s) => s === 429)).toBe(true);
  });
});
