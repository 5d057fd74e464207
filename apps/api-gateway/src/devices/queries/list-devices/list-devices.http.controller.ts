import { Controller, Get, Inject, UseGuards } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../../auth/jwt-auth.guard';
import { AUTH_ERRORS, ApiErrors } from '../../../infrastructure/api-errors';
import { DeviceResponseDto } from '../../device.response.dto';
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

  /** Your registered devices (never any private key). */
  @Get()
  @ApiOkResponse({ type: [DeviceResponseDto] })
  @ApiErrors(AUTH_ERRORS)
  async list(@CurrentUser() user: AuthenticatedUser): Promise<DeviceResponseDto[]> {
    const devices = await this.queryBus.execute(new ListDevicesQuery(user.userId));
    return devices.map((device) => DeviceResponseDto.from(device, this.endpoints));
  }
}
