import { PlatformEvent, sortableId } from '@app/common';
import { EventReplayBuffer } from './event-replay-buffer';

function event(ownerId: string, at: number): PlatformEvent {
  return {
    id: sortableId(at),
    type: 'device.registered',
    at: new Date(at).toISOString(),
    ownerId,
    deviceId: 'd',
    deviceName: 'lamp',
    data: {},
  };
}

describe('EventReplayBuffer', () => {
  let now = 1_000_000;
  const window = { minEvents: 3, minAgeMs: 1000, maxEvents: 5, idleMs: 10_000 };
  const buffer = () => new EventReplayBuffer(window, () => now);

  it('replays what followed Last-Event-ID, per user only', () => {
    const b = buffer();
    const a1 = event('alice', now);
    const m1 = event('mallory', now);
    const a2 = event('alice', now + 1);
    [a1, m1, a2].forEach((e) => b.add(e));
    expect(b.since('alice', a1.id)).toEqual([a2]);
    expect(b.since('mallory', m1.id)).toEqual([]);
    expect(b.since('alice', 'not-an-id')).toEqual([]);
  });

  it('keeps every event younger than minAgeMs up to maxEvents, and at least minEvents whatever their age', () => {
    const b = buffer();
    for (let i = 0; i < 7; i++) b.add(event('alice', now));
    expect(b.size('alice')).toBe(5); // capped
    now += 5000; // all old now
    b.add(event('alice', now));
    expect(b.size('alice')).toBe(3); // the last minEvents
  });

  it('an unknown but valid id replays the events made after its time', () => {
    const b = buffer();
    const old = event('alice', now - 100);
    const e1 = event('alice', now);
    b.add(e1);
    expect(b.since('alice', old.id)).toEqual([e1]);
  });

  it('forgets idle users', () => {
    const b = buffer();
    b.add(event('alice', now));
    now += 20_000;
    b.prune();
    expect(b.size('alice')).toBe(0);
  });
});
