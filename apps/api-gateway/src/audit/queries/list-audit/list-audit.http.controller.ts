import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../../auth/jwt-auth.guard';
import { AUTH_ERRORS, ApiErrors, DATABASE_ERRORS, PARAM_ERRORS } from '../../../infrastructure/api-errors';
import { AuditPageResponseDto, ListAuditRequestDto } from './list-audit.dto';
import { ListAuditQuery } from './list-audit.query';

@ApiTags('audit')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('audit')
export class ListAuditHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  /** Your account's audit trail: sign-up, logins (also failed ones), legacy-secret rotation, device registration and unregistration. */
  @Get()
  @ApiOkResponse({ type: AuditPageResponseDto })
  @ApiErrors(AUTH_ERRORS, PARAM_ERRORS, DATABASE_ERRORS)
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
