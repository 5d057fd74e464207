import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { DeviceCommandUnavailableError, InvokeDeviceResult } from '@app/common/device-command';
import {
  DEVICE_TIMEOUT_MS,
  InvalidDeviceRequestError,
  defaultTimeoutMs,
  isDeviceApi,
  isDeviceReadApi,
  isValidDeviceId,
  parseDeviceRequest,
} from '@app/device-protocol';
import { DeviceDispatcher } from '../../link/device-dispatcher';
import { InvokeDeviceCommand } from './invoke-device.command';

@CommandHandler(InvokeDeviceCommand)
export class InvokeDeviceHandler implements ICommandHandler<InvokeDeviceCommand> {
  constructor(private readonly dispatcher: DeviceDispatcher) {}

  async execute({ deviceId, api, params, timeoutMs, delivery }: InvokeDeviceCommand): Promise<InvokeDeviceResult> {
    // The gateway validated already; a message from the broker is still an edge.
    if (!isDeviceApi(api)) throw new InvalidDeviceRequestError(`unknown api "${api}"`, { api, reason: 'unknown api' });
    if (!isValidDeviceId(deviceId)) {
      throw new InvalidDeviceRequestError(`${api} request: invalid device id`, { api, reason: 'invalid device id' });
    }
    if (delivery) this.dispatcher.delivered(deviceId, delivery.consumer);
    if (delivery?.redelivered && !isDeviceReadApi(api)) {
      // The consumer it went to first stopped before answering: it may have sent it to the device
      // already. A write is not sent twice; its caller learns that its outcome is unknown (503, and
      // `unknown` in a job). A read is harmless to send again.
      throw new DeviceCommandUnavailableError(
        `the replica that took this ${api} request stopped before answering; it may or may not have reached the device, and is not sent again`,
      );
    }
    const payload = parseDeviceRequest(api, params);
    const timeout = Number.isFinite(timeoutMs)
      ? Math.min(Math.max(Math.round(timeoutMs), DEVICE_TIMEOUT_MS.min), DEVICE_TIMEOUT_MS.max)
      : defaultTimeoutMs(api);
    return this.dispatcher.dispatch(deviceId, api, payload, timeout);
  }
}
