import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../../auth/jwt-auth.guard';
import { DeviceNameParamDto } from '../../../devices/device-name.param.dto';
import { AUTH_ERRORS, ApiErrors, DATABASE_ERRORS, PARAM_ERRORS } from '../../../infrastructure/api-errors';
import { CommandPageResponseDto, CommandRecordResponseDto } from '../../command-record.response.dto';
import { GetDeviceCommandQuery } from '../get-device-command/get-device-command.query';
import { ListDeviceCommandsQuery } from './list-device-commands.query';
import { DeviceCommandParamsDto, ListDeviceCommandsRequestDto } from './list-device-commands.request.dto';

export const DEFAULT_HISTORY_PAGE = 20;

@ApiTags('command history')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('devices/:name/commands')
export class DeviceCommandsHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  /** The device's commands (REST and legacy), newest first, by pages: pass `nextBefore` as `before`. */
  @Get()
  @ApiOkResponse({ type: CommandPageResponseDto })
  @ApiErrors(AUTH_ERRORS, PARAM_ERRORS, DATABASE_ERRORS, { 404: ['DEVICE_NOT_FOUND'] })
  async list(
    @CurrentUser() user: AuthenticatedUser,
    @Param() params: DeviceNameParamDto,
    @Query() query: ListDeviceCommandsRequestDto,
  ): Promise<CommandPageResponseDto> {
    const page = await this.queryBus.execute(
      new ListDeviceCommandsQuery(user.userId, params.name, {
        limit: query.limit ?? DEFAULT_HISTORY_PAGE,
        before: query.before,
        api: query.api,
        outcome: query.outcome,
      }),
    );
    return { items: page.items.map((r) => CommandRecordResponseDto.from(r)), nextBefore: page.nextBefore };
  }

  /** One command, by the X-Command-Id it was answered with. */
  @Get(':id')
  @ApiOkResponse({ type: CommandRecordResponseDto })
  @ApiErrors(AUTH_ERRORS, PARAM_ERRORS, DATABASE_ERRORS, { 404: ['DEVICE_NOT_FOUND', 'COMMAND_NOT_FOUND'] })
  async get(
    @CurrentUser() user: AuthenticatedUser,
    @Param() params: DeviceCommandParamsDto,
  ): Promise<CommandRecordResponseDto> {
    const record = await this.queryBus.execute(new GetDeviceCommandQuery(user.userId, params.name, params.id));
    return CommandRecordResponseDto.from(record);
  }
}
