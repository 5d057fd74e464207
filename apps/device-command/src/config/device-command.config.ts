import { DEFAULT_DEVICE_COMMAND_SHARDS } from '@app/common';
import { IsInt, IsNotEmpty, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';

/** device-command's configuration, validated at start-up. */
// Explicit field types: class-transformer converts env strings by the emitted design types.
export class DeviceCommandConfig {
  @IsString() @IsNotEmpty()
  CERTS_DIR: string = 'certs';

  @IsString() @IsNotEmpty()
  AMQP_HOST: string = 'localhost';

  @IsInt() @Min(1) @Max(65535)
  AMQP_PORT: number = 5671;

  @IsString() @IsNotEmpty()
  DEVICE_COMMAND_AMQP_USER: string = 'iotcloud-device-command';

  @IsString() @MinLength(8, { message: 'DEVICE_COMMAND_AMQP_PASSWORD is not set (run `npm run setup` to generate one)' })
  DEVICE_COMMAND_AMQP_PASSWORD: string;

  /** Shard queues requests are spread over; the gateway must use the same number. */
  @IsInt() @Min(1) @Max(256)
  DEVICE_COMMAND_SHARDS: number = DEFAULT_DEVICE_COMMAND_SHARDS;

  /** Requests that may wait for one busy device; beyond that: 429 DEVICE_BUSY. */
  @IsInt() @Min(1) @Max(10000)
  DEVICE_QUEUE_LIMIT: number = 32;

  /** How many RPC messages one replica works on at once, per shard. */
  @IsInt() @Min(1) @Max(10000)
  DEVICE_COMMAND_PREFETCH: number = 256;

  @IsOptional() @IsString()
  LOG_LEVEL?: string;
}
