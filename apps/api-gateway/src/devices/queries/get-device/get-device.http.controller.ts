import { Controller, Get, Inject, Param, UseGuards } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../../auth/jwt-auth.guard';
import { AUTH_ERRORS, ApiErrors, DATABASE_ERRORS, PARAM_ERRORS } from '../../../infrastructure/api-errors';
import { DeviceNameParamDto } from '../../device-name.param.dto';
import { DeviceWithPresenceResponseDto } from '../../device.response.dto';
import { BROKER_ENDPOINTS, BrokerEndpoints } from '../../domain/broker-endpoints';
import { GetDeviceQuery } from './get-device.query';

@ApiTags('devices')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('devices')
export class GetDeviceHttpController {
  constructor(
    private readonly queryBus: QueryBus,
    @Inject(BROKER_ENDPOINTS) private readonly endpoints: BrokerEndpoints,
  ) {}

  /** One of your devices, by name, with its presence. */
  @Get(':name')
  @ApiOkResponse({ type: DeviceWithPresenceResponseDto })
  @ApiErrors(AUTH_ERRORS, PARAM_ERRORS, DATABASE_ERRORS, { 404: ['DEVICE_NOT_FOUND'] })
  async get(
    @CurrentUser() user: AuthenticatedUser,
    @Param() params: DeviceNameParamDto,
  ): Promise<DeviceWithPresenceResponseDto> {
    const device = await this.queryBus.execute(new GetDeviceQuery(user.userId, params.name));
    return DeviceWithPresenceResponseDto.fromView(device, this.endpoints);
  }
}
