import { Body, Controller, HttpCode, HttpStatus, Inject, Post, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../../auth/jwt-auth.guard';
import { ErrorResponseDto } from '../../../infrastructure/error-response.dto';
import { ApiDatabaseUnavailableResponse } from '../../../infrastructure/mongo-errors';
import { DeviceResponseDto } from '../../device.response.dto';
import { BROKER_ENDPOINTS, BrokerEndpoints } from '../../domain/broker-endpoints';
import { RegisterDeviceCommand } from './register-device.command';
import { RegisterDeviceRequestDto } from './register-device.request.dto';
import { RegisterDeviceResponseDto } from './register-device.response.dto';

@ApiTags('devices')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@ApiDatabaseUnavailableResponse()
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
  @ApiBadRequestResponse({
    description: 'VALIDATION_FAILED, INVALID_CSR, WEAK_KEY, INVALID_TAGS',
    type: ErrorResponseDto,
  })
  @ApiUnauthorizedResponse({ description: 'UNAUTHORIZED', type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'DEVICE_NAME_TAKEN', type: ErrorResponseDto })
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
