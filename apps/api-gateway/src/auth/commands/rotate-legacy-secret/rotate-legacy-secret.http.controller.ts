import { Controller, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../../infrastructure/error-response.dto';
import { ApiDatabaseUnavailableResponse } from '../../../infrastructure/mongo-errors';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../jwt-auth.guard';
import { RotateLegacySecretCommand } from './rotate-legacy-secret.command';

export class LegacySecretResponseDto {
  /** The new secret for the libpyiotcloud-compatible routes; the old one stops working now. */
  secret: string;
}

@ApiTags('auth')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@ApiDatabaseUnavailableResponse()
@Controller('auth')
export class RotateLegacySecretHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Rotate your legacy (libpyiotcloud) secret. */
  @Post('legacy-secret/rotate')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: LegacySecretResponseDto })
  @ApiUnauthorizedResponse({ description: 'UNAUTHORIZED', type: ErrorResponseDto })
  rotate(@CurrentUser() user: AuthenticatedUser): Promise<LegacySecretResponseDto> {
    return this.commandBus.execute(new RotateLegacySecretCommand(user.userId));
  }
}
