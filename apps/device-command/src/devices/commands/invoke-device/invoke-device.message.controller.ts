import { Controller, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CommandBus } from '@nestjs/cqrs';
import { Ctx, MessagePattern, Payload, RmqContext } from '@nestjs/microservices';
import { DeviceCommandPattern, DeviceCommandRequest, DeviceCommandResult, shardOf } from '@app/common/device-command';
import { REQUEST_ID_HEADER, requestIdFrom, runInRequest } from '@app/common';
import { deviceCallOutcome, secondsSince } from '@app/common/nest';
import { isDeviceApi } from '@app/device-protocol';
import { DeviceCommandConfig } from '../../../config/device-command.config';
import { DeviceCommandMetrics } from '../../../observability/device-command.metrics';
import { InvokeDeviceCommand } from './invoke-device.command';
import { ackWhenDone } from '../../../transport.options';

type Request = DeviceCommandRequest<typeof DeviceCommandPattern.invoke>;
type Result = DeviceCommandResult<typeof DeviceCommandPattern.invoke>;

@Controller()
export class InvokeDeviceMessageController {
  private readonly logger = new Logger('InvokeDevice');
  private readonly shards: number;

  constructor(
    private readonly commandBus: CommandBus,
    private readonly metrics: DeviceCommandMetrics,
    config: ConfigService<DeviceCommandConfig, true>,
  ) {
    this.shards = config.get('DEVICE_COMMAND_SHARDS', { infer: true });
  }

  @MessagePattern(DeviceCommandPattern.invoke)
  invoke(@Payload() request: Request | undefined, @Ctx() context: RmqContext): Promise<Result> {
    const message = context.getMessage() as {
      fields?: { consumerTag?: string; redelivered?: boolean };
      properties?: { headers?: Record<string, unknown> };
    };
    // The gateway's request id, so this call's log lines can be found next to the gateway's.
    const requestId = requestIdFrom(message.properties?.headers?.[REQUEST_ID_HEADER]);
    const deviceId = String(request?.deviceId);
    const rawApi = String(request?.api);
    const api = isDeviceApi(rawApi) ? rawApi : 'unknown'; // a label: only known names
    const shard = String(shardOf(deviceId, this.shards));
    const started = performance.now();
    this.metrics.inFlightRequests.inc({ shard });
    let failure: unknown;
    return runInRequest({ requestId }, () =>
      ackWhenDone(context, async () => {
        try {
          const params = typeof request?.params === 'object' && request.params !== null ? request.params : {};
          return await this.commandBus.execute(
            new InvokeDeviceCommand(deviceId, rawApi, params, Number(request?.timeoutMs), {
              consumer: String(message.fields?.consumerTag),
              redelivered: message.fields?.redelivered === true,
            }),
          );
        } catch (error) {
          failure = error;
          throw error;
        } finally {
          this.metrics.inFlightRequests.dec({ shard });
          const outcome = deviceCallOutcome(failure);
          const seconds = secondsSince(started);
          this.metrics.callDuration.observe({ api, outcome }, seconds);
          this.logger.debug({ message: 'invoke', api, outcome, shard, durationMs: Math.round(seconds * 10000) / 10 });
        }
      }),
    );
  }
}
