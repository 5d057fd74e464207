import { Body, Controller, HttpCode, HttpStatus, Ip, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors, BODY_ERRORS, errorSchema, DATABASE_ERRORS } from '../../../infrastructure/api-errors';
import { LogInCommand } from './log-in.command';
import { LogInRequestDto } from './log-in.request.dto';
import { LogInResponseDto } from './log-in.response.dto';

@ApiTags('auth')
@Controller('auth')
export class LogInHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Exchange a username and password for an access token. */
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: LogInResponseDto })
  @ApiErrors(DATABASE_ERRORS, BODY_ERRORS, { 401: ['INVALID_CREDENTIALS'] })
  @ApiResponse({
    status: 429,
    description: 'Too many failed logins for this username or address: `TOO_MANY_LOGIN_ATTEMPTS`',
    headers: { 'Retry-After': { description: 'Seconds until a login may succeed', schema: { type: 'integer' } } },
    schema: errorSchema(429, ['TOO_MANY_LOGIN_ATTEMPTS']),
  })
  logIn(@Body() body: LogInRequestDto, @Ip() ip: string): Promise<LogInResponseDto> {
    return this.commandBus.execute(new LogInCommand(body.username, body.password, ip));
  }
}
