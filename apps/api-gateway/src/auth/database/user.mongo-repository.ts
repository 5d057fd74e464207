import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { MapsDatabaseErrors, isDuplicateKeyError } from '../../infrastructure/mongo-errors';
import { UsernameTakenError } from '../domain/user.errors';
import { UserRecord, UserRepository } from '../domain/user.repository.port';
import { User } from './user.schema';

@Injectable()
@MapsDatabaseErrors()
export class UserMongoRepository implements UserRepository {
  constructor(@InjectModel(User.name) private readonly users: Model<User>) {}

  async create(user: { username: string; passwordHash: string }): Promise<UserRecord> {
    try {
      const doc = await this.users.create({ ...user, legacySecretVersion: 1 });
      return { id: doc.id as string, username: doc.username, passwordHash: doc.passwordHash, legacySecretVersion: 1 };
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new UsernameTakenError(user.username);
      throw error;
    }
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    const doc = await this.users.findOne({ username }).lean().exec();
    return doc
      ? {
          id: String(doc._id),
          username: doc.username,
          passwordHash: doc.passwordHash,
          legacySecretVersion: doc.legacySecretVersion ?? 1,
        }
      : null;
  }

  async rotateLegacySecret(userId: string): Promise<number | null> {
    const doc = await this.users
      // No projection: FerretDB does not implement findAndModify's `fields`.
      .findByIdAndUpdate(userId, { $inc: { legacySecretVersion: 1 } }, { new: true })
      .lean()
      .exec();
    return doc ? doc.legacySecretVersion : null;
  }
}
