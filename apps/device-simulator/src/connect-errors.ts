/** Why a simulated device could not connect (or subscribe). */
export type ConnectFailureReason =
  /** The broker refused the login (certificate not accepted, no permission on the vhost/queue/topic). */
  | 'not-authorized'
  /** Username/password refused (legacy PLAIN login). */
  | 'bad-credentials'
  /** TLS failed: broker certificate not trusted, host name mismatch, client certificate rejected. */
  | 'tls'
  /** Nothing listening, host unknown, network unreachable. */
  | 'unreachable'
  /** No answer in time. */
  | 'timeout'
  /** The broker closed the connection without saying why. */
  | 'closed'
  /** Certificate/key unusable before even trying. */
  | 'config'
  /** stop() was called while connecting. */
  | 'stopped'
  | 'other';

/** start() rejects with this: one readable line, no retry. */
export class DeviceConnectError extends Error {
  constructor(
    message: string,
    readonly reason: ConnectFailureReason,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'DeviceConnectError';
  }
}

const TLS_TRUST_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Turns a socket/TLS-level failure into a DeviceConnectError whose message
 * says what to check. `url` is like `mqtts://localhost:8883`. Returns
 * undefined when the error is not a socket/TLS one (the caller maps
 * protocol-level refusals itself).
 */
export function socketConnectError(url: string, error: unknown): DeviceConnectError | undefined {
  const code = codeOf(error);
  const message = messageOf(error);
  if (UNREACHABLE_CODES.has(code)) {
    return new DeviceConnectError(
      `${url}: cannot connect (${code}): is the broker running and the host/port right?`,
      'unreachable',
      error,
    );
  }
  if (code === 'ETIMEDOUT') {
    return new DeviceConnectError(`${url}: connection timed out (${code})`, 'timeout', error);
  }
  if (TLS_TRUST_CODES.has(code)) {
    return new DeviceConnectError(
      `${url}: TLS failed, the broker's certificate is not trusted (${message}); pass the platform CA (--ca / caCertificate), or --insecure`,
      'tls',
      error,
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new DeviceConnectError(
      `${url}: TLS failed, the broker's certificate does not cover this host name (${message}); connect with a name it lists, or --insecure`,
      'tls',
      error,
    );
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return new DeviceConnectError(`${url}: TLS failed, broker certificate: ${message}`, 'tls', error);
  }
  if (/^ERR_SSL_.*ALERT/.test(code) || /alert/i.test(message)) {
    return new DeviceConnectError(
      `${url}: TLS failed, the broker rejected the client certificate (${message}); is it signed by the platform CA, not expired or revoked?`,
      'tls',
      error,
    );
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new DeviceConnectError(
      `${url}: the broker reset the connection (${code}) during the handshake; it may have rejected the client certificate`,
      'closed',
      error,
    );
  }
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code.startsWith('ERR_OSSL')) {
    return new DeviceConnectError(`${url}: TLS failed: ${message}`, 'tls', error);
  }
  return undefined;
}
