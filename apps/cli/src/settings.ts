/**
 * Which gateway to talk to and which CA to trust, from flags, environment and
 * the saved session. Reads the CA file; nothing else.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { StoredSession } from './config-store';
import { UsageError } from './errors';

export const DEFAULT_URL = 'https://localhost:8443';

type Env = Readonly<Record<string, string | undefined>>;

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** `https://host:port[/prefix]` without a trailing slash; a UsageError for anything else. */
export function normalizeUrl(value: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${source} is not a URL: "${value}" (expected e.g. ${DEFAULT_URL})`);
  }
  if (url.protocol !== 'https:') {
    throw new UsageError(`${source} must be an https:// URL, got "${value}"`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new UsageError(`${source} must not contain a query, fragment or credentials: "${value}"`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/** `--url`, else `IOTCLOUD_URL`, else the URL of the saved session, else https://localhost:8443. */
export function resolveUrl(flag: string | undefined, env: Env, session: StoredSession | undefined): string {
  if (flag !== undefined) return normalizeUrl(flag, '--url');
  const fromEnv = nonEmpty(env.IOTCLOUD_URL);
  if (fromEnv !== undefined) return normalizeUrl(fromEnv, 'IOTCLOUD_URL');
  if (session !== undefined) return normalizeUrl(session.url, 'the saved session URL');
  return DEFAULT_URL;
}

/**
 * Where the platform CA is looked for when neither --ca nor IOTCLOUD_CA is given:
 * `certs/rootca.pem` of the repository (3 levels up from apps/cli/src, and 6 from
 * dist/apps/cli/apps/cli/src once built), then of the working directory.
 */
export function defaultCaCandidates(moduleDir: string, cwd: string): string[] {
  const source = resolve(moduleDir, '..', '..', '..');
  const root =
    basename(source) === 'cli' && basename(dirname(source)) === 'apps' ? resolve(source, '..', '..', '..') : source;
  const candidates = [resolve(root, 'certs', 'rootca.pem'), resolve(cwd, 'certs', 'rootca.pem')];
  return [...new Set(candidates)];
}

export interface TrustSettings {
  /** PEM to trust; undefined = the system CA store. */
  ca?: Buffer;
  caFile?: string;
}

/** `--ca`, else `IOTCLOUD_CA`, else the first default candidate that exists, else the system store. */
export function resolveCa(
  flag: string | undefined,
  env: Env,
  candidates: readonly string[],
  read: (path: string) => Buffer = (path) => readFileSync(path),
  exists: (path: string) => boolean = existsSync,
  cwd: string = process.cwd(),
): TrustSettings {
  const explicit = flag ?? nonEmpty(env.IOTCLOUD_CA);
  if (explicit !== undefined) {
    const source = flag !== undefined ? '--ca' : 'IOTCLOUD_CA';
    const caFile = resolve(cwd, explicit);
    let ca: Buffer;
    try {
      ca = read(caFile);
    } catch (error) {
      throw new UsageError(`cannot read the CA file ${caFile} (from ${source}): ${(error as Error).message}`);
    }
    if (!ca.toString('utf8').includes('-----BEGIN CERTIFICATE-----')) {
      throw new UsageError(`${caFile} (from ${source}) holds no PEM certificate`);
    }
    return { ca, caFile };
  }
  for (const candidate of candidates) {
    if (exists(candidate)) return { ca: read(candidate), caFile: candidate };
  }
  return {};
}
