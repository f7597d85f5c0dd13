// The peer table's liveness rule, in sweeps rather than in clock reads: a
// message only marks its sender heard, and the heartbeat's sweep decides.
import { describe, expect, it } from '@jest/globals';
import type { PeerEvent } from '@pipebus/core/transport-kit';
import { MISSED_BEATS, Presence } from '../src/transport/presence.js';

function table(): { presence: Presence; events: string[]; clock: { now: number } } {
  const events: string[] = [];
  const clock = { now: 1_000 };
  const report = (event: PeerEvent): void => {
    events.push(event.type === 'connected' ? `+${event.peer.id}` : `-${event.peer.id} (${event.reason})`);
  };
  const presence = new Presence((id) => `nats:p.in.${id}`, report, 10, () => clock.now);
  return { presence, events, clock };
}

describe('Presence', () => {
  it('forgets a peer after MISSED_BEATS sweeps in a row without hearing it, and never one heard between sweeps', () => {
    const { presence, events, clock } = table();
    expect(presence.heard('a')).toEqual({ id: 'a', address: 'nats:p.in.a' });
    presence.heard('b');
    // 'a' is heard in every interval, 'b' only in the first (its sweep finds it heard), then missed in MISSED_BEATS.
    for (let beat = 0; beat < MISSED_BEATS; beat++) {
      clock.now += 100;
      presence.heard('a');
      presence.sweep();
    }
    expect(events).toEqual(['+a', '+b']);
    clock.now += 100;
    presence.heard('a');
    presence.sweep();
    expect(events).toEqual(['+a', '+b', '-b (no heartbeat on NATS for 300 ms (it died, or lost its link))']);
    expect(presence.has('a')).toBe(true);
    expect(presence.has('b')).toBe(false);
  });

  it('counts the sweeps a peer missed from the last one that found it heard', () => {
    const { presence, events, clock } = table();
    presence.heard('a');
    clock.now += 100;
    presence.sweep(); // heard since the start: kept, its count starts here
    clock.now += 100;
    presence.sweep(); // 1 missed
    clock.now += 100;
    presence.heard('a');
    presence.sweep(); // heard again: 0
    for (let i = 1; i < MISSED_BEATS; i++) {
      clock.now += 100;
      presence.sweep();
    }
    expect(presence.has('a')).toBe(true);
    clock.now += 100;
    presence.sweep();
    expect(presence.has('a')).toBe(false);
    expect(events.at(-1)).toBe('-a (no heartbeat on NATS for 300 ms (it died, or lost its link))');
  });
});
