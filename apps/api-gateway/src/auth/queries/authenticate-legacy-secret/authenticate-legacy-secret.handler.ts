import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { USER_REPOSITORY, UserRepository } from '../../domain/user.repository.port';
import { InvalidLegacySecretError, LegacySecrets } from '../../domain/legacy-secret';
import { AuthenticatedUser } from '../../jwt-auth.guard';
import { AuthenticateLegacySecretQuery } from './authenticate-legacy-secret.query';

@QueryHandler(AuthenticateLegacySecretQuery)
export class AuthenticateLegacySecretHandler implements IQueryHandler<AuthenticateLegacySecretQuery> {
  constructor(
    @Inject(USER_REPOSITORY) private readonly users: UserRepository,
    private readonly secrets: LegacySecrets,
  ) {}

  async execute({ username, secret }: AuthenticateLegacySecretQuery): Promise<AuthenticatedUser> {
    const user = await this.users.findByUsername(username);
    if (!user || !this.secrets.matches(user.id, user.legacySecretVersion, secret)) throw new InvalidLegacySecretError();
    return { userId: user.id, username: user.username };
  }
}
