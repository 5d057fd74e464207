import { BrokerClientConfig, DeviceCommandQueueType } from '@app/common';
import { IsIn, IsInt, IsNotEmpty, IsString, Max, Min, MinLength } from 'class-validator';

/** device-command's configuration, validated at start-up. */
export class DeviceCommandConfig extends BrokerClientConfig {
  @IsString()
  @IsNotEmpty()
  DEVICE_COMMAND_AMQP_USER: string = 'iotcloud-device-command';

  @IsString()
  @MinLength(8, { message: 'DEVICE_COMMAND_AMQP_PASSWORD is not set (run `npm run setup` to generate one)' })
  DEVICE_COMMAND_AMQP_PASSWORD: string;

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
}
