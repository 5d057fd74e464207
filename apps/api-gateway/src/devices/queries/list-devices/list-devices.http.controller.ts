import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../../auth/jwt-auth.guard';
import { AUTH_ERRORS, ApiErrors, DATABASE_ERRORS, PARAM_ERRORS } from '../../../infrastructure/api-errors';
import { DeviceWithPresenceResponseDto } from '../../device.response.dto';
import { BROKER_ENDPOINTS, BrokerEndpoints } from '../../domain/broker-endpoints';
import { parseTagFilter } from '../../domain/device-tags';
import { ListDevicesQuery } from './list-devices.query';
import { DEFAULT_LIST_LIMIT, ListDevicesRequestDto } from './list-devices.request.dto';

@ApiTags('devices')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('devices')
export class ListDevicesHttpController {
  constructor(
    private readonly queryBus: QueryBus,
    @Inject(BROKER_ENDPOINTS) private readonly endpoints: BrokerEndpoints,
  ) {}

  /**
   * Your registered devices in name order with their presence (never any private key), one page at
   * a time: pass the last name you got as `after` for the next page; `?online=` filters on presence.
   */
  @Get()
  @ApiOkResponse({ type: [DeviceWithPresenceResponseDto] })
  @ApiErrors(AUTH_ERRORS, PARAM_ERRORS, DATABASE_ERRORS)
  async list(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: ListDevicesRequestDto,
  ): Promise<DeviceWithPresenceResponseDto[]> {
    const devices = await this.queryBus.execute(
      new ListDevicesQuery(
        user.userId,
        {
          tags: (query.tag ?? []).map((t) => parseTagFilter(t) as [string, string]),
          namePrefix: query.prefix,
          after: query.after,
          limit: query.limit ?? DEFAULT_LIST_LIMIT,
        },
        query.online === undefined ? undefined : query.online === 'true',
      ),
    );
    return devices.map((device) => DeviceWithPresenceResponseDto.fromView(device, this.endpoints));
  }
}
