import { Body, Controller, Inject, Param, Patch, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../../auth/jwt-auth.guard';
import { ErrorResponseDto } from '../../../infrastructure/error-response.dto';
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
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED, INVALID_TAGS', type: ErrorResponseDto })
  @ApiUnauthorizedResponse({ description: 'UNAUTHORIZED', type: ErrorResponseDto })
  @ApiNotFoundResponse({ description: 'DEVICE_NOT_FOUND', type: ErrorResponseDto })
  async update(
    @CurrentUser() user: AuthenticatedUser,
    @Param() params: DeviceNameParamDto,
    @Body() body: UpdateDeviceRequestDto,
  ): Promise<DeviceResponseDto> {
    const device = await this.commandBus.execute(new UpdateDeviceCommand(user.userId, params.name, body.tags));
    return DeviceResponseDto.from(device, this.endpoints);
  }
}
