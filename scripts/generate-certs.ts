/**
 * Creates the platform's PKI files if they are missing: the root CA
 * (rootca.pem, rootca_pkey.pem) and the server certificate used by the
 * RabbitMQ broker and the HTTPS gateway (server_cert.pem, server_pkey.pem),
 * and the TLS client certificates of our services (service_<name>_cert.pem).
 * Existing valid files are kept; the CA is never replaced.
 *
 *   ts-node -r tsconfig-paths/register scripts/generate-certs.ts [--dir certs] [--host name ...]
 *
 * Host names also come from CERT_HOSTNAMES (comma separated), after the
 * --host ones; the first host name becomes the server certificate's CN.
 * localhost, 127.0.0.1 and ::1 are always in its SANs.
 */
import { resolve } from 'node:path';
import { DomainError } from '@app/common';
import { ensurePkiFiles, ensureServiceCertificates, loadCertificateAuthority } from '@app/pki';

/** Our services: each gets a TLS client certificate, its only credential at the broker. */
const SERVICES = ['api-gateway', 'device-command'] as const;

const USAGE =
  'usage: generate-certs [--dir <directory>] [--host <name or IP> ...]\n' +
  '  --dir   where the PKI files live (default: certs/ at the repository root)\n' +
  '  --host  extra host name or IP for the server certificate (repeatable; also CERT_HOSTNAMES=a,b)';

class UsageError extends Error {}

interface Arguments {
  dir: string;
  hostNames: string[];
  help: boolean;
}

function parseArguments(argv: readonly string[], env: NodeJS.ProcessEnv): Arguments {
  const result: Arguments = { dir: resolve(__dirname, '..', 'certs'), hostNames: [], help: false };
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    if (argument === '--help' || argument === '-h') {
      result.help = true;
      continue;
    }
    const match = /^(--dir|--host)(?:=(.*))?$/.exec(argument);
    if (!match) throw new UsageError(`unknown argument "${argument}"`);
    const value = match[2] ?? argv[++i];
    if (value === undefined || value === '' || (match[2] === undefined && value.startsWith('--'))) {
      throw new UsageError(`${match[1]} needs a value`);
    }
    if (match[1] === '--dir') result.dir = resolve(value);
    else result.hostNames.push(value);
  }
  const fromEnv = (env.CERT_HOSTNAMES ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  result.hostNames.push(...fromEnv);
  return result;
}

async function main(): Promise<void> {
  const args = parseArguments(process.argv.slice(2), process.env);
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const log = (line: string) => console.log(line);
  await ensurePkiFiles({ dir: args.dir, hostNames: args.hostNames, log });
  await ensureServiceCertificates({
    dir: args.dir,
    ca: await loadCertificateAuthority(args.dir),
    services: SERVICES,
    log,
  });
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`generate-certs: ${error.message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof DomainError ? ` [${error.code}]` : '';
  console.error(`generate-certs: failed${code}: ${message}`);
  process.exitCode = 1;
});
