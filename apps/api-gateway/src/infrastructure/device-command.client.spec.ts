import { AmqpConnectionManager } from 'amqp-connection-manager';
import { DeviceCommandPattern } from '@app/common/device-command';
import { DeviceCommandClient } from './device-command.client';

/** A connection whose broker never confirms a publish: an overloaded broker. */
function stalledConnection(connected = true): AmqpConnectionManager {
  const channel = {
    sendToQueue: jest.fn(() => new Promise<boolean>(() => undefined)),
    waitForConnect: jest.fn(() => Promise.resolve()),
    close: jest.fn(() => Promise.resolve()),
  };
  return {
    createChannel: jest.fn(() => channel),
    isConnected: () => connected,
    close: jest.fn(() => Promise.resolve()),
  } as unknown as AmqpConnectionManager;
}

describe('DeviceCommandClient', () => {
  it('answers DEVICE_COMMAND_UNAVAILABLE at once when the broker is not connected', async () => {
    const client = new DeviceCommandClient(stalledConnection(false), 8);
    await expect(client.request(DeviceCommandPattern.ping, { sentAt: 0 }, { timeoutMs: 1000 })).rejects.toMatchObject({
      code: 'DEVICE_COMMAND_UNAVAILABLE',
    });
  });

  it('times out on schedule while the publish is still unconfirmed, without an unhandled rejection', async () => {
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
      const client = new DeviceCommandClient(stalledConnection(), 8);
      const call = client.request(DeviceCommandPattern.ping, { sentAt: 0 }, { timeoutMs: 50 });
      let settled = false;
      call.catch(() => (settled = true));
      await jest.advanceTimersByTimeAsync(49);
      expect(settled).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      await expect(call).rejects.toMatchObject({ code: 'DEVICE_COMMAND_UNAVAILABLE' });
      jest.useRealTimers();
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).not.toHaveBeenCalled();
      await client.onModuleDestroy();
    } finally {
      jest.useRealTimers();
      process.off('unhandledRejection', unhandled);
    }
  });
});
