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

/** Only the legacy API tells these two apart (its clients expect it); the modern API never does. */
export class UnknownUsernameError extends DomainError {
  readonly code = 'USERNAME_UNKNOWN';
  readonly kind = 'unauthenticated' as const;
  constructor() {
    super('username does not exist');
  }
}

export class WrongPasswordError extends DomainError {
  readonly code = 'PASSWORD_INCORRECT';
  readonly kind = 'unauthenticated' as const;
  constructor() {
    super('password is incorrect');
  }
}

export const USERNAME_PATTERN = /^[A-Za-z0-9._@-]{3,64}$/;
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

export class InvalidUsernameError extends DomainError {
  readonly code = 'INVALID_USERNAME';
  readonly kind = 'invalid' as const;
  constructor() {
    super('username must be 3-64 characters of letters, digits, . _ - @');
  }
}

export class WeakPasswordError extends DomainError {
  readonly code = 'WEAK_PASSWORD';
  readonly kind = 'invalid' as const;
  constructor() {
    super(`password must be ${PASSWORD_MIN_LENGTH}-${PASSWORD_MAX_LENGTH} characters`);
  }
}
