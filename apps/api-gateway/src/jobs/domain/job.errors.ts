import { DomainError } from '@app/common';

export class JobNotFoundError extends DomainError {
  readonly code = 'JOB_NOT_FOUND';
  readonly kind = 'not_found' as const;
  constructor(id: string) {
    super(`No job ${id}`);
  }
}

export class InvalidJobError extends DomainError {
  readonly code = 'INVALID_JOB';
  readonly kind = 'invalid' as const;
}
