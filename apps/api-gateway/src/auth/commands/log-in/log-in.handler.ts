import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { JwtService } from '@nestjs/jwt';
import { CredentialsVerifier } from '../../domain/credentials-verifier';
import { InvalidCredentialsError } from '../../domain/user.errors';
import { AccessTokenClaims } from '../../jwt-auth.guard';
import { AccessToken, LogInCommand } from './log-in.command';

@CommandHandler(LogInCommand)
export class LogInHandler implements ICommandHandler<LogInCommand> {
  constructor(
    private readonly credentials: CredentialsVerifier,
    private readonly jwt: JwtService,
  ) {}

  async execute({ username, password, clientAddress }: LogInCommand): Promise<AccessToken> {
    const check = await this.credentials.check(username, password, clientAddress);
    // One answer for an unknown user and a wrong password: no hint which.
    if (check.outcome !== 'ok') throw new InvalidCredentialsError();
    const claims: AccessTokenClaims = { sub: check.user.id, username: check.user.username };
    const accessToken = await this.jwt.signAsync(claims);
    const { exp, iat } = this.jwt.decode<{ exp: number; iat: number }>(accessToken);
    return { accessToken, tokenType: 'Bearer', expiresIn: exp - iat };
  }
}
