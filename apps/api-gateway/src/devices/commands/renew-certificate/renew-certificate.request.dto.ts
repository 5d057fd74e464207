import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { MAX_RENEWAL_GRACE_SECONDS } from '../../domain/device';

/** Optional fields may be left out, but not sent as null (IsOptional would let null through). */
const present = (_: object, value: unknown): boolean => value !== undefined;

/** The new key: as at registration, a platform-generated one (`keyType`) or the device's own (`csr`). */
export class RenewCertificateRequestDto {
  /** Key the platform generates when no CSR is given: `rsa` (RSA-2048) or `ec` (ECDSA P-256). */
  @ValidateIf(present)
  @IsIn(['rsa', 'ec'])
  keyType?: 'rsa' | 'ec';

  /** PEM certificate signing request made on the device, so its new private key never leaves it. */
  @ValidateIf(present)
  @IsString()
  @MaxLength(16384)
  csr?: string;
}

export class RenewCertificateQueryDto {
  /**
   * How long the old certificate keeps working, so a device in the field can switch over
   * (0 to 604800 = 7 days). Default 0: it stops working at once.
   */
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: MAX_RENEWAL_GRACE_SECONDS })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_RENEWAL_GRACE_SECONDS)
  graceSeconds?: number;
}
