import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiProperty,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../../auth/jwt-auth.guard';
import { ErrorResponseDto } from '../../../infrastructure/error-response.dto';
import { AUDIT_ACTIONS } from '../../domain/audit-entry';
import { ListAuditQuery } from './list-audit.query';

export class ListAuditRequestDto {
  /** Page size, 1..100 (default 50). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
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

@ApiTags('audit')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('audit')
export class ListAuditHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  /** Your account's audit trail: sign-up, logins (also failed ones), legacy-secret rotation, device registration and unregistration. */
  @Get()
  @ApiOkResponse({ type: AuditPageResponseDto })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED', type: ErrorResponseDto })
  @ApiUnauthorizedResponse({ description: 'UNAUTHORIZED', type: ErrorResponseDto })
  async list(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: ListAuditRequestDto,
  ): Promise<AuditPageResponseDto> {
    const page = await this.queryBus.execute(new ListAuditQuery(user.userId, query.limit ?? 50, query.before));
    return {
      items: page.items.map((entry) => ({ ...entry, at: entry.at.toISOString() })),
      nextBefore: page.nextBefore,
    };
  }
}
