import { Body, Controller, Inject, Param, Patch, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../../auth/jwt-auth.guard';
import { AUTH_ERRORS, ApiErrors, BODY_ERRORS, DATABASE_ERRORS, PARAM_ERRORS } from '../../../infrastructure/api-errors';
import { DeviceNameParamDto } from '../../device-name.param.dto';
import { DeviceResponseDto } from '../../device.response.dto';
import { BROKER_ENDPOINTS, BrokerEndpoints } from '../../domain/broker-endpoints';
import { UpdateDeviceCommand } from './update-device.command';
import { UpdateDeviceRequestDto } from './update-device.request.dto';

@ApiTags('devices')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('devices')
export class UpdateDeviceHttpController {
  constructor(
    private readonly commandBus: CommandBus,
    @Inject(BROKER_ENDPOINTS) private readonly endpoints: BrokerEndpoints,
  ) {}

  /** Set the device's tags (the whole set). */
  @Patch(':name')
  @ApiOkResponse({ type: DeviceResponseDto })
  @ApiErrors(DATABASE_ERRORS, AUTH_ERRORS, PARAM_ERRORS, BODY_ERRORS, {
    400: ['INVALID_TAGS'],
    404: ['DEVICE_NOT_FOUND'],
  })
  async update(
    @CurrentUser() user: AuthenticatedUser,
    @Param() params: DeviceNameParamDto,
    @Body() body: UpdateDeviceRequestDto,
  ): Promise<DeviceResponseDto> {
    const device = await this.commandBus.execute(new UpdateDeviceCommand(user.userId, params.name, body.tags));
    return DeviceResponseDto.from(device, this.endpoints);
  }
}
