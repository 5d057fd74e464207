import { TAGS_SCHEMA } from '../../domain/device-tags';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { DEVICE_NAME_MESSAGE } from '../../device-name.param.dto';
import { DEVICE_NAME_PATTERN } from '../../domain/device';

/** Optional fields may be left out, but not sent as null (IsOptional would let null through). */
const present = (_: object, value: unknown): boolean => value !== undefined;

export class RegisterDeviceRequestDto {
  /** Unique among your devices: 1-64 characters of letters, digits, `_` and `-`. */
  @ApiProperty({ pattern: DEVICE_NAME_PATTERN.source })
  @IsString()
  @Matches(DEVICE_NAME_PATTERN, { message: DEVICE_NAME_MESSAGE })
  name: string;

  /**
   * Key the platform generates for the device when no CSR is given:
   * `rsa` (RSA-2048, what FT900 firmware uses) or `ec` (ECDSA P-256).
   */
  @ValidateIf(present)
  @IsIn(['rsa', 'ec'])
  keyType?: 'rsa' | 'ec';

  /** PEM certificate signing request made on the device, so its private key never leaves it. */
  @ValidateIf(present)
  @IsString()
  @MaxLength(16384)
  csr?: string;

  /**
   * Up to 16 tags, e.g. `{"site": "north"}`: keys 1-64 letters, digits, `_ -`; values 1-128
   * letters, digits, `_ . : @ + -`. Filter `GET /devices` by them (`?tag=site=north`).
   */
  @ApiPropertyOptional(TAGS_SCHEMA)
  @ValidateIf(present)
  @IsObject()
  tags?: Record<string, string>;
}
