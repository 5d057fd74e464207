import { Inject, Injectable } from '@nestjs/common';
import { DeviceCommandPattern, InvokeDeviceRequest, InvokeDeviceResult } from '@app/common/device-command';
import { deviceCallOutcome, secondsSince } from '@app/common/nest';
import { DeviceApi, parseDeviceRequest } from '@app/device-protocol';
import { DEVICE_REPOSITORY, DeviceRepository } from '../devices/database/device.repository.port';
import { DeviceNotFoundError } from '../devices/domain/device.errors';
import { DeviceCommandClient } from '../infrastructure/device-command.client';
import { GatewayMetrics } from '../observability/gateway.metrics';

/** Extra time the gateway waits beyond the device timeout, for the hops to device-command and back. */
export const RPC_MARGIN_MS = 1000;

/**
 * The one path from a use case to a device: resolve the caller's device by name,
 * validate the request against the API's schema, and relay it to device-command.
 * Both the read queries and the control commands use it.
 */
@Injectable()
export class DeviceInvoker {
  constructor(
    @Inject(DEVICE_REPOSITORY) private readonly devices: DeviceRepository,
    private readonly deviceCommand: DeviceCommandClient,
    private readonly metrics: GatewayMetrics,
  ) {}

  async invoke(
    ownerId: string,
    name: string,
    api: DeviceApi,
    params: object,
    timeoutMs: number,
  ): Promise<InvokeDeviceResult> {
    const payload = parseDeviceRequest(api, params) as Record<string, unknown>;
    const device = await this.devices.findActiveByName(ownerId, name);
    if (!device) throw new DeviceNotFoundError(name);
    const request: InvokeDeviceRequest = { deviceId: device.deviceId, api, params: payload, timeoutMs };
    const started = performance.now();
    let failure: unknown;
    try {
      return await this.deviceCommand.request(DeviceCommandPattern.invoke, request, {
        timeoutMs: timeoutMs + RPC_MARGIN_MS,
        shardKey: device.deviceId,
      });
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      this.metrics.deviceCallDuration.observe({ api, outcome: deviceCallOutcome(failure) }, secondsSince(started));
    }
  }
}
