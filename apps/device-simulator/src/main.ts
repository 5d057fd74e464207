/**
 * Device simulator entry point:
 *   npm run simulator -- --device my-device.json
 * See apps/device-simulator/README.md, or run with --help.
 */
import { runCli } from './cli';

const shutdown = new AbortController();
let signals = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  signals += 1;
  if (signals === 1) {
    process.stderr.write(`\n${signal}: disconnecting (press Ctrl-C again to quit at once)\n`);
    shutdown.abort();
  } else {
    process.exit(130);
  }
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

void runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, shutdownSignal: shutdown.signal })
  .catch((error: unknown) => {
    process.stderr.write(`device-simulator: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  })
  .then((code) => {
    process.exitCode = code;
    // Everything is closed by now; do not let a straggling socket keep the process alive.
    setTimeout(() => process.exit(code), 1000).unref();
  });
