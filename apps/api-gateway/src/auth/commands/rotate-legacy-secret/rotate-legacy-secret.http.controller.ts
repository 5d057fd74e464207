import { Controller, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { AUTH_ERRORS, ApiErrors, DATABASE_ERRORS } from '../../../infrastructure/api-errors';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../jwt-auth.guard';
import { RotateLegacySecretCommand } from './rotate-legacy-secret.command';

export class LegacySecretResponseDto {
  @ApiProperty({
    description: 'The new secret for the libpyiotcloud-compatible routes; the old one stops working now.',
  })
  secret: string;
}

@ApiTags('auth')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('auth')
export class RotateLegacySecretHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Rotate your legacy (libpyiotcloud) secret. */
  @Post('legacy-secret/rotate')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: LegacySecretResponseDto })
  @ApiErrors(DATABASE_ERRORS, AUTH_ERRORS)
  rotate(@CurrentUser() user: AuthenticatedUser): Promise<LegacySecretResponseDto> {
    return this.commandBus.execute(new RotateLegacySecretCommand(user.userId));
  }
}
