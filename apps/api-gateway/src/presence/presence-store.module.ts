import { Module } from '@nestjs/common';
import { PresenceMongoRepository } from './database/presence.mongo-repository';
import { PRESENCE_REPOSITORY } from './database/presence.repository.port';

/** Where presence is kept; read by the device queries, written by the tracker. */
@Module({
  providers: [{ provide: PRESENCE_REPOSITORY, useClass: PresenceMongoRepository }],
  exports: [PRESENCE_REPOSITORY],
})
export class PresenceStoreModule {}
