import { Inject } from '@nestjs/common';
import { CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { DomainError } from '@app/common';
import { AuditTrail } from '../../../audit/audit-trail';
import { generateDeviceId } from '@app/device-protocol';
import { GatewayMetrics } from '../../../observability/gateway.metrics';
import { DEVICE_REPOSITORY, DeviceRepository } from '../../database/device.repository.port';
import { generateBrokerPassword } from '../../domain/broker-password';
import { DEVICE_NAME_PATTERN } from '../../domain/device';
import { certificateFields, DeviceCertificateIssuer } from '../../domain/device-certificate-issuer';
import { tagsProblem } from '../../domain/device-tags';
import { DeviceRegisteredEvent } from '../../domain/device-registered.event';
import { DeviceNameTakenError, InvalidDeviceNameError, InvalidTagsError } from '../../domain/device.errors';
import { RegisterDeviceCommand, RegisteredDevice } from './register-device.command';

@CommandHandler(RegisterDeviceCommand)
export class RegisterDeviceHandler implements ICommandHandler<RegisterDeviceCommand> {
  constructor(
    @Inject(DEVICE_REPOSITORY) private readonly devices: DeviceRepository,
    private readonly issuer: DeviceCertificateIssuer,
    private readonly events: EventBus,
    private readonly audit: AuditTrail,
    private readonly metrics: GatewayMetrics,
  ) {}

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
    const tagError = tagsProblem(command.tags);
    if (tagError) throw new InvalidTagsError(tagError);
    // Fast path only: the unique index still decides when two registrations race.
    if (await this.devices.findActiveByName(command.ownerId, command.name)) {
      throw new DeviceNameTakenError(command.name);
    }
    const deviceId = generateDeviceId();
    const source = { keyType: command.keyType, csrPem: command.csrPem };
    const issued = await this.issuer.issue(deviceId, source);
    const broker = generateBrokerPassword();
    const device = await this.devices.create({
      deviceId,
      ownerId: command.ownerId,
      name: command.name,
      tags: command.tags,
      ...certificateFields(issued, source),
      brokerPasswordHash: broker.hash,
    });
    this.events.publish(new DeviceRegisteredEvent(deviceId, command.ownerId, command.name));
    return {
      device,
      privateKeyPem: issued.privateKeyPem,
      caCertificatePem: this.issuer.ca.certificatePem,
      brokerPassword: broker.password,
    };
  }
}
