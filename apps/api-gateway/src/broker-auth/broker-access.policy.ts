import { deviceQueueName, isDeviceApi } from '@app/device-protocol';

/**
 * What a device may do on the broker, as pure functions of its identity.
 * A device reaches only its own topics: it reads its own requests
 * (`{deviceId}.*` on amq.topic, through its own queue) and writes only its own
 * replies (`server.{deviceId}.{api}`). Everything else is denied.
 */
export type Permission = 'configure' | 'write' | 'read';

const TOPIC_EXCHANGE = 'amq.topic';

/** The queues the MQTT plugin (QoS 0 and 1) or an AMQP device declares for this device. */
export function ownQueues(deviceId: string): string[] {
  return [deviceQueueName(deviceId), deviceQueueName(deviceId).replace(/qos1$/, 'qos0')];
}

export function mayUseVhost(deviceId: string, vhost: string, clientId: string | undefined): boolean {
  // The MQTT client id must be the certificate's identity (AMQP sends none).
  return vhost === '/' && (clientId === undefined || clientId === deviceId);
}

/**
 * Every permission (configure, read, write) on its own queues and on amq.topic; nothing else.
 * On amq.topic, read lets it bind its queue and write lets it publish its replies; topic checks
 * narrow both. Configure lets libpyiotcloud's AMQP device re-declare amq.topic (non-passively)
 * before binding: RabbitMQ itself refuses deleting any amq.* exchange and re-declaring one with
 * other properties, so that grants an equivalent re-declaration and nothing more. No other
 * exchange is within reach, so no exchange can be created.
 */
export function mayAccessResource(deviceId: string, resource: string, name: string, _permission: Permission): boolean {
  if (resource === 'queue') return ownQueues(deviceId).includes(name);
  return resource === 'exchange' && name === TOPIC_EXCHANGE;
}

export function mayAccessTopic(
  deviceId: string,
  exchange: string,
  permission: Permission,
  routingKey: string,
): boolean {
  if (exchange !== TOPIC_EXCHANGE) return false;
  const words = routingKey.split('.');
  if (permission === 'write') {
    return words.length === 3 && words[0] === 'server' && words[1] === deviceId && isDeviceApi(words[2]);
  }
  if (permission === 'read') {
    // Binding keys of its own subscription: `{deviceId}.#`, `{deviceId}.get_gpio`, …
    return (
      words.length >= 2 &&
      words[0] === deviceId &&
      words.slice(1).every((w) => w === '#' || w === '*' || isDeviceApi(w))
    );
  }
  return false;
}
