/**
 * What kind of failure a domain error is. Transports map a kind to their own
 * status (HTTP in the gateway's exception filter, RPC in the microservice), so
 * nothing below a controller knows about HTTP.
 */
export type DomainErrorKind =
  | 'invalid' // the caller sent something we cannot accept
  | 'unauthenticated' // no or bad credentials
  | 'forbidden' // authenticated, but not allowed
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'unavailable' // a dependency (broker, device, database) cannot be reached now
  | 'timeout' // a dependency did not answer in time
  | 'bad_gateway'; // a dependency answered with something we cannot use

/**
 * Base class of every error the platform raises on purpose. `code` is stable
 * and documented: clients may switch on it, so never rename one.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly kind: DomainErrorKind;

  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The wire shape of a domain error, as it crosses a process boundary. */
export interface SerializedDomainError {
  code: string;
  kind: DomainErrorKind;
  message: string;
  details?: Record<string, unknown>;
}

export function serializeDomainError(error: DomainError): SerializedDomainError {
  return { code: error.code, kind: error.kind, message: error.message, details: error.details };
}
