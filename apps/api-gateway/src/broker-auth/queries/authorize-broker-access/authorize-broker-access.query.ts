import { Query } from '@nestjs/cqrs';
import { Permission } from '../../broker-access.policy';

/** One question RabbitMQ's HTTP auth backend asks about a client that is not a service account. */
export type BrokerAccessRequest =
  | { check: 'user'; username: string; password?: string }
  | { check: 'vhost'; username: string; vhost: string; clientId?: string }
  | { check: 'resource'; username: string; vhost: string; resource: string; name: string; permission: Permission }
  | { check: 'topic'; username: string; vhost: string; name: string; permission: Permission; routingKey: string };

export class AuthorizeBrokerAccessQuery extends Query<boolean> {
  constructor(readonly request: BrokerAccessRequest) {
    super();
  }
}
