import { EventBus } from '@nestjs/cqrs';
import { Registry } from 'prom-client';
import { DeviceCommandPattern, DeviceTimeoutError, InvokeDeviceResult } from '@app/common/device-command';
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
  const registry = new Registry();
  const invoker = new DeviceInvoker(
    devices as unknown as DeviceRepository,
    deviceCommand as unknown as DeviceCommandClient,
    events as unknown as EventBus,
    new GatewayMetrics(registry),
  );
  return { invoker, devices, deviceCommand, events, result, registry };
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

  describe('the completed event and the device-call metric', () => {
    afterEach(() => jest.restoreAllMocks());

    /** The outcome label of the one device call the histogram has counted. */
    async function observedOutcome(registry: Registry): Promise<unknown> {
      const metric = await registry.getSingleMetric('iotcloud_gateway_device_call_duration_seconds')!.get();
      const counts = metric.values.filter(
        (v) => String((v as { metricName?: string }).metricName).endsWith('_count') && v.value > 0,
      );
      expect(counts).toHaveLength(1);
      return counts[0].labels.outcome;
    }

    it("carries the device's reply, its latency and the total time rounded to 0.01 ms", async () => {
      const clock = [1000, 1001, 1012.34567];
      jest.spyOn(performance, 'now').mockImplementation(() => clock.shift() ?? 2000);
      const { invoker, events, registry } = setUp({ name: 'lamp' });
      await invoker.invoke('owner-1', 'lamp', 'set_gpio', { number: 3, value: 1 }, 700, 'cmd-1');
      expect(events.publish).toHaveBeenCalledWith(
        expect.objectContaining({
          deviceName: 'lamp',
          outcome: 'OK',
          reply: { number: 3, value: 1 },
          totalMs: 12.35,
          deviceMs: 1.5,
        }),
      );
      expect(await observedOutcome(registry)).toBe('ok');
    });

    it("ends a domain error in an event with the error's code and no reply, and rethrows it", async () => {
      const { invoker, deviceCommand, events, registry } = setUp({ name: 'lamp' });
      const timeout = new DeviceTimeoutError(DEVICE_ID, 700);
      deviceCommand.request.mockRejectedValueOnce(timeout);
      await expect(invoker.invoke('owner-1', 'lamp', 'get_gpio', { number: 3 }, 700, 'cmd-2')).rejects.toBe(timeout);
      expect(events.publish).toHaveBeenCalledWith(
        expect.objectContaining({ commandId: 'cmd-2', outcome: 'DEVICE_TIMEOUT', reply: null, deviceMs: null }),
      );
      expect(await observedOutcome(registry)).toBe('timeout');
    });

    it('ends anything else in an event with INTERNAL_ERROR, and rethrows it', async () => {
      const { invoker, deviceCommand, events, registry } = setUp({ name: 'lamp' });
      const crash = new Error('socket hang up');
      deviceCommand.request.mockRejectedValueOnce(crash);
      await expect(invoker.invoke('owner-1', 'lamp', 'get_gpio', { number: 3 }, 700, 'cmd-3')).rejects.toBe(crash);
      expect(events.publish).toHaveBeenCalledWith(
        expect.objectContaining({ outcome: 'INTERNAL_ERROR', reply: null, deviceMs: null }),
      );
      expect(await observedOutcome(registry)).toBe('error');
    });
  });
});
