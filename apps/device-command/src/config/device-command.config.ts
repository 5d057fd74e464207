import { BrokerClientConfig } from '@app/common';
import { IsInt, Max, Min } from 'class-validator';

/** device-command's configuration, validated at start-up. */
export class DeviceCommandConfig extends BrokerClientConfig {
  /** Requests that may wait for one busy device; beyond that: 429 DEVICE_BUSY. */
  @IsInt()
  @Min(1)
  @Max(10000)
  DEVICE_QUEUE_LIMIT: number = 32;

  /** How many RPC messages one replica works on at once, per shard. */
  @IsInt()
  @Min(1)
  @Max(10000)
  DEVICE_COMMAND_PREFETCH: number = 256;
}
