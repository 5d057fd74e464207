import { DomainErrorKind } from './domain-error';

/** The one place that says which HTTP status a kind of domain error becomes. */
export const HTTP_STATUS_BY_KIND: Record<DomainErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  bad_gateway: 502,
  unavailable: 503,
  timeout: 504,
};
