import { Body, Controller, HttpCode, HttpStatus, Inject, Post, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../../auth/jwt-auth.guard';
import { AUTH_ERRORS, ApiErrors, BODY_ERRORS, DATABASE_ERRORS } from '../../../infrastructure/api-errors';
import { DeviceResponseDto } from '../../device.response.dto';
import { BROKER_ENDPOINTS, BrokerEndpoints } from '../../domain/broker-endpoints';
import { RegisterDeviceCommand } from './register-device.command';
import { RegisterDeviceRequestDto } from './register-device.request.dto';
import { RegisterDeviceResponseDto } from './register-device.response.dto';

@ApiTags('devices')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('devices')
export class RegisterDeviceHttpController {
  constructor(
    private readonly commandBus: CommandBus,
    @Inject(BROKER_ENDPOINTS) private readonly endpoints: BrokerEndpoints,
  ) {}

  /** Register a device and issue its CA-signed certificate (platform-generated key, or your CSR). */
  @Post()
  @HttpCode(HttpStatus.CREATED)
  @ApiCreatedResponse({ type: RegisterDeviceResponseDto })
  @ApiErrors(DATABASE_ERRORS, AUTH_ERRORS, BODY_ERRORS, {
    400: ['INVALID_CSR', 'WEAK_KEY', 'INVALID_TAGS'],
    409: ['DEVICE_NAME_TAKEN'],
  })
  async register(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: RegisterDeviceRequestDto,
  ): Promise<RegisterDeviceResponseDto> {
    const result = await this.commandBus.execute(
      new RegisterDeviceCommand(user.userId, body.name, body.keyType ?? 'rsa', body.csr, body.tags),
    );
    return {
      ...DeviceResponseDto.from(result.device, this.endpoints),
      ...(result.privateKeyPem ? { privateKey: result.privateKeyPem } : {}),
      caCertificate: result.caCertificatePem,
      brokerPassword: result.brokerPassword,
    };
  }
}
