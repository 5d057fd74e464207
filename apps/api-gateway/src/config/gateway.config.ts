import { Transform } from 'class-transformer';
import { availableParallelism } from 'node:os';
import { BrokerClientConfig } from '@app/common/nest';
import {
  IsBoolean,
  IsInt,
  IsNotEmpty,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  Validate,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { isIP } from 'node:net';

/** Reads the raw env string: implicit conversion alone would turn "false" into true. */
const toBoolean = (fallback: boolean) =>
  Transform(({ obj, key }: { obj: Record<string, unknown>; key: string }) => {
    const value = obj[key];
    if (value === undefined || value === '') return fallback;
    if (typeof value === 'boolean') return value;
    if (typeof value !== 'string' && typeof value !== 'number') return value;
    if (/^(true|1|yes)$/i.test(String(value))) return true;
    if (/^(false|0|no)$/i.test(String(value))) return false;
    return value; // left as is, so @IsBoolean names the variable
  });

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
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT: number = 8443;

  /** HTTPS with the server certificate; plain HTTP only when explicitly configured. */
  @toBoolean(true)
  @IsBoolean()
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
  @IsString()
  @IsNotEmpty()
  PUBLIC_HOST: string = 'localhost';

  @IsInt()
  @Min(1)
  @Max(3650)
  DEVICE_CERT_VALIDITY_DAYS: number = 365;

  /**
   * RSA key pairs generated at once (each costs 100-200 ms of a core on libuv's
   * thread pool; beyond this they queue). Default: one core less than the
   * machine has, so the event loop keeps a core while registrations run.
   */
  @IsInt()
  @Min(1)
  @Max(64)
  RSA_KEYGEN_CONCURRENCY: number = Math.max(1, availableParallelism() - 1);

  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters (run `npm run setup` to generate one)' })
  JWT_SECRET: string;

  /** Server-side key the legacy (libpyiotcloud) secrets are derived from; changing it rotates them all. */
  @IsString()
  @MinLength(32, { message: 'LEGACY_SECRET_KEY must be at least 32 characters (run `npm run setup` to generate one)' })
  LEGACY_SECRET_KEY: string;

  @IsInt()
  @Min(60)
  @Max(7 * 24 * 3600)
  JWT_EXPIRES_IN_SECONDS: number = 3600;

  /** Failed logins per username, then per client address, allowed within the window before 429. */
  @IsInt()
  @Min(1)
  @Max(1000)
  LOGIN_MAX_FAILURES_PER_USERNAME: number = 5;

  @IsInt()
  @Min(1)
  @Max(100000)
  LOGIN_MAX_FAILURES_PER_ADDRESS: number = 20;

  @IsInt()
  @Min(1)
  @Max(86400)
  LOGIN_THROTTLE_WINDOW_SECONDS: number = 900;

  @IsString()
  @Matches(/^mongodb(\+srv)?:\/\//, { message: 'MONGODB_URI must be a mongodb:// or mongodb+srv:// URI' })
  MONGODB_URI: string = 'mongodb://127.0.0.1:27018/iotcloud';

  /** How long a database call waits for a reachable server before 503 DATABASE_UNAVAILABLE. */
  @IsInt()
  @Min(100)
  @Max(60000)
  MONGODB_SERVER_SELECTION_TIMEOUT_MS: number = 500;

  @IsInt()
  @Min(1)
  @Max(65535)
  MQTT_PORT: number = 8883;

  /** Internal endpoint for RabbitMQ's HTTP auth backend (0 disables it). Never expose it publicly. */
  @IsInt()
  @Min(0)
  @Max(65535)
  BROKER_AUTH_PORT: number = 8089;

  @IsString()
  @IsNotEmpty()
  BROKER_AUTH_HOST: string = '127.0.0.1';

  /** How long device lookups stay cached in memory (revocations by this process apply at once). */
  @IsInt()
  @Min(0)
  @Max(60000)
  DEVICE_CACHE_TTL_MS: number = 5000;

  /** The broker's answer cache (must match the broker's auth_cache.cache_ttl). */
  @IsInt()
  @Min(0)
  @Max(600000)
  BROKER_AUTH_CACHE_TTL_MS: number = 2000;

  /** RabbitMQ management API (HTTPS, loopback), used to close revoked devices' connections. */
  @IsString()
  @Matches(/^https?:\/\//, { message: 'BROKER_MANAGEMENT_URL must be an http(s) URL' })
  BROKER_MANAGEMENT_URL: string = 'https://127.0.0.1:15671';

  @IsString()
  @IsNotEmpty()
  BROKER_ADMIN_USER: string = 'iotcloud-admin';

  @IsString()
  @MinLength(8, { message: 'BROKER_ADMIN_PASSWORD is not set (run `npm run setup` to generate one)' })
  BROKER_ADMIN_PASSWORD: string;

  /** Record every device command (history of `GET /devices/{name}/commands`); false only to measure its cost. */
  @toBoolean(true)
  @IsBoolean()
  COMMAND_HISTORY: boolean = true;

  /** Days a command stays in the history (TTL index; a sweep where the database has none). */
  @IsInt()
  @Min(1)
  @Max(3650)
  COMMAND_HISTORY_DAYS: number = 30;

  /** Days an audit entry is kept (TTL index; a sweep where the database has none). */
  @IsInt()
  @Min(1)
  @Max(3650)
  AUDIT_LOG_DAYS: number = 365;

  /** Listener of /metrics, apart from the public API; loopback by default (0 disables it). */
  @IsInt()
  @Min(0)
  @Max(65535)
  METRICS_PORT: number = 9464;

  @IsString()
  @IsNotEmpty()
  METRICS_HOST: string = '127.0.0.1';

  /** Largest accepted request body (body-parser syntax). */
  @IsString()
  @Matches(/^\d+(b|kb|mb)$/i)
  BODY_LIMIT: string = '64kb';
}
