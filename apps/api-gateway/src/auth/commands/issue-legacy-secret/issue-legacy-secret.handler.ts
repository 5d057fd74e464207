import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CredentialsVerifier } from '../../domain/credentials-verifier';
import { LegacySecrets } from '../../domain/legacy-secret';
import { UnknownUsernameError, WrongPasswordError } from '../../domain/user.errors';
import { IssueLegacySecretCommand } from './issue-legacy-secret.command';

@CommandHandler(IssueLegacySecretCommand)
export class IssueLegacySecretHandler implements ICommandHandler<IssueLegacySecretCommand> {
  constructor(
    private readonly credentials: CredentialsVerifier,
    private readonly secrets: LegacySecrets,
  ) {}

  async execute({ username, password, clientAddress }: IssueLegacySecretCommand): Promise<{ secret: string }> {
    const check = await this.credentials.check(username, password, clientAddress);
    if (check.outcome === 'unknown_user') throw new UnknownUsernameError();
    if (check.outcome === 'wrong_password') throw new WrongPasswordError();
    return { secret: this.secrets.derive(check.user.id, check.user.legacySecretVersion) };
  }
}
