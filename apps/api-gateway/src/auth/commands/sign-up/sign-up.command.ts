import { Command } from '@nestjs/cqrs';

export class SignUpCommand extends Command<{ userId: string }> {
  constructor(
    readonly username: string,
    readonly password: string,
  ) {
    super();
  }
}
