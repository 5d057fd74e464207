// The implicit conversion of env strings reads the design types TypeScript emits, which need
// Reflect.metadata at class definition: @app/common is loaded without Nest (e.g. first through
// @app/pki), so it cannot rely on Nest having loaded the polyfill already.
import 'reflect-metadata';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, Min } from 'class-validator';
import { DEFAULT_DEVICE_COMMAND_SHARDS } from '../messaging/device-command.contract';

/**
 * Settings every app that talks to the broker shares; each app's config class
 * extends it. Explicit field types: class-transformer converts env strings by
 * the emitted design types.
 */
export class BrokerClientConfig {
  /** Where rootca.pem and the services' client certificates live. */
  @IsString()
  @IsNotEmpty()
  CERTS_DIR: string = 'certs';

  @IsString()
  @IsNotEmpty()
  AMQP_HOST: string = 'localhost';

  @IsInt()
  @Min(1)
  @Max(65535)
  AMQP_PORT: number = 5671;

  /** Shard queues of device requests; api-gateway and device-command must agree. */
  @IsInt()
  @Min(1)
  @Max(256)
  DEVICE_COMMAND_SHARDS: number = DEFAULT_DEVICE_COMMAND_SHARDS;

  @IsOptional()
  @IsString()
  LOG_LEVEL?: string;

  /** `text` (default) or `json`: one JSON object per line. */
  @IsOptional()
  @IsIn(['text', 'json'])
  LOG_FORMAT?: string;
}
