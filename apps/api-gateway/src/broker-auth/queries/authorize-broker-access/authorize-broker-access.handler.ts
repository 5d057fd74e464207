import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DEVICE_REPOSITORY, DeviceRepository } from '../../../devices/database/device.repository.port';
import { verifyBrokerPassword } from '../../../devices/domain/broker-password';
import { isDeviceIdentity, mayAccessResource, mayAccessTopic, mayUseVhost } from '../../broker-access.policy';
import { AuthorizeBrokerAccessQuery } from './authorize-broker-access.query';

/**
 * Answers RabbitMQ for devices: a device may connect only while registered and
 * not revoked, logging in by its certificate (the broker has verified it against
 * our CA and takes the identity from its CN) or by its broker password (with or
 * without a certificate), and reach only its own topics, however it logged in.
 */
@QueryHandler(AuthorizeBrokerAccessQuery)
export class AuthorizeBrokerAccessHandler implements IQueryHandler<AuthorizeBrokerAccessQuery> {
  constructor(@Inject(DEVICE_REPOSITORY) private readonly devices: DeviceRepository) {}

  async execute({ request }: AuthorizeBrokerAccessQuery): Promise<boolean> {
    if (!isDeviceIdentity(request.username)) return false;
    const device = await this.devices.findActiveById(request.username);
    if (!device) return false;
    switch (request.check) {
      case 'user':
        // Certificate logins carry no password (the broker verified the certificate and took
        // the identity from its CN); a password login must match the device's broker password.
        return request.password === undefined || verifyBrokerPassword(request.password, device.brokerPasswordHash);
      case 'vhost':
        return mayUseVhost(request.username, request.vhost, request.clientId);
      case 'resource':
        return (
          request.vhost === '/' &&
          mayAccessResource(request.username, request.resource, request.name, request.permission)
        );
      case 'topic':
        return (
          request.vhost === '/' &&
          mayAccessTopic(request.username, request.name, request.permission, request.routingKey)
        );
    }
  }
}
