import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { isDuplicateKeyError } from '../../infrastructure/mongo-errors';
import { UsernameTakenError } from '../domain/user.errors';
import { UserRecord, UserRepository } from './user.repository.port';
import { User } from './user.schema';

@Injectable()
export class UserMongoRepository implements UserRepository {
  constructor(@InjectModel(User.name) private readonly users: Model<User>) {}

  async create(user: { username: string; passwordHash: string }): Promise<UserRecord> {
    try {
      const doc = await this.users.create(user);
      return { id: doc.id as string, username: doc.username, passwordHash: doc.passwordHash };
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new UsernameTakenError(user.username);
      throw error;
    }
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    const doc = await this.users.findOne({ username }).lean().exec();
    return doc ? { id: String(doc._id), username: doc.username, passwordHash: doc.passwordHash } : null;
  }
}
