import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DEVICE_REPOSITORY, DeviceRepository } from '../../../devices/database/device.repository.port';
import { verifyBrokerPassword } from '../../../devices/domain/broker-password';
import { acceptedCertificates } from '../../../devices/domain/device';
import { mayAccessResource, mayAccessTopic, mayUseVhost } from '../../broker-access.policy';
import { isAcceptedCertificate, parseBrokerUsername } from '../../broker-identity';
import { AuthorizeBrokerAccessQuery } from './authorize-broker-access.query';

/**
 * Answers RabbitMQ for devices: a device may connect only while registered and
 * not revoked, logging in by its current certificate (the broker has verified it
 * against our CA and names the login after its subject, which carries the
 * certificate's serial), or a replaced one during a renewal's grace window, or by
 * its broker password (with or without a certificate), and reach only its own
 * topics, however it logged in. Every check re-checks the certificate, so a
 * retired one loses access as soon as the broker's cache expires.
 */
@QueryHandler(AuthorizeBrokerAccessQuery)
export class AuthorizeBrokerAccessHandler implements IQueryHandler<AuthorizeBrokerAccessQuery> {
  constructor(@Inject(DEVICE_REPOSITORY) private readonly devices: DeviceRepository) {}

  async execute({ request }: AuthorizeBrokerAccessQuery): Promise<boolean> {
    const identity = parseBrokerUsername(request.username);
    if (!identity) return false;
    const { deviceId } = identity;
    const device = await this.devices.findActiveById(deviceId);
    if (!device) return false;
    if (
      identity.login === 'certificate' &&
      !isAcceptedCertificate(identity.certificate, acceptedCertificates(device, new Date()))
    ) {
      return false;
    }
    switch (request.check) {
      case 'user':
        // A certificate login carries no password; a password login (username = deviceId) must match
        // the device's broker password.
        if (identity.login === 'certificate') return request.password === undefined;
        return request.password !== undefined && verifyBrokerPassword(request.password, device.brokerPasswordHash);
      case 'vhost':
        return mayUseVhost(deviceId, request.vhost, request.clientId);
      case 'resource':
        return request.vhost === '/' && mayAccessResource(deviceId, request.resource, request.name, request.permission);
      case 'topic':
        return request.vhost === '/' && mayAccessTopic(deviceId, request.name, request.permission, request.routingKey);
    }
  }
}
