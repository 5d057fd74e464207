import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiConflictResponse, ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../../infrastructure/error-response.dto';
import { ApiDatabaseUnavailableResponse } from '../../../infrastructure/mongo-errors';
import { SignUpCommand } from './sign-up.command';
import { SignUpRequestDto } from './sign-up.request.dto';

@ApiTags('auth')
@ApiDatabaseUnavailableResponse()
@Controller('auth')
export class SignUpHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Create an account. */
  @Post('signup')
  @HttpCode(HttpStatus.CREATED)
  @ApiCreatedResponse({ description: 'Account created' })
  @ApiConflictResponse({ description: 'USERNAME_TAKEN', type: ErrorResponseDto })
  async signUp(@Body() body: SignUpRequestDto): Promise<void> {
    await this.commandBus.execute(new SignUpCommand(body.username, body.password));
  }
}
