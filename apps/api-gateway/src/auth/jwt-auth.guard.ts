import { CanActivate, ExecutionContext, Injectable, createParamDecorator } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '@app/common';

export interface AccessTokenClaims {
  sub: string; // user id
  username: string;
}

export interface AuthenticatedUser {
  userId: string;
  username: string;
}

export class MissingOrInvalidTokenError extends DomainError {
  readonly code = 'UNAUTHORIZED';
  readonly kind = 'unauthenticated' as const;
  constructor(reason: string) {
    super(reason);
  }
}

type AuthenticatedRequest = FastifyRequest & { user?: AuthenticatedUser };

/** Accepts `Authorization: Bearer <jwt>` signed with JWT_SECRET and not expired. */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(private readonly jwt: JwtService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    if (scheme !== 'Bearer' || !token) throw new MissingOrInvalidTokenError('Missing bearer token');
    try {
      const claims = await this.jwt.verifyAsync<AccessTokenClaims>(token);
      request.user = { userId: claims.sub, username: claims.username };
      return true;
    } catch {
      throw new MissingOrInvalidTokenError('Invalid or expired access token');
    }
  }
}

/** The caller, as authenticated by JwtAuthGuard. */
export const CurrentUser = createParamDecorator((_: unknown, context: ExecutionContext): AuthenticatedUser => {
  const user = context.switchToHttp().getRequest<AuthenticatedRequest>().user;
  if (!user) throw new MissingOrInvalidTokenError('Not authenticated');
  return user;
});
