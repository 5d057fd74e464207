import type { DeviceCommandQueueType } from '@app/common/device-command';
import { BrokerClientConfig } from '@app/common/nest';
import { IsIn, IsInt, IsNotEmpty, IsString, Max, Min } from 'class-validator';

/** device-command's configuration, validated at start-up. */
export class DeviceCommandConfig extends BrokerClientConfig {
  /** Requests that may wait for one busy device; beyond that: 429 DEVICE_BUSY. */
  @IsInt()
  @Min(1)
  @Max(10000)
  DEVICE_QUEUE_LIMIT: number = 32;

  /** classic on one node; quorum on a cluster, so the shard queues survive the loss of a node. */
  @IsIn(['classic', 'quorum'])
  DEVICE_COMMAND_QUEUE_TYPE: DeviceCommandQueueType = 'classic';

  /** How many RPC messages one replica works on at once, per shard. */
  @IsInt()
  @Min(1)
  @Max(10000)
  DEVICE_COMMAND_PREFETCH: number = 256;

  /** Listener of /metrics and /health/*, loopback by default (0 disables it). */
  @IsInt()
  @Min(0)
  @Max(65535)
  DEVICE_COMMAND_HTTP_PORT: number = 9465;

  @IsString()
  @IsNotEmpty()
  DEVICE_COMMAND_HTTP_HOST: string = '127.0.0.1';
}
