import { PageSize } from '../../../infrastructure/page-size';
import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { AUDIT_ACTIONS } from '../../domain/audit-entry';

// In a `.dto.ts` file, so the Swagger CLI plugin documents every field (nest-cli.json's
// dtoFileNameSuffix); it reads no integer type, so `limit` states it.

export class ListAuditRequestDto {
  /** Page size, 1..100 (default 50). */
  @PageSize(100, 50)
  limit?: number;

  /** Only entries older than this id (`nextBefore` of the previous page). */
  @IsOptional()
  @Matches(/^[0-9a-f]{24}$/, { message: 'before must be an audit entry id' })
  before?: string;
}

export class AuditEntryResponseDto {
  id: string;
  userId: string;
  @ApiProperty({ enum: AUDIT_ACTIONS })
  action: string;
  /** `OK` or the error code (e.g. `INVALID_CREDENTIALS`). */
  outcome: string;
  at: string;
  /** The client's address as the gateway saw it. */
  sourceAddress: string | null;
  /** The `X-Request-Id` the client sent, if any. */
  requestId: string | null;
  deviceName?: string;
  deviceId?: string;
}

export class AuditPageResponseDto {
  /** Newest first. */
  items: AuditEntryResponseDto[];
  nextBefore: string | null;
}
