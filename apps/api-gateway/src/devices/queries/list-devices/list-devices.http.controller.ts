import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../../auth/jwt-auth.guard';
import { AUTH_ERRORS, ApiErrors, DATABASE_ERRORS, PARAM_ERRORS } from '../../../infrastructure/api-errors';
import { DeviceWithPresenceResponseDto } from '../../device.response.dto';
import { ListDevicesRequestDto } from './list-devices.request.dto';
import { BROKER_ENDPOINTS, BrokerEndpoints } from '../../domain/broker-endpoints';
import { ListDevicesQuery } from './list-devices.query';

@ApiTags('devices')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('devices')
export class ListDevicesHttpController {
  constructor(
    private readonly queryBus: QueryBus,
    @Inject(BROKER_ENDPOINTS) private readonly endpoints: BrokerEndpoints,
  ) {}

  /** Your registered devices with their presence (never any private key); `?online=` filters on it. */
  @Get()
  @ApiOkResponse({ type: [DeviceWithPresenceResponseDto] })
  @ApiErrors(AUTH_ERRORS, PARAM_ERRORS, DATABASE_ERRORS)
  async list(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: ListDevicesRequestDto,
  ): Promise<DeviceWithPresenceResponseDto[]> {
    const online = query.online === undefined ? undefined : query.online === 'true';
    const devices = await this.queryBus.execute(new ListDevicesQuery(user.userId, online));
    return devices.map((device) => DeviceWithPresenceResponseDto.fromView(device, this.endpoints));
  }
}
