import { AuditTrail } from '../../../audit/audit-trail';
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { USER_REPOSITORY, UserRepository } from '../../domain/user.repository.port';
import { PASSWORD_HASHER, PasswordHasher } from '../../domain/password-hasher';
import {
  InvalidUsernameError,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  USERNAME_PATTERN,
  WeakPasswordError,
} from '../../domain/user.errors';
import { SignUpCommand } from './sign-up.command';

@CommandHandler(SignUpCommand)
export class SignUpHandler implements ICommandHandler<SignUpCommand> {
  constructor(
    @Inject(USER_REPOSITORY) private readonly users: UserRepository,
    @Inject(PASSWORD_HASHER) private readonly hasher: PasswordHasher,
    private readonly audit: AuditTrail,
  ) {}

  async execute({ username, password }: SignUpCommand): Promise<{ userId: string }> {
    if (!USERNAME_PATTERN.test(username)) throw new InvalidUsernameError();
    if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) throw new WeakPasswordError();
    const passwordHash = await this.hasher.hash(password);
    // Uniqueness is the index's job: checking first would race with concurrent sign-ups.
    const user = await this.users.create({ username, passwordHash });
    this.audit.record({ userId: user.id, action: 'user.signed_up', outcome: 'OK' });
    return { userId: user.id };
  }
}
