import { RmqContext } from '@nestjs/microservices';
import { ackWhenDone } from './transport.options';

function contextWith(ack: jest.Mock): RmqContext {
  const message = { fields: { deliveryTag: 1 } };
  return new RmqContext([message, { ack }, 'device-command.invoke']);
}

describe('ackWhenDone', () => {
  it('acks the message once the work is done, whatever its outcome', async () => {
    const ack = jest.fn();
    await expect(ackWhenDone(contextWith(ack), async () => 'answer')).resolves.toBe('answer');
    await expect(
      ackWhenDone(contextWith(ack), async () => {
        throw new Error('device offline');
      }),
    ).rejects.toThrow('device offline');
    expect(ack).toHaveBeenCalledTimes(2);
  });

  it("answers with the work's outcome when its channel closed meanwhile (a lost broker node)", async () => {
    const ack = jest.fn(() => {
      throw new Error('Channel closed');
    });
    await expect(ackWhenDone(contextWith(ack), async () => 'answer')).resolves.toBe('answer');
    expect(ack).toHaveBeenCalledTimes(1);
  });
});
