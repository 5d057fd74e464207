import { DomainError, DomainErrorKind } from './domain-error';
import { HttpErrorFilter } from './http-exception.filter';
import { HTTP_STATUS_BY_KIND } from './http-status';

class KindError extends DomainError {
  readonly code = 'SOME_CODE';
  constructor(readonly kind: DomainErrorKind) {
    super(`a ${kind} error`, { why: kind });
  }
}

// The statuses clients and the OpenAPI document rely on: a change here is a breaking API change.
const EXPECTED: [DomainErrorKind, number][] = [
  ['invalid', 400],
  ['unauthenticated', 401],
  ['forbidden', 403],
  ['not_found', 404],
  ['conflict', 409],
  ['rate_limited', 429],
  ['bad_gateway', 502],
  ['unavailable', 503],
  ['timeout', 504],
];

describe('HTTP_STATUS_BY_KIND', () => {
  it('maps every kind, and only these', () => {
    expect(Object.fromEntries(EXPECTED)).toEqual(HTTP_STATUS_BY_KIND);
  });

  it.each(EXPECTED)('a %s domain error answers %i with its code, message and details', (kind, status) => {
    expect(new HttpErrorFilter().toBody(new KindError(kind))).toEqual({
      statusCode: status,
      code: 'SOME_CODE',
      message: `a ${kind} error`,
      details: { why: kind },
    });
  });
});
