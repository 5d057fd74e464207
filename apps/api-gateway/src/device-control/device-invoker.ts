import { Inject, Injectable } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { DomainError } from '@app/common';
import { DeviceCommandPattern, InvokeDeviceRequest, InvokeDeviceResult } from '@app/common/device-command';
import { deviceCallOutcome, secondsSince } from '@app/common/nest';
import { DeviceApi, parseDeviceRequest } from '@app/device-protocol';
import { DEVICE_REPOSITORY, DeviceRepository } from '../devices/database/device.repository.port';
import { DeviceCommandClient } from '../infrastructure/device-command.client';
import { GatewayMetrics } from '../observability/gateway.metrics';
import { DeviceCommandCompletedEvent } from './domain/device-command-completed.event';
import { findOwnedDevice } from '../devices/queries/owned-device';

/**
 * Extra time the gateway waits beyond the device timeout, for the hops to device-command and back
 * (a few ms when healthy). It bounds how long a caller waits when device-command never answers (a
 * replica killed mid-request): the call ends within its timeout plus this, inside the promise
 * that no call outlives its timeout by more than 1 s (docs/reliability.md), with the other half second
 * left for the HTTP hop and a loaded machine. On a machine so loaded that device-command's own
 * DEVICE_TIMEOUT answer comes later than this, the call answers DEVICE_COMMAND_UNAVAILABLE instead.
 */
export const RPC_MARGIN_MS = 500;

/** The outcome of a command that failed with something other than a domain error. */
export const UNEXPECTED_OUTCOME = 'INTERNAL_ERROR';

/**
 * The one path from a use case to a device: resolve the caller's device by name,
 * validate the request against the API's schema, and relay it to device-command.
 * Both the read queries and the control commands use it. Every command that reaches
 * a device of the caller ends in a DeviceCommandCompletedEvent (history, event stream,
 * presence), published after the answer, off the request path.
 */
@Injectable()
export class DeviceInvoker {
  constructor(
    @Inject(DEVICE_REPOSITORY) private readonly devices: DeviceRepository,
    private readonly deviceCommand: DeviceCommandClient,
    private readonly events: EventBus,
    private readonly metrics: GatewayMetrics,
  ) {}

  async invoke(
    ownerId: string,
    name: string,
    api: DeviceApi,
    params: object,
    timeoutMs: number,
    commandId: string,
    /** The job this command belongs to, for the device's history. */
    jobId?: string,
  ): Promise<InvokeDeviceResult> {
    const requestedAt = new Date();
    const started = performance.now();
    const payload = parseDeviceRequest(api, params) as Record<string, unknown>;
    const device = await findOwnedDevice(this.devices, ownerId, name);
    const request: InvokeDeviceRequest = { deviceId: device.deviceId, api, params: payload, timeoutMs };
    const complete = (outcome: string, result: InvokeDeviceResult | null): void =>
      void this.events.publish(
        new DeviceCommandCompletedEvent(
          commandId,
          ownerId,
          device.deviceId,
          device.name,
          api,
          payload,
          outcome,
          result?.reply ?? null,
          requestedAt,
          new Date(),
          Math.round((performance.now() - started) * 100) / 100,
          result ? result.deviceLatencyMs : null,
          jobId,
        ),
      );
    const rpcStarted = performance.now();
    let failure: unknown;
    try {
      const result = await this.deviceCommand.request(DeviceCommandPattern.invoke, request, {
        timeoutMs: timeoutMs + RPC_MARGIN_MS,
        shardKey: device.deviceId,
      });
      complete('OK', result);
      return result;
    } catch (error) {
      failure = error;
      complete(error instanceof DomainError ? error.code : UNEXPECTED_OUTCOME, null);
      throw error;
    } finally {
      this.metrics.deviceCallDuration.observe({ api, outcome: deviceCallOutcome(failure) }, secondsSince(rpcStarted));
    }
  }
}
