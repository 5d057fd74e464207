import { Command } from '@nestjs/cqrs';

/** Invalidates the caller's legacy secret and returns the new one. */
export class RotateLegacySecretCommand extends Command<{ secret: string }> {
  constructor(readonly userId: string) {
    super();
  }
}
