import { Query } from '@nestjs/cqrs';
import { AuthenticatedUser } from '../../jwt-auth.guard';

/** Who a legacy request (username + secret) comes from; InvalidLegacySecretError otherwise. */
export class AuthenticateLegacySecretQuery extends Query<AuthenticatedUser> {
  constructor(
    readonly username: string,
    readonly secret: string,
  ) {
    super();
  }
}
