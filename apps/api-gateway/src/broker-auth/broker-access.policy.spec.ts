import { mayAccessResource, mayAccessTopic, mayUseVhost } from './broker-access.policy';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

describe('broker access policy', () => {
  it('lets a device use the default vhost only, and only under its own client id', () => {
    expect(mayUseVhost(A, '/', A)).toBe(true);
    expect(mayUseVhost(A, '/', undefined)).toBe(true);
    expect(mayUseVhost(A, '/', B)).toBe(false);
    expect(mayUseVhost(A, 'other', A)).toBe(false);
  });

  it('lets a device touch its own queues only', () => {
    for (const permission of ['configure', 'read', 'write'] as const) {
      expect(mayAccessResource(A, 'queue', `mqtt-subscription-${A}qos1`, permission)).toBe(true);
      expect(mayAccessResource(A, 'queue', `mqtt-subscription-${B}qos1`, permission)).toBe(false);
      expect(mayAccessResource(A, 'queue', 'device-command.shard.0', permission)).toBe(false);
    }
  });

  it('lets a device use amq.topic (re-declaring it included) but no other exchange', () => {
    for (const permission of ['configure', 'read', 'write'] as const) {
      expect(mayAccessResource(A, 'exchange', 'amq.topic', permission)).toBe(true);
      expect(mayAccessResource(A, 'exchange', 'amq.default', permission)).toBe(false);
      expect(mayAccessResource(A, 'exchange', 'amq.direct', permission)).toBe(false);
      expect(mayAccessResource(A, 'exchange', `legacy-${A}`, permission)).toBe(false);
    }
  });

  it('lets a device publish only its own replies', () => {
    expect(mayAccessTopic(A, 'amq.topic', 'write', `server.${A}.get_gpio`)).toBe(true);
    expect(mayAccessTopic(A, 'amq.topic', 'write', `server.${B}.get_gpio`)).toBe(false);
    expect(mayAccessTopic(A, 'amq.topic', 'write', `${B}.set_gpio`)).toBe(false);
    expect(mayAccessTopic(A, 'amq.topic', 'write', `server.${A}.get_gpio.extra`)).toBe(false);
    expect(mayAccessTopic(A, 'amq.topic', 'write', `server.${A}.nope`)).toBe(false);
  });

  it('lets a device subscribe only to its own requests', () => {
    expect(mayAccessTopic(A, 'amq.topic', 'read', `${A}.#`)).toBe(true);
    expect(mayAccessTopic(A, 'amq.topic', 'read', `${A}.get_gpio`)).toBe(true);
    expect(mayAccessTopic(A, 'amq.topic', 'read', `${B}.#`)).toBe(false);
    expect(mayAccessTopic(A, 'amq.topic', 'read', '#')).toBe(false);
    expect(mayAccessTopic(A, 'amq.topic', 'read', `server.${A}.#`)).toBe(false);
    expect(mayAccessTopic(A, 'amq.topic', 'read', `*.#`)).toBe(false);
  });
});
