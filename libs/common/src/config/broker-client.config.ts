// The implicit conversion of env strings reads the design types TypeScript emits, which need
// Reflect.metadata at class definition: @app/common is loaded without Nest (e.g. first through
// @app/pki, or a test importing the simulator before the apps), so it cannot rely on Nest
// having loaded the polyfill already.
import 'reflect-metadata';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { DEFAULT_DEVICE_COMMAND_SHARDS } from '../messaging/device-command.contract';
import { IsHostSetting, IsIntSetting, IsPortSetting, IsTextSetting } from './setting-decorators';

/**
 * Settings every app that talks to the broker shares; each app's config class
 * extends it. Explicit field types: class-transformer converts env strings by
 * the emitted design types.
 */
const AMQP_URLS_PATTERN = /^amqps:\/\/[^\s,:/@]+:\d{1,5}(,amqps:\/\/[^\s,:/@]+:\d{1,5})*$/;

/** `amqps://a:1,amqps://b:2` → endpoints; undefined when unset or empty. */
export function parseAmqpUrls(list: string | undefined): { host: string; port: number }[] | undefined {
  if (!list) return undefined;
  return list.split(',').map((url) => {
    const { hostname, port } = new URL(url);
    return { host: hostname, port: Number(port) };
  });
}

export class BrokerClientConfig {
  /** Where rootca.pem and the services' client certificates live. */
  @IsTextSetting()
  CERTS_DIR: string = 'certs';

  @IsHostSetting()
  AMQP_HOST: string = 'localhost';

  @IsPortSetting()
  AMQP_PORT: number = 5671;

  /**
   * The broker's nodes, `amqps://host:port` comma-separated (a cluster); when set, it
   * replaces AMQP_HOST/AMQP_PORT. A lost connection is re-opened to the next node.
   */
  @IsOptional()
  @Matches(AMQP_URLS_PATTERN, { message: 'AMQP_URLS must be amqps://host:port[,amqps://host:port...]' })
  AMQP_URLS?: string;

  /** Shard queues of device requests; api-gateway and device-command must agree. */
  @IsIntSetting(1, 256)
  DEVICE_COMMAND_SHARDS: number = DEFAULT_DEVICE_COMMAND_SHARDS;

  @IsOptional()
  @IsString()
  LOG_LEVEL?: string;

  /** `text` (default) or `json`: one JSON object per line. */
  @IsOptional()
  @IsIn(['text', 'json'])
  LOG_FORMAT?: string;
}
