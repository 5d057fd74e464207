import { portOfConnectionName, transportOf } from './device-presence';

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
