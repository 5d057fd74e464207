export const USER_REPOSITORY = Symbol('USER_REPOSITORY');

export interface UserRecord {
  id: string;
  username: string;
  passwordHash: string;
}

export interface UserRepository {
  /** Throws UsernameTakenError when the name exists (enforced by a unique index). */
  create(user: { username: string; passwordHash: string }): Promise<UserRecord>;
  findByUsername(username: string): Promise<UserRecord | null>;
}
