import { EventBus } from '@nestjs/cqrs';
import { Registry } from 'prom-client';
import { DeviceCommandPattern, InvokeDeviceResult } from '@app/common/device-command';
import { InvalidDeviceRequestError } from '@app/device-protocol';
import { DeviceRepository } from '../devices/database/device.repository.port';
import { DeviceRecord } from '../devices/domain/device';
import { DeviceNotFoundError } from '../devices/domain/device.errors';
import { DeviceCommandClient } from '../infrastructure/device-command.client';
import { GatewayMetrics } from '../observability/gateway.metrics';
import { DeviceInvoker, RPC_MARGIN_MS } from './device-invoker';

const DEVICE_ID = '0123456789abcdef0123456789abcdef';

function setUp(found: Partial<DeviceRecord> | null) {
  const devices = {
    findActiveByName: jest.fn(async () => (found ? ({ deviceId: DEVICE_ID, ...found } as DeviceRecord) : null)),
  };
  const result: InvokeDeviceResult = { reply: { number: 3, value: 1 }, deviceLatencyMs: 1.5 };
  const deviceCommand = { request: jest.fn(async () => result) };
  const events = { publish: jest.fn() };
  const invoker = new DeviceInvoker(
    devices as unknown as DeviceRepository,
    deviceCommand as unknown as DeviceCommandClient,
    events as unknown as EventBus,
    new GatewayMetrics(new Registry()),
  );
  return { invoker, devices, deviceCommand, events, result };
}

describe('DeviceInvoker', () => {
  it('raises DEVICE_NOT_FOUND for a name the caller has no device by, and sends nothing', async () => {
    const { invoker, devices, deviceCommand } = setUp(null);
    const error = await invoker
      .invoke('owner-1', 'lamp', 'get_gpio', { number: 3 }, 5000, 'cmd-1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceNotFoundError);
    expect(error).toMatchObject({ code: 'DEVICE_NOT_FOUND', kind: 'not_found' });
    expect(devices.findActiveByName).toHaveBeenCalledWith('owner-1', 'lamp');
    expect(deviceCommand.request).not.toHaveBeenCalled();
  });

  it("relays a valid request to the device's shard with the device timeout plus the RPC margin", async () => {
    const { invoker, deviceCommand, events, result } = setUp({ name: 'lamp' });
    await expect(invoker.invoke('owner-1', 'lamp', 'set_gpio', { number: 3, value: 1 }, 700, 'cmd-1')).resolves.toBe(
      result,
    );
    expect(deviceCommand.request).toHaveBeenCalledWith(
      DeviceCommandPattern.invoke,
      { deviceId: DEVICE_ID, api: 'set_gpio', params: { number: 3, value: 1 }, timeoutMs: 700 },
      { timeoutMs: 700 + RPC_MARGIN_MS, shardKey: DEVICE_ID },
    );
    expect(events.publish).toHaveBeenCalledWith(expect.objectContaining({ commandId: 'cmd-1', outcome: 'OK' }));
  });

  it('refuses a request that breaks the API schema before looking the device up', async () => {
    const { invoker, devices, deviceCommand } = setUp({ name: 'lamp' });
    const error = await invoker
      .invoke('owner-1', 'lamp', 'get_gpio', { number: 999 }, 5000, 'cmd-1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidDeviceRequestError);
    expect(devices.findActiveByName).not.toHaveBeenCalled();
    expect(deviceCommand.request).not.toHaveBeenCalled();
  });
});
