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

export function mayAccessResource(deviceId: string, resource: string, name: string, permission: Permission): boolean {
  if (resource === 'queue') return ownQueues(deviceId).includes(name);
  if (resource === 'exchange' && name === TOPIC_EXCHANGE) {
    // read: bind its queue to amq.topic; write: publish its replies. Topic checks narrow both.
    return permission === 'read' || permission === 'write';
  }
  return false;
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
