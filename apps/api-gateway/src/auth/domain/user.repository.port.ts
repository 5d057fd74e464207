export const USER_REPOSITORY = Symbol('USER_REPOSITORY');

export interface UserRecord {
  id: string;
  username: string;
  passwordHash: string;
  /** Bumped to rotate the legacy secret, which is derived from it and never stored. */
  legacySecretVersion: number;
}

export interface UserRepository {
  /** Throws UsernameTakenError when the name exists (enforced by a unique index). */
  create(user: { username: string; passwordHash: string }): Promise<UserRecord>;
  findByUsername(username: string): Promise<UserRecord | null>;
  /** Increments the user's legacy secret version; returns the new version (null: no such user). */
  rotateLegacySecret(userId: string): Promise<number | null>;
}
