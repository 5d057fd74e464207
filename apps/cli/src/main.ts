#!/usr/bin/env node
/**
 * iotcloud: command-line client of the IoTCloud REST API.
 * Run: npx ts-node -r tsconfig-paths/register --transpile-only apps/cli/src/main.ts --help
 */
import { run } from './cli';

// `iotcloud devices list | head -1` closes stdout early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

run(process.argv.slice(2), {
  env: process.env,
  // `npm run cli` runs in the package root; INIT_CWD is where the user typed it (for --out, --csr, --ca).
  cwd: process.env.INIT_CWD || process.cwd(),
  moduleDir: __dirname,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // run() reports every error itself; this is a last resort.
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
