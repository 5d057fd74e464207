import { DeviceResponseDto } from '../../device.response.dto';

export class RegisterDeviceResponseDto extends DeviceResponseDto {
  /** PEM private key, only when the platform generated it. Shown this once and never stored: save it now. */
  privateKey?: string;
  /** PEM of the platform CA, to verify the broker's certificate. */
  caCertificate: string;
}
