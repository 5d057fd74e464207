/**
 * @app/pki: the platform's X.509 certificate authority. Owns the certs
 * directory (root CA and the server certificate shared by the broker and the
 * HTTPS gateway) and the issuance of device client certificates, from a
 * platform-generated key or from a device's CSR. Nothing else should create
 * or sign certificates.
 */
export type { CertificateAuthority, DeviceKeyType, IssuedCertificate } from './pki.types';
export {
  CertificateAuthorityInvalidError,
  CertificateAuthorityMissingError,
  InvalidCertificateError,
  InvalidCsrError,
  WeakKeyError,
} from './pki.errors';
export { PKI_FILE_NAMES, ensurePkiFiles } from './pki-files';
export { createCertificateAuthority, loadCertificateAuthority } from './certificate-authority';
export { DEFAULT_DEVICE_VALIDITY_DAYS, issueDeviceCertificate, signCertificateRequest } from './device-certificates';
export { certificateFingerprint } from './fingerprint';
export {
  ensureServiceCertificates,
  loadServiceTls,
  serviceBrokerUsername,
  serviceCertificateFiles,
  serviceCommonName,
} from './service-certificates';
