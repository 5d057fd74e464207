import { DomainError } from '@app/common';

export class DeviceNameTakenError extends DomainError {
  readonly code = 'DEVICE_NAME_TAKEN';
  readonly kind = 'conflict' as const;
  constructor(name: string) {
    super(`You already have a device named "${name}"`);
  }
}

export class DeviceNotFoundError extends DomainError {
  readonly code = 'DEVICE_NOT_FOUND';
  readonly kind = 'not_found' as const;
  constructor(name: string) {
    super(`No device named "${name}"`);
  }
}

export class InvalidDeviceNameError extends DomainError {
  readonly code = 'INVALID_DEVICE_NAME';
  readonly kind = 'invalid' as const;
  constructor() {
    super('name must be 1-64 characters of letters, digits, _ and -');
  }
}

export class InvalidGracePeriodError extends DomainError {
  readonly code = 'INVALID_GRACE_PERIOD';
  readonly kind = 'invalid' as const;
  constructor(maxSeconds: number) {
    super(`graceSeconds must be a whole number from 0 to ${maxSeconds}`);
  }
}

export class InvalidTagsError extends DomainError {
  readonly code = 'INVALID_TAGS';
  readonly kind = 'invalid' as const;
  constructor(problem: string) {
    super(problem);
  }
}
