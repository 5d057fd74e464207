import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Observable, Subscription, filter } from 'rxjs';
import { PlatformEvent } from '@app/common';
import { EventReplayBuffer } from './event-replay-buffer';
import { PlatformEventBus } from './platform-event.bus';

const PRUNE_EVERY_MS = 60_000;

export interface OpenedStream {
  /** Events after Last-Event-ID, oldest first (empty without one). */
  replay: PlatformEvent[];
  /** Every later event of the user, as this replica receives it. */
  live: Observable<PlatformEvent>;
}

/** What `GET /events` streams: the user's events from the broker, after a replay from the window. */
@Injectable()
export class EventStream implements OnModuleInit, OnModuleDestroy {
  private readonly buffer = new EventReplayBuffer();
  private subscription?: Subscription;
  private pruneTimer?: NodeJS.Timeout;

  constructor(private readonly bus: PlatformEventBus) {}

  onModuleInit(): void {
    this.subscription = this.bus.events.subscribe((event) => this.buffer.add(event));
    this.pruneTimer = setInterval(() => this.buffer.prune(), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  /**
   * Replay and live subscription are taken in the same tick, so no event falls
   * between them and none comes twice.
   */
  open(ownerId: string, lastEventId?: string): OpenedStream {
    const replay = lastEventId ? this.buffer.since(ownerId, lastEventId) : [];
    const live = this.bus.events.pipe(filter((event) => event.ownerId === ownerId));
    return { replay, live };
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
    clearInterval(this.pruneTimer);
  }
}
