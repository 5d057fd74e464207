import { Transform } from 'class-transformer';
import { availableParallelism } from 'node:os';
import {
  BrokerClientConfig,
  IsBooleanSetting,
  IsHostSetting,
  IsIntSetting,
  IsPatternSetting,
  IsPortSetting,
  IsSecretSetting,
  IsTextSetting,
} from '@app/common/nest';
import { Validate, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
import { isIP } from 'node:net';

/** TRUST_PROXY as Express takes it: a boolean, a hop count, or a list of addresses/subnets. */
export function parseTrustProxy(value: unknown): unknown {
  if (value === undefined || value === '' || typeof value === 'boolean' || typeof value === 'number')
    return value ?? false;
  if (typeof value !== 'string') return value; // left as is, so the validator names the variable
  const text = value.trim();
  if (/^(false|0|no)$/i.test(text)) return false;
  if (/^(true|yes)$/i.test(text)) return true;
  if (/^\d+$/.test(text)) return Number(text);
  return text;
}

const TRUST_PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

@ValidatorConstraint({ name: 'isTrustProxy' })
class IsTrustProxy implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value === 'boolean') return true;
    if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= 32;
    if (typeof value !== 'string') return false;
    return value.split(',').every((part) => {
      const [address, bits] = part.trim().split('/');
      if (TRUST_PROXY_NAMES.has(address) && bits === undefined) return true;
      return isIP(address) !== 0 && (bits === undefined || /^\d{1,3}$/.test(bits));
    });
  }
  defaultMessage(): string {
    return 'TRUST_PROXY must be true, false, a hop count, or comma-separated addresses/subnets (e.g. loopback, 10.0.0.0/8)';
  }
}

/**
 * The api-gateway's configuration, read from the environment (and .env) and
 * validated at start-up. Defaults match the local stack of `npm start`.
 */
export class GatewayConfig extends BrokerClientConfig {
  @IsPortSetting()
  PORT: number = 8443;

  /** HTTPS with the server certificate; plain HTTP only when explicitly configured. */
  @IsBooleanSetting(true)
  HTTPS: boolean = true;

  /**
   * Express's `trust proxy`: which proxies' X-Forwarded-For to believe for the client
   * address. `false` (default: none), `true` (any, only if the port is reachable through the
   * proxy alone), a hop count, or addresses/subnets/`loopback`, comma-separated.
   */
  @Transform(({ value }: { value: unknown }) => parseTrustProxy(value))
  @Validate(IsTrustProxy)
  TRUST_PROXY: boolean | number | string = false;

  /** Host name devices use to reach the broker; returned by POST /devices. */
  @IsHostSetting()
  PUBLIC_HOST: string = 'localhost';

  @IsIntSetting(1, 3650)
  DEVICE_CERT_VALIDITY_DAYS: number = 365;

  /**
   * RSA key pairs generated at once (each costs 100-200 ms of a core on libuv's
   * thread pool; beyond this they queue). Default: one core less than the
   * machine has, so the event loop keeps a core while registrations run.
   */
  @IsIntSetting(1, 64)
  RSA_KEYGEN_CONCURRENCY: number = Math.max(1, availableParallelism() - 1);

  @IsSecretSetting(32)
  JWT_SECRET: string;

  /** Server-side key the legacy (libpyiotcloud) secrets are derived from; changing it rotates them all. */
  @IsSecretSetting(32)
  LEGACY_SECRET_KEY: string;

  @IsIntSetting(60, 7 * 24 * 3600)
  JWT_EXPIRES_IN_SECONDS: number = 3600;

  /** Failed logins per username, then per client address, allowed within the window before 429. */
  @IsIntSetting(1, 1000)
  LOGIN_MAX_FAILURES_PER_USERNAME: number = 5;

  @IsIntSetting(1, 100000)
  LOGIN_MAX_FAILURES_PER_ADDRESS: number = 20;

  @IsIntSetting(1, 86400)
  LOGIN_THROTTLE_WINDOW_SECONDS: number = 900;

  @IsPatternSetting(/^mongodb(\+srv)?:\/\//, 'MONGODB_URI must be a mongodb:// or mongodb+srv:// URI')
  MONGODB_URI: string = 'mongodb://127.0.0.1:27018/iotcloud';

  /** How long a database call waits for a reachable server before 503 DATABASE_UNAVAILABLE. */
  @IsIntSetting(100, 60000)
  MONGODB_SERVER_SELECTION_TIMEOUT_MS: number = 500;

  @IsPortSetting()
  MQTT_PORT: number = 8883;

  /** Internal endpoint for RabbitMQ's HTTP auth backend (0 disables it). Never expose it publicly. */
  @IsPortSetting({ zeroDisables: true })
  BROKER_AUTH_PORT: number = 8089;

  @IsHostSetting()
  BROKER_AUTH_HOST: string = '127.0.0.1';

  /** How long device lookups stay cached in memory (revocations by this process apply at once). */
  @IsIntSetting(0, 60000)
  DEVICE_CACHE_TTL_MS: number = 5000;

  /** The broker's answer cache (must match the broker's auth_cache.cache_ttl). */
  @IsIntSetting(0, 600000)
  BROKER_AUTH_CACHE_TTL_MS: number = 2000;

  /** RabbitMQ management API (HTTPS, loopback), used to close revoked devices' connections. */
  @IsPatternSetting(/^https?:\/\//, 'BROKER_MANAGEMENT_URL must be an http(s) URL')
  BROKER_MANAGEMENT_URL: string = 'https://127.0.0.1:15671';

  @IsTextSetting()
  BROKER_ADMIN_USER: string = 'iotcloud-admin';

  @IsSecretSetting(8)
  BROKER_ADMIN_PASSWORD: string;

  /** Record every device command (history of `GET /devices/{name}/commands`); false only to measure its cost. */
  @IsBooleanSetting(true)
  COMMAND_HISTORY: boolean = true;

  /**
   * Track device presence from the broker's connection events (online, lastSeenAt,
   * device.connected/disconnected); false only to measure its cost.
   */
  @IsBooleanSetting(true)
  PRESENCE: boolean = true;

  /** Days a command stays in the history (TTL index; a sweep where the database has none). */
  @IsIntSetting(1, 3650)
  COMMAND_HISTORY_DAYS: number = 30;

  /** Days an audit entry is kept (TTL index; a sweep where the database has none). */
  @IsIntSetting(1, 3650)
  AUDIT_LOG_DAYS: number = 365;

  /** Listener of /metrics, apart from the public API; loopback by default (0 disables it). */
  @IsPortSetting({ zeroDisables: true })
  METRICS_PORT: number = 9464;

  @IsHostSetting()
  METRICS_HOST: string = '127.0.0.1';

  /** Largest accepted request body (body-parser syntax). */
  @IsPatternSetting(/^\d+(b|kb|mb)$/i)
  BODY_LIMIT: string = '64kb';
}
