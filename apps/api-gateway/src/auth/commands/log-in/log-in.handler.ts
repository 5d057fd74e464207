import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { JwtService } from '@nestjs/jwt';
import { USER_REPOSITORY, UserRepository } from '../../database/user.repository.port';
import { PASSWORD_HASHER, PasswordHasher } from '../../domain/password-hasher';
import { LoginThrottle } from '../../domain/login-throttle';
import { InvalidCredentialsError } from '../../domain/user.errors';
import { AccessTokenClaims } from '../../jwt-auth.guard';
import { AccessToken, LogInCommand } from './log-in.command';

/**
 * A well-formed argon2id hash of a random password: verifying against it for an
 * unknown user costs what a real verification costs, so timing does not tell
 * which usernames exist.
 */
const DUMMY_HASH =
  '$argon2id$v=19$m=65536,p=4,t=3$+LE+1h51GO6xSM/WlB+zJw$eToPRF8tA6N18o7ARS/r4lnkv67gHDywv3+NXa74niQ';

@CommandHandler(LogInCommand)
export class LogInHandler implements ICommandHandler<LogInCommand> {
  constructor(
    @Inject(USER_REPOSITORY) private readonly users: UserRepository,
    @Inject(PASSWORD_HASHER) private readonly hasher: PasswordHasher,
    private readonly jwt: JwtService,
    private readonly throttle: LoginThrottle,
  ) {}

  async execute({ username, password, clientAddress }: LogInCommand): Promise<AccessToken> {
    this.throttle.check(username, clientAddress);
    const user = await this.users.findByUsername(username);
    const valid = await this.hasher.verify(user?.passwordHash ?? DUMMY_HASH, password);
    if (!user || !valid) {
      this.throttle.recordFailure(username, clientAddress);
      throw new InvalidCredentialsError();
    }
    this.throttle.recordSuccess(username);
    const claims: AccessTokenClaims = { sub: user.id, username: user.username };
    const accessToken = await this.jwt.signAsync(claims);
    const { exp, iat } = this.jwt.decode<{ exp: number; iat: number }>(accessToken);
    return { accessToken, tokenType: 'Bearer', expiresIn: exp - iat };
  }
}
