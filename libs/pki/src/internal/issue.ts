import { createHash } from 'node:crypto';
import type { CertificateAuthority, DeviceKeyType, IssuedCertificate } from '../pki.types';
import { signingCaContext } from './ca-context';
import { derToPem } from './der';
import { randomSerial, validityPeriod } from './keys';
import { buildCertificate, commonNameDer, KeyUsage, keyIdentifier, SubjectAltNames } from './x509';

export interface EndEntityRequest {
  readonly ca: CertificateAuthority;
  readonly commonName: string;
  readonly subjectPublicKeyInfo: Buffer;
  readonly keyType: DeviceKeyType;
  readonly validityDays: number;
  /** EKU OIDs. */
  readonly extendedKeyUsage: readonly string[];
  readonly subjectAltNames?: SubjectAltNames;
  /** Also put the certificate's own serial number in its subject (device certificates). */
  readonly serialInSubject?: boolean;
}

export function sha256Hex(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/**
 * Signs an end-entity certificate (CA:false) for the given public key.
 * keyEncipherment only for RSA: an EC key cannot encrypt.
 */
export async function issueEndEntityCertificate(request: EndEntityRequest): Promise<IssuedCertificate> {
  const ca = signingCaContext(request.ca);
  const serial = randomSerial();
  const { notBefore, notAfter } = validityPeriod(request.validityDays);
  const keyUsage: KeyUsage[] =
    request.keyType === 'rsa' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'];
  const der = await buildCertificate(
    {
      serial: serial.der,
      issuer: ca.subject,
      subject: commonNameDer(request.commonName, request.serialInSubject ? serial.hex : undefined),
      subjectPublicKeyInfo: request.subjectPublicKeyInfo,
      notBefore,
      notAfter,
      isCa: false,
      keyUsage,
      extendedKeyUsage: request.extendedKeyUsage,
      subjectAltNames: request.subjectAltNames,
      subjectKeyIdentifier: keyIdentifier(request.subjectPublicKeyInfo),
      authorityKeyIdentifier: ca.keyIdentifier,
    },
    ca.signer,
  );
  return {
    certificatePem: derToPem('CERTIFICATE', der),
    serialNumber: serial.hex,
    fingerprintSha256: sha256Hex(der),
    notBefore,
    notAfter,
  };
}
