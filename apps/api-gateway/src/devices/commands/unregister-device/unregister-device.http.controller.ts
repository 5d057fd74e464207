import { Controller, Delete, HttpCode, HttpStatus, Param, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../../auth/jwt-auth.guard';
import { AUTH_ERRORS, ApiErrors, PARAM_ERRORS, DATABASE_ERRORS } from '../../../infrastructure/api-errors';
import { DeviceNameParamDto } from '../../device-name.param.dto';
import { UnregisterDeviceCommand } from './unregister-device.command';

@ApiTags('devices')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('devices')
export class UnregisterDeviceHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Unregister a device: its certificate is revoked and its name freed. */
  @Delete(':name')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Device revoked' })
  @ApiErrors(DATABASE_ERRORS, AUTH_ERRORS, PARAM_ERRORS, { 404: ['DEVICE_NOT_FOUND'] })
  async unregister(@CurrentUser() user: AuthenticatedUser, @Param() params: DeviceNameParamDto): Promise<void> {
    await this.commandBus.execute(new UnregisterDeviceCommand(user.userId, params.name));
  }
}
