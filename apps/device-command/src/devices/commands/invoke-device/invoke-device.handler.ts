import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { InvokeDeviceResult } from '@app/common/device-command';
import {
  DEVICE_TIMEOUT_MS,
  InvalidDeviceRequestError,
  defaultTimeoutMs,
  isDeviceApi,
  isValidDeviceId,
  parseDeviceRequest,
} from '@app/device-protocol';
import { DeviceDispatcher } from '../../link/device-dispatcher';
import { InvokeDeviceCommand } from './invoke-device.command';

@CommandHandler(InvokeDeviceCommand)
export class InvokeDeviceHandler implements ICommandHandler<InvokeDeviceCommand> {
  constructor(private readonly dispatcher: DeviceDispatcher) {}

  async execute({ deviceId, api, params, timeoutMs }: InvokeDeviceCommand): Promise<InvokeDeviceResult> {
    // The gateway validated already; a message from the broker is still an edge.
    if (!isDeviceApi(api)) throw new InvalidDeviceRequestError(`unknown api "${api}"`, { api, reason: 'unknown api' });
    if (!isValidDeviceId(deviceId)) {
      throw new InvalidDeviceRequestError(`${api} request: invalid device id`, { api, reason: 'invalid device id' });
    }
    const payload = parseDeviceRequest(api, params);
    const timeout = Number.isFinite(timeoutMs)
      ? Math.min(Math.max(Math.round(timeoutMs), DEVICE_TIMEOUT_MS.min), DEVICE_TIMEOUT_MS.max)
      : defaultTimeoutMs(api);
    return this.dispatcher.dispatch(deviceId, api, payload, timeout);
  }
}
