import { createPrivateKey, KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createCertificateAuthority, loadCertificateAuthority } from './certificate-authority';
import { caContext } from './internal/ca-context';
import { contentOf, DerError, readCertificate, readChildren, readTopLevel, Tag } from './internal/der';
import { formatIpAddress, ServerNames, serverNames } from './internal/host-names';
import { issueEndEntityCertificate } from './internal/issue';
import { DAY, generateKeys } from './internal/keys';
import { Oid } from './internal/x509';
import { PKI_FILE_NAMES } from './pki-file-names';
import { CertificateAuthorityInvalidError } from './pki.errors';
import type { CertificateAuthority } from './pki.types';

export { PKI_FILE_NAMES } from './pki-file-names';

const KEY_MODE = 0o600;
const CERT_MODE = 0o644;
const SERVER_VALIDITY_DAYS = 730;
/** A server certificate this close to expiry is re-issued. */
const SERVER_RENEW_BEFORE = 30 * DAY;
/** Warn this long before the root CA expires: replacing it means re-provisioning every device. */
const CA_WARN_BEFORE = 365 * DAY;

const LOCK_FILE = '.pki.lock';
const LOCK_STALE_MS = 30_000;
const LOCK_TIMEOUT_MS = 60_000;
const LOCK_POLL_MS = 100;

/** Duck-typed: errors from node core are not `instanceof Error` inside Jest's sandbox. */
function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Writes through a temporary file and a rename, so a reader (the broker, a
 * second process) never sees half a PEM. The mode is set at creation and
 * again with chmod, because the process umask can only narrow it.
 */
async function writeFileAtomic(path: string, contents: string, mode: number): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, 'wx', mode);
    try {
      await handle.writeFile(contents, 'utf8');
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Serializes ensurePkiFiles between processes sharing the directory (several
 * services or test workers starting at once must not each create a CA).
 */
async function withDirectoryLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const lockPath = join(dir, LOCK_FILE);
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', KEY_MODE);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
      const lock = await stat(lockPath).catch(() => undefined);
      if (lock && Date.now() - lock.mtimeMs > LOCK_STALE_MS) {
        await rm(lockPath, { force: true }); // left behind by a crashed run
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${lockPath}; delete it if no other process is creating certificates`, {
          cause: error,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockPath, { force: true });
  }
}

interface CertificateNames {
  readonly dns: readonly string[];
  readonly ip: readonly Buffer[];
}

function subjectAltNamesOf(certificate: X509Certificate): CertificateNames {
  const der = certificate.raw;
  const extension = readCertificate(der).extensions.find((ext) => ext.oid === Oid.subjectAltName);
  if (!extension) return { dns: [], ip: [] };
  const value = extension.value;
  const dns: string[] = [];
  const ip: Buffer[] = [];
  for (const name of readChildren(value, readTopLevel(value, Tag.SEQUENCE))) {
    if (name.tag === Tag.contextPrimitive(2)) dns.push(contentOf(value, name).toString('latin1').toLowerCase());
    if (name.tag === Tag.contextPrimitive(7)) ip.push(Buffer.from(contentOf(value, name)));
  }
  return { dns, ip };
}

/** Why the server certificate in `dir` must be (re-)issued, or undefined if it can be kept. */
async function serverCertificateProblem(
  dir: string,
  ca: CertificateAuthority,
  names: ServerNames,
): Promise<string | undefined> {
  const read = async (name: string): Promise<string | undefined> => {
    try {
      return await readFile(join(dir, name), 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  };
  const certificatePem = await read(PKI_FILE_NAMES.serverCert);
  const keyPem = await read(PKI_FILE_NAMES.serverKey);
  if (certificatePem === undefined && keyPem === undefined) return 'missing';
  if (certificatePem === undefined) return `${PKI_FILE_NAMES.serverCert} was missing`;
  if (keyPem === undefined) return `${PKI_FILE_NAMES.serverKey} was missing`;

  let certificate: X509Certificate;
  let key: KeyObject;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch {
    return 'the old certificate was unreadable';
  }
  try {
    key = createPrivateKey(keyPem);
  } catch {
    return 'the old private key was unreadable';
  }
  if (!certificate.checkPrivateKey(key)) return 'the old private key did not match the certificate';
  const caCertificate = caContext(ca).certificate;
  if (!certificate.checkIssued(caCertificate) || !certificate.verify(caCertificate.publicKey)) {
    return 'the old certificate was not issued by the current CA';
  }
  const notAfter = new Date(certificate.validTo);
  if (notAfter.getTime() - Date.now() < SERVER_RENEW_BEFORE) {
    return `the old certificate expires ${notAfter.toISOString()}`;
  }
  const usages = certificate.keyUsage ?? [];
  if (!usages.includes(Oid.serverAuth) || !usages.includes(Oid.clientAuth)) {
    return 'the old certificate lacked serverAuth/clientAuth extended key usage';
  }
  let present: CertificateNames;
  try {
    present = subjectAltNamesOf(certificate);
  } catch (error) {
    if (error instanceof DerError) return 'the old certificate had unreadable SANs';
    throw error;
  }
  const missing = [
    ...names.dns.filter((name) => !present.dns.includes(name)),
    ...names.ip.filter((address) => !present.ip.some((known) => known.equals(address))).map(formatIpAddress),
  ];
  if (missing.length > 0) return `SANs did not cover ${missing.join(', ')}`;
  return undefined;
}

async function issueServerCertificate(
  ca: CertificateAuthority,
  names: ServerNames,
): Promise<{ certificatePem: string; privateKeyPem: string }> {
  const keys = await generateKeys('rsa');
  const issued = await issueEndEntityCertificate({
    ca,
    commonName: names.commonName,
    subjectPublicKeyInfo: keys.subjectPublicKeyInfo,
    keyType: 'rsa',
    validityDays: SERVER_VALIDITY_DAYS,
    // clientAuth too: the same pair is used by services that connect to the broker with TLS.
    extendedKeyUsage: [Oid.serverAuth, Oid.clientAuth],
    subjectAltNames: { dns: names.dns, ip: names.ip },
  });
  return { certificatePem: issued.certificatePem, privateKeyPem: keys.privateKeyPem };
}

/**
 * Makes sure `dir` holds the root CA and the server certificate (the broker
 * and the HTTPS gateway both use server_cert.pem / server_pkey.pem).
 *
 * Idempotent: files that are present and valid are kept. The CA is only ever
 * created when both of its files are absent; a broken, expired or half-present
 * CA raises CertificateAuthorityInvalidError instead (replacing it would
 * invalidate every device certificate). The server certificate is re-issued
 * from the existing CA when it is missing, unreadable, not from this CA, due
 * to expire within 30 days, or its SANs no longer cover the requested host
 * names (localhost, 127.0.0.1 and ::1 are always included).
 *
 * Keys are written with mode 0600, certificates 0644. Returns the paths
 * (dir joined with the file name) created and kept; `log` gets one line per
 * file ("created <path>" / "kept <path>", with a reason when useful).
 */
export async function ensurePkiFiles(options: {
  dir: string;
  hostNames?: string[];
  log?: (line: string) => void;
}): Promise<{ created: string[]; kept: string[] }> {
  const log = options.log ?? ((): void => undefined);
  const names = serverNames(options.hostNames ?? []); // validate before touching the disk
  const { dir } = options;
  const path = (name: string): string => join(dir, name);
  await mkdir(dir, { recursive: true });

  return withDirectoryLock(dir, async () => {
    const created: string[] = [];
    const kept: string[] = [];
    const record = (list: string[], file: string, note?: string): void => {
      list.push(file);
      log(`${list === created ? 'created' : 'kept'} ${file}${note ? ` (${note})` : ''}`);
    };

    const caCertPath = path(PKI_FILE_NAMES.caCert);
    const caKeyPath = path(PKI_FILE_NAMES.caKey);
    const [hasCaCert, hasCaKey] = await Promise.all([exists(caCertPath), exists(caKeyPath)]);
    let ca: CertificateAuthority;
    if (!hasCaCert && !hasCaKey) {
      ca = await createCertificateAuthority();
      await writeFileAtomic(caKeyPath, ca.privateKeyPem, KEY_MODE);
      await writeFileAtomic(caCertPath, ca.certificatePem, CERT_MODE);
      record(created, caCertPath, 'new root CA');
      record(created, caKeyPath);
    } else if (hasCaCert && hasCaKey) {
      ca = await loadCertificateAuthority(dir);
      const notAfter = caContext(ca).notAfter;
      if (notAfter.getTime() <= Date.now()) {
        throw new CertificateAuthorityInvalidError(
          `${caCertPath} expired on ${notAfter.toISOString()}. Move ${PKI_FILE_NAMES.caCert} and ${PKI_FILE_NAMES.caKey} ` +
            'away and run again to create a new CA; every device certificate must then be re-issued.',
          { dir },
        );
      }
      record(kept, caCertPath, `valid until ${notAfter.toISOString()}`);
      record(kept, caKeyPath);
      if (notAfter.getTime() - Date.now() < CA_WARN_BEFORE) {
        log(`warning: the root CA expires on ${notAfter.toISOString()}; plan the re-provisioning of devices`);
      }
    } else {
      const [present, missing] = hasCaCert
        ? [PKI_FILE_NAMES.caCert, PKI_FILE_NAMES.caKey]
        : [PKI_FILE_NAMES.caKey, PKI_FILE_NAMES.caCert];
      throw new CertificateAuthorityInvalidError(
        `${dir} holds ${present} but not ${missing}. Refusing to create a new CA over it: restore ${missing}, ` +
          'or delete both files to start a new CA (every device certificate will then have to be re-issued).',
        { dir, missing },
      );
    }

    const serverCertPath = path(PKI_FILE_NAMES.serverCert);
    const serverKeyPath = path(PKI_FILE_NAMES.serverKey);
    const problem = await serverCertificateProblem(dir, ca, names);
    if (problem === undefined) {
      record(kept, serverCertPath);
      record(kept, serverKeyPath);
    } else {
      const server = await issueServerCertificate(ca, names);
      await writeFileAtomic(serverKeyPath, server.privateKeyPem, KEY_MODE);
      await writeFileAtomic(serverCertPath, server.certificatePem, CERT_MODE);
      const sans = [...names.dns, ...names.ip.map(formatIpAddress)].join(', ');
      record(created, serverCertPath, `${problem === 'missing' ? '' : `re-issued because ${problem}; `}SANs: ${sans}`);
      record(created, serverKeyPath);
    }
    return { created, kept };
  });
}
