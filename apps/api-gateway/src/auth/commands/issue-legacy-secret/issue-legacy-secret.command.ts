import { Command } from '@nestjs/cqrs';

/** The legacy login: check the password and hand out the user's legacy secret. */
export class IssueLegacySecretCommand extends Command<{ secret: string }> {
  constructor(
    readonly username: string,
    readonly password: string,
    readonly clientAddress: string,
  ) {
    super();
  }
}
