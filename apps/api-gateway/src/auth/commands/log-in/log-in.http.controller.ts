import { Body, Controller, HttpCode, HttpStatus, Ip, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../../infrastructure/error-response.dto';
import { ApiDatabaseUnavailableResponse } from '../../../infrastructure/mongo-errors';
import { LogInCommand } from './log-in.command';
import { LogInRequestDto } from './log-in.request.dto';
import { LogInResponseDto } from './log-in.response.dto';

@ApiTags('auth')
@ApiDatabaseUnavailableResponse()
@Controller('auth')
export class LogInHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Exchange a username and password for an access token. */
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: LogInResponseDto })
  @ApiUnauthorizedResponse({ description: 'INVALID_CREDENTIALS', type: ErrorResponseDto })
  @ApiTooManyRequestsResponse({ description: 'TOO_MANY_LOGIN_ATTEMPTS (see Retry-After)', type: ErrorResponseDto })
  logIn(@Body() body: LogInRequestDto, @Ip() ip: string): Promise<LogInResponseDto> {
    return this.commandBus.execute(new LogInCommand(body.username, body.password, ip));
  }
}
