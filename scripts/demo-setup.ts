/**
 * Prepares the demo of `npm start`: a demo user and a registered demo device
 * whose registration file (certificate and private key) is kept in .local/demo,
 * so the simulator can run it. Idempotent: reuses both while they are valid.
 *
 *   ts-node scripts/demo-setup.ts   → prints the registration file's path
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const DEVICE_NAME = 'demo-lamp';

interface Reply {
  status: number;
  body: unknown;
}

function fail(message: string): never {
  process.stderr.write(`[demo] error: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  try {
    process.loadEnvFile(path.join(ROOT, '.env'));
  } catch {
    fail('.env is missing: run `npm run setup`');
  }
  const username = process.env.DEMO_USER || 'demo';
  const password = process.env.DEMO_PASSWORD || fail('DEMO_PASSWORD is not set: run `npm run setup`');
  const port = process.env.PORT || '8443';
  const agent = new https.Agent({
    ca: readFileSync(path.join(ROOT, process.env.CERTS_DIR || 'certs', 'rootca.pem')),
    keepAlive: true,
  });

  const call = (method: string, route: string, body?: unknown, token?: string): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(
        `https://localhost:${port}${route}`,
        {
          method,
          agent,
          headers: {
            ...(data ? { 'content-type': 'application/json' } : {}),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : undefined }),
          );
        },
      );
      req.on('error', reject);
      if (data) req.write(data);
      req.end();
    });

  const signup = await call('POST', '/auth/signup', { username, password });
  if (signup.status !== 201 && signup.status !== 409)
    fail(`sign-up failed: ${signup.status} ${JSON.stringify(signup.body)}`);
  const login = await call('POST', '/auth/login', { username, password });
  if (login.status !== 200)
    fail(`login as ${username} failed (${login.status}); delete the user's data or set DEMO_PASSWORD to its password`);
  const token = (login.body as { accessToken: string }).accessToken;

  const dir = path.join(ROOT, '.local', 'demo');
  const file = path.join(dir, `${DEVICE_NAME}.json`);
  const existing = await call('GET', `/devices/${DEVICE_NAME}`, undefined, token);
  if (existsSync(file) && existing.status === 200) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { deviceId: string };
    if (saved.deviceId === (existing.body as { deviceId: string }).deviceId) {
      process.stdout.write(`${file}\n`);
      return;
    }
  }
  // The private key of an earlier registration is gone (never stored): register anew.
  if (existing.status === 200) await call('DELETE', `/devices/${DEVICE_NAME}`, undefined, token);
  const registered = await call('POST', '/devices', { name: DEVICE_NAME }, token);
  if (registered.status !== 201)
    fail(`registering ${DEVICE_NAME} failed: ${registered.status} ${JSON.stringify(registered.body)}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(registered.body, null, 2), { mode: 0o600 });
  process.stdout.write(`${file}\n`);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
