import {
  DEVICE_APIS,
  DEVICE_EXCHANGE,
  REPLY_BINDING_KEY,
  DeviceApi,
  deviceBindingKey,
  deviceQueueName,
  deviceSubscriptionTopic,
  parseReplyRoutingKey,
  parseReplyTopic,
  parseRequestRoutingKey,
  parseRequestTopic,
  replyRoutingKey,
  replyTopic,
  requestRoutingKey,
  requestTopic,
} from './index';

const ID = '0123456789abcdef0123456789abcdef';

describe('topics and routing keys', () => {
  it('builds the documented names', () => {
    expect(DEVICE_EXCHANGE).toBe('amq.topic');
    expect(REPLY_BINDING_KEY).toBe('server.#');
    expect(requestTopic(ID, 'get_gpio')).toBe(`${ID}/get_gpio`);
    expect(requestRoutingKey(ID, 'get_gpio')).toBe(`${ID}.get_gpio`);
    expect(replyTopic(ID, 'get_gpio')).toBe(`server/${ID}/get_gpio`);
    expect(replyRoutingKey(ID, 'get_gpio')).toBe(`server.${ID}.get_gpio`);
    expect(deviceSubscriptionTopic(ID)).toBe(`${ID}/#`);
    expect(deviceBindingKey(ID)).toBe(`${ID}.#`);
    expect(deviceQueueName(ID)).toBe(`mqtt-subscription-${ID}qos1`);
  });

  it('routing keys are topics with / mapped to . (as RabbitMQ does)', () => {
    for (const api of DEVICE_APIS) {
      expect(requestRoutingKey(ID, api)).toBe(requestTopic(ID, api).replace(/\//g, '.'));
      expect(replyRoutingKey(ID, api)).toBe(replyTopic(ID, api).replace(/\//g, '.'));
    }
  });

  it.each(DEVICE_APIS)('round-trips %s', (api) => {
    expect(parseReplyRoutingKey(replyRoutingKey(ID, api))).toEqual({ deviceId: ID, api });
    expect(parseRequestRoutingKey(requestRoutingKey(ID, api))).toEqual({ deviceId: ID, api });
    expect(parseReplyTopic(replyTopic(ID, api))).toEqual({ deviceId: ID, api });
    expect(parseRequestTopic(requestTopic(ID, api))).toEqual({ deviceId: ID, api });
  });

  it.each([
    'server.abc',
    'server',
    'server.',
    '',
    `server.${ID}`,
    `server.${ID}.`,
    `server.${ID}.unknown_api`,
    `server.${ID}.get_gpio.extra`,
    `server.${ID}.GET_GPIO`,
    `server.abc.get_gpio`,
    `server.${ID.toUpperCase()}.get_gpio`,
    `server.0123456789abcdef.0123456789abcdef.get_gpio`,
    `server.${ID}x.get_gpio`,
    `client.${ID}.get_gpio`,
    `${ID}.get_gpio`,
    `server/${ID}/get_gpio`,
    `server.${ID}.#`,
    `server.${ID}.*`,
  ])('parseReplyRoutingKey rejects %j', (key) => {
    expect(parseReplyRoutingKey(key)).toBeNull();
  });

  it.each([
    `${ID}`,
    `${ID}.`,
    `${ID}.unknown_api`,
    `${ID}.get_gpio.extra`,
    `server.${ID}.get_gpio`,
    `abc.get_gpio`,
    `0123456789abcdef.0123456789abcdef.get_gpio`,
    `${ID}/get_gpio`,
    `${ID}.#`,
  ])('parseRequestRoutingKey rejects %j', (key) => {
    expect(parseRequestRoutingKey(key)).toBeNull();
  });

  it('MQTT topic parsers reject dotted forms and extra levels', () => {
    expect(parseReplyTopic(`server.${ID}.get_gpio`)).toBeNull();
    expect(parseReplyTopic(`server/${ID}/get_gpio/extra`)).toBeNull();
    expect(parseRequestTopic(`${ID}.get_gpio`)).toBeNull();
    expect(parseRequestTopic(`${ID}/get_gpio/extra`)).toBeNull();
  });

  it.each(['', 'abc', 'a.b', `${ID}.x`, 'dev/1', '#', '+', ID.toUpperCase()])('builders refuse device id %j', (bad) => {
    expect(() => requestTopic(bad, 'get_status')).toThrow(RangeError);
    expect(() => requestRoutingKey(bad, 'get_status')).toThrow(RangeError);
    expect(() => replyTopic(bad, 'get_status')).toThrow(RangeError);
    expect(() => replyRoutingKey(bad, 'get_status')).toThrow(RangeError);
    expect(() => deviceSubscriptionTopic(bad)).toThrow(RangeError);
    expect(() => deviceBindingKey(bad)).toThrow(RangeError);
    expect(() => deviceQueueName(bad)).toThrow(RangeError);
  });

  it('builders refuse an unknown api', () => {
    expect(() => requestRoutingKey(ID, 'reboot' as DeviceApi)).toThrow(RangeError);
    expect(() => replyTopic(ID, 'a.b' as DeviceApi)).toThrow(RangeError);
  });
});
