import { Command } from '@nestjs/cqrs';

export interface AccessToken {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/** A command, not a query: it issues a credential. */
export class LogInCommand extends Command<AccessToken> {
  constructor(
    readonly username: string,
    readonly password: string,
    /** Where the attempt comes from, for rate-limiting failures. */
    readonly clientAddress: string,
  ) {
    super();
  }
}
