import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors, BODY_ERRORS, DATABASE_ERRORS } from '../../../infrastructure/api-errors';
import { SignUpCommand } from './sign-up.command';
import { SignUpRequestDto } from './sign-up.request.dto';

@ApiTags('auth')
@Controller('auth')
export class SignUpHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Create an account. */
  @Post('signup')
  @HttpCode(HttpStatus.CREATED)
  @ApiCreatedResponse({ description: 'Account created' })
  @ApiErrors(DATABASE_ERRORS, BODY_ERRORS, { 400: ['INVALID_USERNAME', 'WEAK_PASSWORD'], 409: ['USERNAME_TAKEN'] })
  async signUp(@Body() body: SignUpRequestDto): Promise<void> {
    await this.commandBus.execute(new SignUpCommand(body.username, body.password));
  }
}
