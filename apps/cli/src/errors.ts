/**
 * Every error the CLI reports on purpose, and the one mapping from an error to
 * the process exit code. Nothing here does I/O.
 */

/** Exit codes: stable, documented in `--help` and the README. */
export const ExitCode = {
  ok: 0,
  /** Unexpected or internal error (a bug, a 5xx we cannot classify, a file we cannot write). */
  internal: 1,
  /** Bad command line, or input the gateway rejected as invalid (400). */
  usage: 2,
  /** Not logged in, token expired, or authentication failed (401/403). */
  auth: 3,
  /** Not found (404). */
  notFound: 4,
  /** Conflict (409): name already taken. */
  conflict: 5,
  /** The device did not answer properly (offline, timeout, bad reply, busy: 429/502/503/504). */
  device: 6,
  /** The gateway cannot be reached (connection refused, DNS, TLS verification, no answer). */
  unreachable: 7,
  /** Interrupted at the password prompt (Ctrl-C). */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The error shape of the gateway: `{statusCode, code, message}` with a stable `code`. */
export interface ApiErrorBody {
  statusCode: number;
  code: string;
  message: string;
}

/** An error answer of the gateway (HTTP status >= 400), or a local error put into the same shape. */
export class ApiError extends Error implements ApiErrorBody {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toJSON(): ApiErrorBody {
    return { statusCode: this.statusCode, code: this.code, message: this.message };
  }
}

/** Bad command line: unknown command, missing or malformed argument, unknown flag. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The usage line of the command concerned, shown under the message. */
    readonly usage?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** No usable access token: never logged in, logged out, expired, or logged in to another gateway. */
export class NotLoggedInError extends Error {
  constructor(
    message: string,
    readonly code: 'NOT_LOGGED_IN' | 'TOKEN_EXPIRED' = 'NOT_LOGGED_IN',
  ) {
    super(message);
    this.name = 'NotLoggedInError';
  }
}

/** The gateway cannot be reached or its TLS identity cannot be verified. */
export class GatewayUnreachableError extends Error {
  constructor(
    readonly url: string,
    /** `GATEWAY_UNREACHABLE`, `GATEWAY_TIMEOUT` or `TLS_ERROR`. */
    readonly code: 'GATEWAY_UNREACHABLE' | 'GATEWAY_TIMEOUT' | 'TLS_ERROR',
    /** The low-level reason, e.g. `ECONNREFUSED` or `UNABLE_TO_VERIFY_LEAF_SIGNATURE`. */
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayUnreachableError';
  }
}

/** Any other expected failure with a chosen exit code (a file we cannot read or write, an interrupted prompt). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    readonly code = 'CLI_ERROR',
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Gateway codes that mean "the device (or the path to it) did not do what was asked". */
export const DEVICE_ERROR_CODES: ReadonlySet<string> = new Set([
  'DEVICE_OFFLINE',
  'DEVICE_TIMEOUT',
  'DEVICE_BAD_REPLY',
  'DEVICE_BUSY',
  'DEVICE_COMMAND_UNAVAILABLE',
]);

/** Exit code of an HTTP error answer: by its code when it is a device code, else by status. */
export function exitCodeForApiError(error: ApiErrorBody): ExitCodeValue {
  if (DEVICE_ERROR_CODES.has(error.code)) return ExitCode.device;
  switch (error.statusCode) {
    case 400:
    case 413:
    case 415:
    case 422:
      return ExitCode.usage;
    case 401:
    case 403:
      return ExitCode.auth;
    case 404:
      return ExitCode.notFound;
    case 409:
      return ExitCode.conflict;
    case 429:
    case 502:
    case 503:
    case 504:
      return ExitCode.device;
    default:
      return ExitCode.internal;
  }
}

/** The exit code for anything thrown by a command. */
export function exitCodeFor(error: unknown): ExitCodeValue {
  if (error instanceof ApiError) return exitCodeForApiError(error);
  if (error instanceof UsageError) return ExitCode.usage;
  if (error instanceof NotLoggedInError) return ExitCode.auth;
  if (error instanceof GatewayUnreachableError) return ExitCode.unreachable;
  if (error instanceof CliError) return error.exitCode;
  return ExitCode.internal;
}

/**
 * The `{statusCode, code, message}` shape of any error, for `--json`. Local
 * errors (no HTTP answer) have statusCode 0.
 */
export function errorBody(error: unknown): ApiErrorBody {
  if (error instanceof ApiError) return error.toJSON();
  if (error instanceof UsageError) return { statusCode: 0, code: 'USAGE_ERROR', message: error.message };
  if (error instanceof NotLoggedInError || error instanceof GatewayUnreachableError || error instanceof CliError) {
    return { statusCode: 0, code: error.code, message: error.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { statusCode: 0, code: 'INTERNAL_ERROR', message };
}
