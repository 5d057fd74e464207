import { IsIn, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { DEVICE_NAME_PATTERN } from '../../domain/device';

export class RegisterDeviceRequestDto {
  /** Unique among your devices: 1-64 characters of letters, digits, `_` and `-`. */
  @IsString()
  @Matches(DEVICE_NAME_PATTERN, { message: 'name must be 1-64 characters of letters, digits, _ and -' })
  name: string;

  /**
   * Key the platform generates for the device when no CSR is given:
   * `rsa` (RSA-2048, what FT900 firmware uses) or `ec` (ECDSA P-256).
   */
  @IsOptional()
  @IsIn(['rsa', 'ec'])
  keyType?: 'rsa' | 'ec';

  /** PEM certificate signing request made on the device, so its private key never leaves it. */
  @IsOptional()
  @IsString()
  @MaxLength(16384)
  csr?: string;

  /**
   * Up to 16 tags, e.g. `{"site": "north"}`: keys 1-64 letters, digits, `_ . -`; values 1-128
   * letters, digits, `_ . : @ + -`. Filter `GET /devices` by them (`?tag=site=north`).
   */
  @IsOptional()
  @IsObject()
  tags?: Record<string, string>;
}
