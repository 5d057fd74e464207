import { DeviceDispatcher } from '../../link/device-dispatcher';
import { InvokeDeviceCommand } from './invoke-device.command';
import { InvokeDeviceHandler } from './invoke-device.handler';

const D = 'd'.repeat(32);

describe('InvokeDeviceHandler', () => {
  let dispatcher: { delivered: jest.Mock; dispatch: jest.Mock };
  let handler: InvokeDeviceHandler;

  beforeEach(() => {
    dispatcher = {
      delivered: jest.fn(),
      dispatch: jest.fn().mockResolvedValue({ reply: { number: 1, value: 1 }, deviceLatencyMs: 1 }),
    };
    handler = new InvokeDeviceHandler(dispatcher as unknown as DeviceDispatcher);
  });

  it("tells the dispatcher which consumer the request came to (a takeover's fence depends on it)", async () => {
    await handler.execute(
      new InvokeDeviceCommand(D, 'get_gpio', { number: 1 }, 1000, { consumer: 'ctag-1', redelivered: false }),
    );
    expect(dispatcher.delivered).toHaveBeenCalledWith(D, 'ctag-1');
    expect(dispatcher.dispatch).toHaveBeenCalledWith(D, 'get_gpio', { number: 1 }, 1000);
  });

  it('answers a redelivered write as of unknown outcome (DEVICE_COMMAND_UNAVAILABLE) and does not send it again', async () => {
    const command = new InvokeDeviceCommand(D, 'set_gpio', { number: 1, value: 1 }, 1000, {
      consumer: 'ctag-2',
      redelivered: true,
    });
    await expect(handler.execute(command)).rejects.toMatchObject({ code: 'DEVICE_COMMAND_UNAVAILABLE' });
    expect(dispatcher.delivered).toHaveBeenCalledWith(D, 'ctag-2');
    expect(dispatcher.dispatch).not.toHaveBeenCalled();
  });

  it('sends a redelivered read again: asking twice changes nothing', async () => {
    const command = new InvokeDeviceCommand(D, 'get_gpio', { number: 1 }, 1000, {
      consumer: 'ctag-2',
      redelivered: true,
    });
    await expect(handler.execute(command)).resolves.toMatchObject({ reply: { number: 1, value: 1 } });
    expect(dispatcher.dispatch).toHaveBeenCalledTimes(1);
  });
});
