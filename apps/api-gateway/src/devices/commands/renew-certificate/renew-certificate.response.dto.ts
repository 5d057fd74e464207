import { DeviceResponseDto } from '../../device.response.dto';

export class RenewCertificateResponseDto extends DeviceResponseDto {
  /** PEM private key of the new certificate, only when the platform generated it. Shown once, never stored. */
  privateKey?: string;
  /** PEM of the platform CA, to verify the broker's certificate. */
  caCertificate: string;
  /** Until when the replaced certificate still works (ISO 8601); absent without `graceSeconds`. */
  previousCertificateValidUntil?: string;
}
