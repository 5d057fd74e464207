/**
 * `npm start` (through infra/platform.sh, which holds the start lock): the whole
 * platform in the foreground. Sets up what is missing, starts the broker and the
 * database (unless already running), builds and runs both apps, creates the demo
 * user and device and runs a simulated board for it, prints the URLs, and on
 * Ctrl-C/SIGTERM (or when an app exits) stops everything it started.
 */
import { AppProcess, Platform, ROOT, logTo, run } from './stack';

const log = logTo('platform');
const platform = new Platform({ build: 'stale', alsoBuild: ['device-simulator'], output: 'inherit', log });
let demo: AppProcess | undefined;
let stopping: Promise<void> | undefined;

function shutdown(code: number): Promise<void> {
  stopping ??= (async () => {
    log('stopping');
    for (const app of [...platform.apps, ...(demo ? [demo] : [])]) app.expectExit();
    await demo?.stop();
    await platform.stop();
    log('stopped everything this command started');
    process.exit(code);
  })();
  return stopping;
}

// A supervisor signals the whole process group, and npm passes the signal on once more:
// a repeat changes nothing, the first one's clean-up goes on until the database is stopped.
process.on('SIGINT', () => void shutdown(130));
process.on('SIGTERM', () => void shutdown(143));
process.on('SIGHUP', () => void shutdown(129));
// A closed terminal must not stop the clean-up half-way.
process.stderr.on('error', () => undefined);
process.stdout.on('error', () => undefined);

function banner(base: string): string {
  const env = process.env;
  const certs = env.CERTS_DIR ?? 'certs';
  const user = env.DEMO_USER ?? 'demo';
  return `
  IoTCloud is up.
    REST API     ${base}
    Swagger UI   ${base}/api/docs
    Health       ${base}/health
    MQTT (TLS)   mqtts://${env.PUBLIC_HOST ?? 'localhost'}:${env.MQTT_PORT ?? '8883'}
    AMQP (TLS)   amqps://${env.PUBLIC_HOST ?? 'localhost'}:${env.AMQP_PORT ?? '5671'}
    CA           ${certs}/rootca.pem   (e.g. curl --cacert ${certs}/rootca.pem ${base}/health)

  Demo: user "${user}" (password ${String(env.DEMO_PASSWORD)}, from .env) owns "demo-lamp", a simulated board now online.
    1. In Swagger UI, POST /auth/login with {"username":"${user}","password":"${String(env.DEMO_PASSWORD)}"},
       then press Authorize and paste the accessToken.
    2. PUT /devices/demo-lamp/gpio/3 with {"value":1}, then GET /devices/demo-lamp/gpio/3.
    Or from the shell: npm run cli -- login ${user} && npm run cli -- demo demo-lamp
  Press Ctrl-C to stop.

`;
}

async function main(): Promise<void> {
  log('starting the broker, the database and the apps');
  await platform.start();
  const health = await platform.healthy(60_000);
  if (health.state !== 'ok') {
    log(`the platform did not become healthy within 60 s; see the logs above (${platform.baseUrl}/health)`);
  } else {
    log('platform is ready');
    // The demo: a user, a registered device, and a simulated board running it.
    const tsNode = `${ROOT}/node_modules/.bin/ts-node`;
    const setup = await run(tsNode, ['--transpile-only', 'scripts/demo-setup.ts'], { captureStdout: true });
    if (setup.code !== 0) throw new Error('demo set-up failed');
    demo = new AppProcess('demo-lamp', 'device-simulator', {
      args: ['--transport', 'mqtt', '--device', setup.stdout.trim()],
      output: 'inherit',
      log,
    }).start();
    process.stderr.write(banner(platform.baseUrl));
  }
  // Stay in the foreground until an app exits or we are told to stop.
  await Promise.race([platform.anyExit(), ...(demo ? [demo.exited] : [])]);
  if (!stopping) {
    log('an app exited; shutting down');
    await shutdown(1);
  }
}

main().catch(async (error: unknown) => {
  if (stopping) return; // interrupted while starting: the signal's clean-up is under way
  log(`error: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
});
