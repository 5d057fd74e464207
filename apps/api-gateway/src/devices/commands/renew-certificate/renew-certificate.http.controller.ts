import { Body, Controller, HttpCode, HttpStatus, Inject, Param, Post, Query, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiTags, ApiBody } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../../auth/jwt-auth.guard';
import { AUTH_ERRORS, ApiErrors, BODY_ERRORS, DATABASE_ERRORS, PARAM_ERRORS } from '../../../infrastructure/api-errors';
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
  // No body at all renews with a platform-generated RSA key, as `{}` does.
  @ApiBody({ type: RenewCertificateRequestDto, required: false })
  @ApiErrors(DATABASE_ERRORS, AUTH_ERRORS, PARAM_ERRORS, BODY_ERRORS, {
    400: ['INVALID_CSR', 'WEAK_KEY'],
    404: ['DEVICE_NOT_FOUND'],
  })
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
