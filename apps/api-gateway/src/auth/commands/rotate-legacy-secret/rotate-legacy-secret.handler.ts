import { AuditTrail } from '../../../audit/audit-trail';
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { USER_REPOSITORY, UserRepository } from '../../domain/user.repository.port';
import { LegacySecrets } from '../../domain/legacy-secret';
import { MissingOrInvalidTokenError } from '../../jwt-auth.guard';
import { RotateLegacySecretCommand } from './rotate-legacy-secret.command';

@CommandHandler(RotateLegacySecretCommand)
export class RotateLegacySecretHandler implements ICommandHandler<RotateLegacySecretCommand> {
  constructor(
    @Inject(USER_REPOSITORY) private readonly users: UserRepository,
    private readonly secrets: LegacySecrets,
    private readonly audit: AuditTrail,
  ) {}

  async execute({ userId }: RotateLegacySecretCommand): Promise<{ secret: string }> {
    const version = await this.users.rotateLegacySecret(userId);
    if (version === null) throw new MissingOrInvalidTokenError('The account of this token no longer exists');
    this.audit.record({ userId, action: 'legacy_secret.rotated', outcome: 'OK' });
    return { secret: this.secrets.derive(userId, version) };
  }
}
