import { Inject } from '@nestjs/common';
import { CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { DEVICE_REPOSITORY, DeviceRepository } from '../../database/device.repository.port';
import { acceptedCertificates, MAX_RENEWAL_GRACE_SECONDS } from '../../domain/device';
import { certificateFields, DeviceCertificateIssuer } from '../../domain/device-certificate-issuer';
import { CertificateRetiredEvent } from '../../domain/certificate-retired.event';
import { DeviceNotFoundError, InvalidGracePeriodError } from '../../domain/device.errors';
import { RenewCertificateCommand, RenewedCertificate } from './renew-certificate.command';

/**
 * Renews a device's certificate in place: same deviceId, name, tags and broker password,
 * a new key pair and serial. The replaced certificate is accepted for `graceSeconds` more
 * (0: not at all), then the broker refuses it and its connections are closed.
 */
@CommandHandler(RenewCertificateCommand)
export class RenewCertificateHandler implements ICommandHandler<RenewCertificateCommand> {
  constructor(
    @Inject(DEVICE_REPOSITORY) private readonly devices: DeviceRepository,
    private readonly issuer: DeviceCertificateIssuer,
    private readonly events: EventBus,
  ) {}

  async execute(command: RenewCertificateCommand): Promise<RenewedCertificate> {
    const { graceSeconds } = command;
    if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_RENEWAL_GRACE_SECONDS) {
      throw new InvalidGracePeriodError(MAX_RENEWAL_GRACE_SECONDS);
    }
    const device = await this.devices.findActiveByName(command.ownerId, command.name);
    if (!device) throw new DeviceNotFoundError(command.name);
    const source = { keyType: command.keyType, csrPem: command.csrPem };
    const issued = await this.issuer.issue(device.deviceId, source);
    const now = new Date();
    const validUntil = new Date(now.getTime() + graceSeconds * 1000);
    const [current, stillAccepted] = acceptedCertificates(device, now);
    const updated = await this.devices.replaceCertificate(device.deviceId, {
      ...certificateFields(issued, source),
      previousCertificate:
        graceSeconds > 0 ? { ...current, fingerprint: device.certificateFingerprint, validUntil } : null,
    });
    if (!updated) throw new DeviceNotFoundError(command.name);
    // The replaced certificate retires when its grace ends; one still in an earlier grace window, now.
    const retired = [{ certificate: current, at: validUntil }];
    if (stillAccepted) retired.push({ certificate: stillAccepted, at: now });
    for (const { certificate, at } of retired) {
      this.events.publish(new CertificateRetiredEvent(device.deviceId, device.name, certificate, at));
    }
    return { device: updated, privateKeyPem: issued.privateKeyPem, caCertificatePem: this.issuer.ca.certificatePem };
  }
}
