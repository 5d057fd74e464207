import { DomainError } from '@app/common';

export class UsernameTakenError extends DomainError {
  readonly code = 'USERNAME_TAKEN';
  readonly kind = 'conflict' as const;
  constructor(username: string) {
    super(`Username "${username}" is already taken`);
  }
}

/** Same error for an unknown user and a wrong password: no hint which. */
export class InvalidCredentialsError extends DomainError {
  readonly code = 'INVALID_CREDENTIALS';
  readonly kind = 'unauthenticated' as const;
  constructor() {
    super('Invalid username or password');
  }
}
