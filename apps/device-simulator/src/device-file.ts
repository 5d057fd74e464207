import { readFile } from 'node:fs/promises';
import { isValidDeviceId } from '@app/device-protocol';

export interface BrokerEndpoint {
  host: string;
  port: number;
}

/** Everything a simulated device needs to connect, whichever transport it uses. */
export interface DeviceConfig {
  deviceId: string;
  name?: string;
  certificatePem: string;
  privateKeyPem: string;
  caPem: string;
  mqtt: BrokerEndpoint;
  amqp: BrokerEndpoint;
  /** Where it came from (file path or "flags"), for messages. */
  source: string;
}

/** Command-line overrides: paths for the PEM files, values for the rest. */
export interface DeviceOverrides {
  /** --id */
  deviceId?: string;
  /** --cert FILE */
  certFile?: string;
  /** --key FILE */
  keyFile?: string;
  /** --ca FILE */
  caFile?: string;
  /** --host: replaces both endpoints' host. */
  host?: string;
  /** --mqtt-port */
  mqttPort?: number;
  /** --amqp-port */
  amqpPort?: number;
}

/** Overrides with the PEM files already read. */
export interface ResolvedOverrides {
  deviceId?: string;
  certificatePem?: string;
  privateKeyPem?: string;
  caPem?: string;
  host?: string;
  mqttPort?: number;
  amqpPort?: number;
}

/** A device file or flag set that cannot be used; the message lists every problem. */
export class DeviceFileError extends Error {
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(message);
    this.name = 'DeviceFileError';
  }
}

/** Used without a device file: the local broker. */
export const DEFAULT_ENDPOINTS = Object.freeze({
  host: 'localhost',
  mqttPort: 8883,
  amqpPort: 5671,
});

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/;
const PEM_PRIVATE_KEY =
  /-----BEGIN ((RSA|EC|ENCRYPTED) )?PRIVATE KEY-----[\s\S]+-----END ((RSA|EC|ENCRYPTED) )?PRIVATE KEY-----/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/**
 * Builds a DeviceConfig from a parsed registration response (the JSON body of
 * `POST /devices`: `{deviceId, name, certificate, privateKey, caCertificate,
 * mqtt:{host,port}, amqp:{host,port}}`) and/or overrides. `file` is undefined
 * when everything comes from flags. Throws DeviceFileError naming every
 * missing or malformed field.
 */
export function resolveDeviceConfig(file: unknown, source: string, overrides: ResolvedOverrides = {}): DeviceConfig {
  const problems: string[] = [];
  const fromFile = file !== undefined;
  if (fromFile && !isObject(file)) {
    throw new DeviceFileError(
      `${source}: expected a JSON object (the body returned by POST /devices), got ${Array.isArray(file) ? 'an array' : typeof file}`,
      ['not an object'],
    );
  }
  const body: Record<string, unknown> = fromFile ? file : {};
  const missing = (field: string, flag: string, extra = ''): void => {
    problems.push(
      fromFile
        ? `field "${field}" is missing${extra}; or pass ${flag}`
        : `${flag} is required when no device file (--device) is given${extra}`,
    );
  };

  // deviceId
  let deviceId = overrides.deviceId;
  if (deviceId === undefined) {
    if (typeof body.deviceId === 'string') deviceId = body.deviceId;
    else if (body.deviceId === undefined) missing('deviceId', '--id');
    else problems.push('field "deviceId" must be a string');
  }
  if (deviceId !== undefined && !isValidDeviceId(deviceId)) {
    const where = overrides.deviceId !== undefined ? '--id' : 'field "deviceId"';
    problems.push(`${where} must be 32 lowercase hex characters, got ${JSON.stringify(deviceId)}`);
  }

  // PEMs
  const pem = (
    field: string,
    flag: string,
    override: string | undefined,
    pattern: RegExp,
    kind: string,
    missingNote = '',
  ): string => {
    if (override !== undefined) {
      if (!pattern.test(override)) problems.push(`${flag} file does not contain a PEM ${kind}`);
      return override;
    }
    const value = body[field];
    if (value === undefined || value === null) {
      missing(field, flag, missingNote);
      return '';
    }
    if (typeof value !== 'string' || !pattern.test(value)) {
      problems.push(`field "${field}" must be a PEM ${kind} string`);
      return '';
    }
    return value;
  };
  const certificatePem = pem('certificate', '--cert FILE', overrides.certificatePem, PEM_CERTIFICATE, 'certificate');
  const privateKeyPem = pem(
    'privateKey',
    '--key FILE',
    overrides.privateKeyPem,
    PEM_PRIVATE_KEY,
    'private key',
    fromFile
      ? ': the platform returns the private key only once, in the response of the registration (POST /devices);' +
          ' GET /devices never includes it, and a device registered with a CSR keeps its own key.' +
          ' Use the saved registration response'
      : '',
  );
  const caPem = pem(
    'caCertificate',
    '--ca FILE',
    overrides.caPem,
    PEM_CERTIFICATE,
    'certificate',
    fromFile ? ' (it is part of the registration response of POST /devices; the platform CA is certs/rootca.pem)' : '',
  );

  // endpoints
  const endpoint = (field: 'mqtt' | 'amqp', portOverride: number | undefined, defaultPort: number): BrokerEndpoint => {
    const flag = `--${field}-port`;
    if (!fromFile) {
      return { host: overrides.host ?? DEFAULT_ENDPOINTS.host, port: portOverride ?? defaultPort };
    }
    const value = body[field];
    let host = overrides.host;
    let port = portOverride;
    if (host !== undefined && port !== undefined) return { host, port };
    if (value === undefined) {
      problems.push(`field "${field}" is missing (expected {"host": ..., "port": ...}); or pass --host and ${flag}`);
      return { host: host ?? '', port: port ?? 0 };
    }
    if (!isObject(value)) {
      problems.push(`field "${field}" must be an object like {"host": "localhost", "port": ${defaultPort}}`);
      return { host: host ?? '', port: port ?? 0 };
    }
    if (host === undefined) {
      if (typeof value.host === 'string' && value.host.trim() !== '') host = value.host;
      else
        problems.push(
          `field "${field}.host" ${value.host === undefined ? 'is missing' : 'must be a non-empty string'}; or pass --host`,
        );
    }
    if (port === undefined) {
      if (isPort(value.port)) port = value.port;
      else
        problems.push(
          `field "${field}.port" ${value.port === undefined ? 'is missing' : 'must be an integer from 1 to 65535'}; or pass ${flag}`,
        );
    }
    return { host: host ?? '', port: port ?? 0 };
  };
  const mqtt = endpoint('mqtt', overrides.mqttPort, DEFAULT_ENDPOINTS.mqttPort);
  const amqp = endpoint('amqp', overrides.amqpPort, DEFAULT_ENDPOINTS.amqpPort);

  let name: string | undefined;
  if (typeof body.name === 'string' && body.name.trim() !== '') name = body.name;
  else if (body.name !== undefined && body.name !== null) problems.push('field "name" must be a string');

  if (problems.length > 0) {
    const what = fromFile ? `${source} is not a usable device file` : 'the device flags are incomplete';
    throw new DeviceFileError(`${what}:\n${problems.map((p) => `  - ${p}`).join('\n')}`, problems);
  }
  return { deviceId: deviceId as string, name, certificatePem, privateKeyPem, caPem, mqtt, amqp, source };
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(error);
    throw new DeviceFileError(`cannot read ${what} ${JSON.stringify(path)}: ${reason}`, [`cannot read ${what}`]);
  }
}

/** Reads the PEM files named by the overrides. */
export async function readOverrides(overrides: DeviceOverrides): Promise<ResolvedOverrides> {
  const [certificatePem, privateKeyPem, caPem] = await Promise.all([
    overrides.certFile === undefined ? undefined : readText(overrides.certFile, '--cert file'),
    overrides.keyFile === undefined ? undefined : readText(overrides.keyFile, '--key file'),
    overrides.caFile === undefined ? undefined : readText(overrides.caFile, '--ca file'),
  ]);
  return {
    deviceId: overrides.deviceId,
    certificatePem,
    privateKeyPem,
    caPem,
    host: overrides.host,
    mqttPort: overrides.mqttPort,
    amqpPort: overrides.amqpPort,
  };
}

/** Parses the text of a device file (JSON); throws DeviceFileError. */
export function parseDeviceFileText(text: string, source: string, overrides: ResolvedOverrides = {}): DeviceConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DeviceFileError(
      `${source} is not valid JSON (${error instanceof Error ? error.message : String(error)}); expected the body returned by POST /devices`,
      ['not JSON'],
    );
  }
  return resolveDeviceConfig(json, source, overrides);
}

/**
 * Loads a device: the JSON saved from the platform's `POST /devices`
 * response, with flags overriding (or, when `path` is undefined, replacing)
 * its fields. Throws DeviceFileError with every problem listed.
 */
export async function loadDeviceFile(path: string | undefined, overrides: DeviceOverrides = {}): Promise<DeviceConfig> {
  const resolved = await readOverrides(overrides);
  if (path === undefined) return resolveDeviceConfig(undefined, 'flags', resolved);
  return parseDeviceFileText(await readText(path, 'device file'), path, resolved);
}
