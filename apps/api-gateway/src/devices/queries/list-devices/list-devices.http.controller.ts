import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBadRequestResponse, ApiBearerAuth, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../../auth/jwt-auth.guard';
import { ErrorResponseDto } from '../../../infrastructure/error-response.dto';
import { ApiDatabaseUnavailableResponse } from '../../../infrastructure/mongo-errors';
import { DeviceWithPresenceResponseDto } from '../../device.response.dto';
import { ListDevicesRequestDto } from './list-devices.request.dto';
import { BROKER_ENDPOINTS, BrokerEndpoints } from '../../domain/broker-endpoints';
import { ListDevicesQuery } from './list-devices.query';

@ApiTags('devices')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@ApiDatabaseUnavailableResponse()
@Controller('devices')
export class ListDevicesHttpController {
  constructor(
    private readonly queryBus: QueryBus,
    @Inject(BROKER_ENDPOINTS) private readonly endpoints: BrokerEndpoints,
  ) {}

  /** Your registered devices with their presence (never any private key); `?online=` filters on it. */
  @Get()
  @ApiOkResponse({ type: [DeviceWithPresenceResponseDto] })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED', type: ErrorResponseDto })
  @ApiUnauthorizedResponse({ description: 'UNAUTHORIZED', type: ErrorResponseDto })
  async list(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: ListDevicesRequestDto,
  ): Promise<DeviceWithPresenceResponseDto[]> {
    const online = query.online === undefined ? undefined : query.online === 'true';
    const devices = await this.queryBus.execute(new ListDevicesQuery(user.userId, online));
    return devices.map((device) => DeviceWithPresenceResponseDto.fromView(device, this.endpoints));
  }
}
