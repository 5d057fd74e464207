import { DomainError } from '@app/common';

export class CommandNotFoundError extends DomainError {
  readonly code = 'COMMAND_NOT_FOUND';
  readonly kind = 'not_found' as const;
  constructor(commandId: string) {
    super(`No command ${commandId} in this device's history`);
  }
}
