import { RunningGateway, startGateway } from './support/apps';
import { closeClient, request, uniqueName } from './support/https-client';
import { registerDevice } from './support/simulated-devices';

interface Entry {
  id: string;
  userId: string;
  action: string;
  outcome: string;
  at: string;
  sourceAddress: string | null;
  requestId: string | null;
  deviceName?: string;
  deviceId?: string;
}

describe('audit trail (e2e: GET /audit)', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway();
  });

  afterAll(async () => {
    await gateway.close();
    closeClient();
  });

  it('records sign-up, logins ok and failed, secret rotation, registration and unregistration; never a secret', async () => {
    const url = gateway.baseUrl;
    const username = uniqueName('audited');
    const password = 'correct-horse-battery';
    const traced = (id: string) => ({ 'x-request-id': id });
    expect(
      (await request(url, 'POST', '/auth/signup', { body: { username, password }, headers: traced('req-signup') }))
        .status,
    ).toBe(201);
    const failed = await request(url, 'POST', '/auth/login', { body: { username, password: 'wrong-password-1' } });
    expect(failed.status).toBe(401);
    const login = await request<{ accessToken: string }>(url, 'POST', '/auth/login', { body: { username, password } });
    const token = login.body.accessToken;
    const rotated = await request<{ secret: string }>(url, 'POST', '/auth/legacy-secret/rotate', { token });
    expect(rotated.status).toBe(200);
    const legacy = await request<{ secret: string }>(url, 'POST', '/login', { body: { username, password } });
    const reg = await registerDevice(url, token, 'lamp');
    expect((await request(url, 'DELETE', '/devices/lamp', { token, headers: traced('req-delete') })).status).toBe(204);

    const expected = [
      ['device.unregistered', 'OK'],
      ['device.registered', 'OK'],
      ['user.logged_in', 'OK'], // the legacy login
      ['legacy_secret.rotated', 'OK'],
      ['user.logged_in', 'OK'],
      ['user.login_failed', 'INVALID_CREDENTIALS'],
      ['user.signed_up', 'OK'],
    ];
    let page: { items: Entry[]; nextBefore: string | null } = { items: [], nextBefore: null };
    const deadline = Date.now() + 10_000;
    while (page.items.length < expected.length && Date.now() < deadline) {
      page = (await request<typeof page>(url, 'GET', '/audit', { token })).body;
      if (page.items.length < expected.length) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(page.items.map((e) => [e.action, e.outcome])).toEqual(expected);
    const [unregistered, registered, , , , , signedUp] = page.items;
    expect(unregistered).toMatchObject({ deviceName: 'lamp', deviceId: reg.deviceId, requestId: 'req-delete' });
    // A request that sent no X-Request-Id gets a fresh one, which the trail records.
    expect(registered).toMatchObject({ deviceName: 'lamp', deviceId: reg.deviceId, requestId: expect.any(String) });
    expect(registered.requestId).not.toBe('req-delete');
    expect(signedUp.requestId).toBe('req-signup');
    for (const entry of page.items) {
      expect(entry.sourceAddress).toMatch(/127\.0\.0\.1/);
      expect(Date.parse(entry.at)).not.toBeNaN();
    }
    const text = JSON.stringify(page);
    for (const secret of [
      password,
      'wrong-password-1',
      token,
      rotated.body.secret,
      legacy.body.secret,
      reg.privateKey,
    ]) {
      expect(text).not.toContain(secret);
    }

    // Paging: the same entries, two at a time.
    const first = (await request<typeof page>(url, 'GET', '/audit?limit=2', { token })).body;
    const second = (await request<typeof page>(url, 'GET', `/audit?limit=2&before=${first.nextBefore}`, { token }))
      .body;
    expect([...first.items, ...second.items].map((e) => e.id)).toEqual(page.items.slice(0, 4).map((e) => e.id));

    // Another user sees only their own trail.
    const other = uniqueName('other');
    await request(url, 'POST', '/auth/signup', { body: { username: other, password } });
    const otherToken = (
      await request<{ accessToken: string }>(url, 'POST', '/auth/login', { body: { username: other, password } })
    ).body.accessToken;
    let theirs: Entry[] = [];
    const until = Date.now() + 10_000;
    while (theirs.length < 2 && Date.now() < until) {
      theirs = (await request<{ items: Entry[] }>(url, 'GET', '/audit', { token: otherToken })).body.items;
    }
    expect(theirs.map((e) => e.action)).toEqual(['user.logged_in', 'user.signed_up']);
    expect(theirs.every((e) => e.userId !== page.items[0].userId)).toBe(true);
    expect((await request(url, 'GET', '/audit')).status).toBe(401);
  });
});
