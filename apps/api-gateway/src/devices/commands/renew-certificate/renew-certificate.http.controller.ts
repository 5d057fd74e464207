import { Body, Controller, HttpCode, HttpStatus, Inject, Param, Post, Query, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../../auth/jwt-auth.guard';
import { ErrorResponseDto } from '../../../infrastructure/error-response.dto';
import { DeviceNameParamDto } from '../../device-name.param.dto';
import { DeviceResponseDto } from '../../device.response.dto';
import { BROKER_ENDPOINTS, BrokerEndpoints } from '../../domain/broker-endpoints';
import { RenewCertificateCommand } from './renew-certificate.command';
import { RenewCertificateQueryDto, RenewCertificateRequestDto } from './renew-certificate.request.dto';
import { RenewCertificateResponseDto } from './renew-certificate.response.dto';

@ApiTags('devices')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('devices')
export class RenewCertificateHttpController {
  constructor(
    private readonly commandBus: CommandBus,
    @Inject(BROKER_ENDPOINTS) private readonly endpoints: BrokerEndpoints,
  ) {}

  /**
   * Issue a new certificate for the device, keeping its deviceId, name and tags. The old
   * certificate stops working at once (its live connections are closed within seconds), or
   * after `graceSeconds`.
   */
  @Post(':name/certificate')
  @HttpCode(HttpStatus.CREATED)
  @ApiCreatedResponse({ type: RenewCertificateResponseDto })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED, INVALID_CSR, WEAK_KEY', type: ErrorResponseDto })
  @ApiUnauthorizedResponse({ description: 'UNAUTHORIZED', type: ErrorResponseDto })
  @ApiNotFoundResponse({ description: 'DEVICE_NOT_FOUND', type: ErrorResponseDto })
  async renew(
    @CurrentUser() user: AuthenticatedUser,
    @Param() params: DeviceNameParamDto,
    @Query() query: RenewCertificateQueryDto,
    @Body() body: RenewCertificateRequestDto,
  ): Promise<RenewCertificateResponseDto> {
    const result = await this.commandBus.execute(
      new RenewCertificateCommand(user.userId, params.name, body.keyType ?? 'rsa', body.csr, query.graceSeconds ?? 0),
    );
    const previous = result.device.previousCertificate;
    return {
      ...DeviceResponseDto.from(result.device, this.endpoints),
      ...(result.privateKeyPem ? { privateKey: result.privateKeyPem } : {}),
      caCertificate: result.caCertificatePem,
      ...(previous ? { previousCertificateValidUntil: previous.validUntil.toISOString() } : {}),
    };
  }
}
