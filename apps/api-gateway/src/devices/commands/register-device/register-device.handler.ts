import { Inject } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { DomainError, Semaphore } from '@app/common';
import { AuditTrail } from '../../../audit/audit-trail';
import { generateDeviceId } from '@app/device-protocol';
import { CertificateAuthority, IssuedCertificate, issueDeviceCertificate, signCertificateRequest } from '@app/pki';
import { GatewayConfig } from '../../../config/gateway.config';
import { GatewayMetrics } from '../../../observability/gateway.metrics';
import { CERTIFICATE_AUTHORITY } from '../../certificate-authority.provider';
import { DEVICE_REPOSITORY, DeviceRepository } from '../../database/device.repository.port';
import { generateBrokerPassword } from '../../domain/broker-password';
import { DEVICE_NAME_PATTERN } from '../../domain/device';
import { DeviceRegisteredEvent } from '../../domain/device-registered.event';
import { DeviceNameTakenError, InvalidDeviceNameError } from '../../domain/device.errors';
import { RegisterDeviceCommand, RegisteredDevice } from './register-device.command';

@CommandHandler(RegisterDeviceCommand)
export class RegisterDeviceHandler implements ICommandHandler<RegisterDeviceCommand> {
  private readonly validityDays: number;
  /** Platform-generated RSA keys, a few at a time (EC keys and CSRs cost ~1 ms and need no limit). */
  private readonly rsaKeygen: Semaphore;

  constructor(
    @Inject(DEVICE_REPOSITORY) private readonly devices: DeviceRepository,
    @Inject(CERTIFICATE_AUTHORITY) private readonly ca: CertificateAuthority,
    config: ConfigService<GatewayConfig, true>,
    private readonly events: EventBus,
    private readonly audit: AuditTrail,
    private readonly metrics: GatewayMetrics,
  ) {
    this.validityDays = config.get('DEVICE_CERT_VALIDITY_DAYS', { infer: true });
    this.rsaKeygen = new Semaphore(config.get('RSA_KEYGEN_CONCURRENCY', { infer: true }));
  }

  async execute(command: RegisterDeviceCommand): Promise<RegisteredDevice> {
    const keyType = command.csrPem ? 'csr' : command.keyType;
    try {
      const registered = await this.register(command);
      const { deviceId, name } = registered.device;
      this.metrics.registrations.inc({ key_type: keyType, outcome: 'ok' });
      this.audit.record({
        userId: command.ownerId,
        action: 'device.registered',
        outcome: 'OK',
        deviceId,
        deviceName: name,
      });
      return registered;
    } catch (error) {
      // Error codes are a fixed set, so they make a bounded label.
      const code = error instanceof DomainError ? error.code : undefined;
      this.metrics.registrations.inc({ key_type: keyType, outcome: code ?? 'error' });
      this.audit.record({
        userId: command.ownerId,
        action: 'device.registered',
        outcome: code ?? 'INTERNAL_ERROR',
        deviceName: command.name,
      });
      throw error;
    }
  }

  private async register(command: RegisterDeviceCommand): Promise<RegisteredDevice> {
    // Every edge validates too; this holds for all of them (REST, legacy routes).
    if (!DEVICE_NAME_PATTERN.test(command.name)) throw new InvalidDeviceNameError();
    // Fast path only: the unique index still decides when two registrations race.
    if (await this.devices.findActiveByName(command.ownerId, command.name)) {
      throw new DeviceNameTakenError(command.name);
    }
    const deviceId = generateDeviceId();
    const issued = await this.issue(command, deviceId);
    const broker = generateBrokerPassword();
    const device = await this.devices.create({
      deviceId,
      ownerId: command.ownerId,
      name: command.name,
      keyOrigin: command.csrPem ? 'csr' : command.keyType,
      certificatePem: issued.certificatePem,
      certificateSerial: issued.serialNumber,
      certificateFingerprint: issued.fingerprintSha256,
      brokerPasswordHash: broker.hash,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
    });
    this.events.publish(new DeviceRegisteredEvent(deviceId, command.ownerId, command.name));
    return {
      device,
      privateKeyPem: issued.privateKeyPem,
      caCertificatePem: this.ca.certificatePem,
      brokerPassword: broker.password,
    };
  }

  private issue(command: RegisterDeviceCommand, deviceId: string): Promise<IssuedCertificate> {
    const common = { ca: this.ca, deviceId, validityDays: this.validityDays };
    if (command.csrPem) return signCertificateRequest({ ...common, csrPem: command.csrPem });
    const generate = () => issueDeviceCertificate({ ...common, keyType: command.keyType });
    return command.keyType === 'rsa' ? this.rsaKeygen.run(generate) : generate();
  }
}
