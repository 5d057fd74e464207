import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, writeFile, chmod, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { issueEndEntityCertificate } from './internal/issue';
import { generateKeys } from './internal/keys';
import { Oid } from './internal/x509';
import type { CertificateAuthority } from './pki.types';

const SERVICE_VALIDITY_DAYS = 730;
const RENEW_BEFORE_MS = 30 * 86_400_000;

/** File names of a service's TLS client certificate and key in the certs directory. */
export function serviceCertificateFiles(service: string): { cert: string; key: string } {
  return { cert: `service_${service}_cert.pem`, key: `service_${service}_pkey.pem` };
}

/**
 * The subject CN of a service's client certificate, `svc.<service>`: it can never be
 * a device id (32 hex). Its subject holds this CN and nothing else (no serial, unlike
 * a device's), so the broker username it logs in as is fixed: see serviceBrokerUsername.
 */
export function serviceCommonName(service: string): string {
  return `svc.${service}`;
}

/**
 * The name of a service's broker account: what RabbitMQ derives from its certificate
 * with `ssl_cert_login_from = distinguished_name`, i.e. its whole subject,
 * `CN=svc.<service>` (infra/broker.sh creates `CN=svc.api-gateway` and
 * `CN=svc.device-command`). The account has no password: the service logs in with
 * SASL EXTERNAL, so its certificate is its only credential.
 */
export function serviceBrokerUsername(service: string): string {
  return `CN=${serviceCommonName(service)}`;
}

async function usable(certPath: string, ca: CertificateAuthority, service: string): Promise<boolean> {
  try {
    const cert = new X509Certificate(await readFile(certPath));
    const caCert = new X509Certificate(ca.certificatePem);
    return (
      cert.verify(caCert.publicKey) &&
      Date.parse(cert.validTo) - Date.now() > RENEW_BEFORE_MS &&
      // One issued with a serial in its subject would log in as another account name.
      cert.subject === serviceBrokerUsername(service)
    );
  } catch {
    return false;
  }
}

/**
 * Gives each of our services (api-gateway, device-command) a TLS client
 * certificate from the platform CA: the only way their broker accounts log in.
 * Idempotent: a valid certificate from this CA is kept.
 */
export async function ensureServiceCertificates(options: {
  dir: string;
  ca: CertificateAuthority;
  services: readonly string[];
  log?: (line: string) => void;
}): Promise<void> {
  for (const service of options.services) {
    const files = serviceCertificateFiles(service);
    const certPath = join(options.dir, files.cert);
    const keyPath = join(options.dir, files.key);
    if (await usable(certPath, options.ca, service)) {
      options.log?.(`kept ${certPath}`);
      continue;
    }
    const keys = await generateKeys('ec');
    const issued = await issueEndEntityCertificate({
      ca: options.ca,
      commonName: serviceCommonName(service),
      subjectPublicKeyInfo: keys.subjectPublicKeyInfo,
      keyType: 'ec',
      validityDays: SERVICE_VALIDITY_DAYS,
      extendedKeyUsage: [Oid.clientAuth],
    });
    await writeFile(`${keyPath}.tmp`, keys.privateKeyPem, { mode: 0o600 });
    await chmod(`${keyPath}.tmp`, 0o600);
    await rename(`${keyPath}.tmp`, keyPath);
    await writeFile(`${certPath}.tmp`, issued.certificatePem, { mode: 0o644 });
    await rename(`${certPath}.tmp`, certPath);
    options.log?.(
      `created ${certPath} (client certificate of ${service}, broker account ${serviceBrokerUsername(service)})`,
    );
  }
}

/** The CA and a service's client certificate and key, read at start-up; a clear error when missing. */
export function loadServiceTls(
  dir: string,
  service: string,
): { caPem: string; clientCertPem: string; clientKeyPem: string } {
  const files = serviceCertificateFiles(service);
  const read = (name: string): string => {
    try {
      return readFileSync(join(dir, name), 'utf8');
    } catch {
      throw new Error(`missing ${join(dir, name)}: run \`npm run certs\``);
    }
  };
  return { caPem: read('rootca.pem'), clientCertPem: read(files.cert), clientKeyPem: read(files.key) };
}
