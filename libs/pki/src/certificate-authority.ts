import { readFile } from 'node:fs/promises';
import { createPrivateKey } from 'node:crypto';
import { join } from 'node:path';
import { caContext } from './internal/ca-context';
import { derToPem } from './internal/der';
import { generateKeys, randomSerial, validityPeriod } from './internal/keys';
import { buildCertificate, commonNameDer, keyIdentifier, signerFor } from './internal/x509';
import { PKI_FILE_NAMES } from './pki-file-names';
import { CertificateAuthorityMissingError } from './pki.errors';
import type { CertificateAuthority } from './pki.types';

export const ROOT_CA_COMMON_NAME = 'IoTCloud Root CA';
const ROOT_CA_VALIDITY_DAYS = 3650;
/** 2048 rather than 3072: FT900-class firmware verifies this chain on every TLS handshake. */
const ROOT_CA_KEY_BITS = 2048;

/**
 * Creates a new self-signed root CA in memory (RSA-2048, ~10 years,
 * CA:true critical, keyCertSign + cRLSign). ensurePkiFiles uses it to
 * bootstrap the certs directory; tests use it for a throwaway CA.
 */
export async function createCertificateAuthority(
  options: { commonName?: string; validityDays?: number } = {},
): Promise<CertificateAuthority> {
  const keys = await generateKeys('rsa', ROOT_CA_KEY_BITS);
  const signer = signerFor(createPrivateKey(keys.privateKeyPem));
  if (!signer) throw new Error('unreachable: RSA keys can always sign');
  const name = commonNameDer(options.commonName ?? ROOT_CA_COMMON_NAME);
  const der = await buildCertificate(
    {
      serial: randomSerial().der,
      issuer: name,
      subject: name,
      subjectPublicKeyInfo: keys.subjectPublicKeyInfo,
      ...validityPeriod(options.validityDays ?? ROOT_CA_VALIDITY_DAYS),
      isCa: true,
      keyUsage: ['keyCertSign', 'cRLSign'],
      subjectKeyIdentifier: keyIdentifier(keys.subjectPublicKeyInfo),
    },
    signer,
  );
  return { certificatePem: derToPem('CERTIFICATE', der), privateKeyPem: keys.privateKeyPem };
}

/** Duck-typed: errors from node core are not `instanceof Error` inside Jest's sandbox. */
function isMissingFile(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT';
}

/**
 * Reads rootca.pem and rootca_pkey.pem from `dir` and checks that they form a
 * usable CA. Throws CertificateAuthorityMissingError if either file is
 * missing, CertificateAuthorityInvalidError if they cannot be used.
 */
export async function loadCertificateAuthority(dir: string): Promise<CertificateAuthority> {
  const read = async (name: string): Promise<string> => {
    try {
      return await readFile(join(dir, name), 'utf8');
    } catch (error) {
      if (!isMissingFile(error)) throw error;
      throw new CertificateAuthorityMissingError(
        `No certificate authority: ${join(dir, name)} does not exist. Run \`npm run certs\` to create the CA and server certificate.`,
        { dir, file: name },
      );
    }
  };
  const [certificatePem, privateKeyPem] = await Promise.all([read(PKI_FILE_NAMES.caCert), read(PKI_FILE_NAMES.caKey)]);
  const ca: CertificateAuthority = { certificatePem, privateKeyPem };
  caContext(ca); // validate now (and warm the cache) rather than on the first issuance
  return ca;
}
