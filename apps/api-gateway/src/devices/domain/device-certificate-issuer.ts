import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Semaphore } from '@app/common';
import {
  CertificateAuthority,
  DeviceKeyType,
  IssuedCertificate,
  issueDeviceCertificate,
  signCertificateRequest,
} from '@app/pki';
import { GatewayConfig } from '../../config/gateway.config';
import { CERTIFICATE_AUTHORITY } from '../certificate-authority.provider';
import { CertificateFields } from './device';

/** What to certify: a platform-generated key of `keyType`, or the key in the device's CSR. */
export interface KeySource {
  keyType: DeviceKeyType;
  csrPem?: string;
}

/**
 * Issues device certificates for registration and renewal alike: from a platform-generated
 * key (RSA key pairs a few at a time, so the API stays responsive) or from a device's CSR.
 */
@Injectable()
export class DeviceCertificateIssuer {
  private readonly validityDays: number;
  /** Platform-generated RSA keys, a few at a time (EC keys and CSRs cost ~1 ms and need no limit). */
  private readonly rsaKeygen: Semaphore;

  constructor(
    @Inject(CERTIFICATE_AUTHORITY) readonly ca: CertificateAuthority,
    config: ConfigService<GatewayConfig, true>,
  ) {
    this.validityDays = config.get('DEVICE_CERT_VALIDITY_DAYS', { infer: true });
    this.rsaKeygen = new Semaphore(config.get('RSA_KEYGEN_CONCURRENCY', { infer: true }));
  }

  issue(deviceId: string, source: KeySource): Promise<IssuedCertificate> {
    const common = { ca: this.ca, deviceId, validityDays: this.validityDays };
    if (source.csrPem) return signCertificateRequest({ ...common, csrPem: source.csrPem });
    const generate = () => issueDeviceCertificate({ ...common, keyType: source.keyType });
    return source.keyType === 'rsa' ? this.rsaKeygen.run(generate) : generate();
  }
}

/** The registry fields of a newly issued certificate (without any previous one). */
export function certificateFields(issued: IssuedCertificate, source: KeySource): CertificateFields {
  return {
    keyOrigin: source.csrPem ? 'csr' : source.keyType,
    certificatePem: issued.certificatePem,
    certificateSerial: issued.serialNumber,
    certificateFingerprint: issued.fingerprintSha256,
    // @app/pki puts the serial in every device certificate's subject.
    certificateSerialInSubject: true,
    notBefore: issued.notBefore,
    notAfter: issued.notAfter,
  };
}
