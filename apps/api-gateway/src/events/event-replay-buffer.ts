import { PlatformEvent, timeOfSortableId } from '@app/common';

export interface ReplayWindow {
  /** Events kept per user whatever their age. */
  minEvents: number;
  /** Events younger than this are kept too, up to maxEvents. */
  minAgeMs: number;
  /** Hard cap per user, so a noisy user cannot take the process's memory. */
  maxEvents: number;
  /** A user with no event for this long is forgotten (their buffer freed). */
  idleMs: number;
}

export const DEFAULT_REPLAY_WINDOW: ReplayWindow = {
  minEvents: 1000,
  minAgeMs: 5 * 60_000,
  maxEvents: 10_000,
  idleMs: 60 * 60_000,
};

/**
 * The recent events of each user, for `Last-Event-ID`: at least the last
 * `minEvents`, and every event of the last `minAgeMs` up to `maxEvents`.
 * Every gateway replica receives every event from the broker, so each holds the
 * same window (from the time it started).
 */
export class EventReplayBuffer {
  private readonly byOwner = new Map<string, PlatformEvent[]>();

  constructor(
    private readonly window: ReplayWindow = DEFAULT_REPLAY_WINDOW,
    private readonly now: () => number = Date.now,
  ) {}

  add(event: PlatformEvent): void {
    let events = this.byOwner.get(event.ownerId);
    if (!events) this.byOwner.set(event.ownerId, (events = []));
    events.push(event);
    const oldestKept = this.now() - this.window.minAgeMs;
    let drop = 0;
    while (
      events.length - drop > this.window.minEvents &&
      (events.length - drop > this.window.maxEvents || Date.parse(events[drop].at) < oldestKept)
    ) {
      drop++;
    }
    if (drop > 0) events.splice(0, drop);
  }

  /**
   * The user's events after `lastEventId`, oldest first. An id this replica holds
   * replays what followed it; an unknown id replays the events made after its time.
   */
  since(ownerId: string, lastEventId: string): PlatformEvent[] {
    const events = this.byOwner.get(ownerId) ?? [];
    const index = events.findIndex((event) => event.id === lastEventId);
    if (index >= 0) return events.slice(index + 1);
    const time = timeOfSortableId(lastEventId);
    if (Number.isNaN(time)) return [];
    return events.filter((event) => event.id > lastEventId);
  }

  /** Frees the buffers of users idle for `idleMs`. */
  prune(): void {
    const cutoff = this.now() - this.window.idleMs;
    for (const [owner, events] of this.byOwner) {
      const last = events[events.length - 1];
      if (!last || Date.parse(last.at) < cutoff) this.byOwner.delete(owner);
    }
  }

  size(ownerId: string): number {
    return this.byOwner.get(ownerId)?.length ?? 0;
  }
}
