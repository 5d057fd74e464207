import { DeviceResponseDto } from '../../device.response.dto';

export class RegisterDeviceResponseDto extends DeviceResponseDto {
  /** PEM private key, only when the platform generated it. Shown this once and never stored: save it now. */
  privateKey?: string;
  /** PEM of the platform CA, to verify the broker's certificate. */
  caCertificate: string;
  /**
   * Broker login for firmware that always sends credentials: username = `deviceId`, this password.
   * Shown this once and stored only as a hash. The client certificate is still required.
   */
  brokerPassword: string;
}
