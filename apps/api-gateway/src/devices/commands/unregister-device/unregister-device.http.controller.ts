import { Controller, Delete, HttpCode, HttpStatus, Param, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../../auth/jwt-auth.guard';
import { ErrorResponseDto } from '../../../infrastructure/error-response.dto';
import { ApiDatabaseUnavailableResponse } from '../../../infrastructure/mongo-errors';
import { DeviceNameParamDto } from '../../device-name.param.dto';
import { UnregisterDeviceCommand } from './unregister-device.command';

@ApiTags('devices')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@ApiDatabaseUnavailableResponse()
@Controller('devices')
export class UnregisterDeviceHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Unregister a device: its certificate is revoked and its name freed. */
  @Delete(':name')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Device revoked' })
  @ApiUnauthorizedResponse({ description: 'UNAUTHORIZED', type: ErrorResponseDto })
  @ApiNotFoundResponse({ description: 'DEVICE_NOT_FOUND', type: ErrorResponseDto })
  async unregister(@CurrentUser() user: AuthenticatedUser, @Param() params: DeviceNameParamDto): Promise<void> {
    await this.commandBus.execute(new UnregisterDeviceCommand(user.userId, params.name));
  }
}
