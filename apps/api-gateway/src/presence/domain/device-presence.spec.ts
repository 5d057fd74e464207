import { headerText, portOfConnectionName, transportOf } from './device-presence';

describe('transportOf (the broker event headers of RabbitMQ 3.10 and 4.0)', () => {
  it('reads AMQP 0-9-1 and MQTT with its protocol level', () => {
    expect(transportOf('{0,9,1}', 5671, 8883)).toEqual({ transport: 'amqp', protocolLevel: null });
    expect(transportOf(`{'MQTT',"3.1.1"}`, 8883, 8883)).toEqual({ transport: 'mqtt', protocolLevel: 4 });
    expect(transportOf(`{'MQTT',"3.1.0"}`, 8883, 8883)).toEqual({ transport: 'mqtt', protocolLevel: 3 });
    expect(transportOf(`{'MQTT',"5.0"}`, 8883, 8883)).toEqual({ transport: 'mqtt', protocolLevel: 5 });
  });

  it('falls back on the port when the protocol is unknown or missing (reconciliation)', () => {
    expect(transportOf(undefined, 8883, 8883)).toEqual({ transport: 'mqtt', protocolLevel: null });
    expect(transportOf(undefined, 5671, 8883)).toEqual({ transport: 'amqp', protocolLevel: null });
    expect(portOfConnectionName('127.0.0.1:50466 -> 127.0.0.1:6171')).toBe(6171);
    expect(portOfConnectionName('weird')).toBeUndefined();
  });
});

describe('headerText (how the event exchange may encode an Erlang tuple such as {\'MQTT\',"3.1.1"})', () => {
  it.each([
    ['a printed term (3.10)', `{'MQTT',"3.1.1"}`, 4],
    ['a printed term with a version tuple (4.0)', `{'MQTT',{3,1,1}}`, 4],
    ['a 4.0 MQTT 5 term', `{'MQTT',{5,0}}`, 5],
    ['a 4.0 MQTT 3.1 term', `{'MQTT',{3,1,0}}`, 3],
    ['an array of strings', ['MQTT', '3.1.1'], 4],
    ['an array with a byte buffer', ['MQTT', Buffer.from('5.0')], 5],
    ['an array with a character list', ['MQTT', [51, 46, 49, 46, 48]], 3],
  ])('reads the MQTT level from %s', (_form, header, level) => {
    expect(transportOf(headerText(header), 8883, 8883)).toEqual({ transport: 'mqtt', protocolLevel: level });
  });

  it('is undefined for what is no text at all', () => {
    expect(headerText(undefined)).toBeUndefined();
    expect(headerText(42)).toBeUndefined();
  });
});
