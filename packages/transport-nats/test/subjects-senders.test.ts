// The sender of a received event, read from its subject (P.evt.<sender>.<topic>),
// through the transport's bounded subject → sender cache.
import { describe, expect, it } from '@jest/globals';
import { Subjects } from '../src/subjects/subjects.js';

describe('Subjects.eventSender', () => {
  it('names the publisher of our events, again and again, and nobody for other subjects', () => {
    const s = new Subjects('app', 'me');
    for (let i = 0; i < 3; i++) {
      expect(s.eventSender('app.evt.peer-1.orders.created')).toBe('peer-1');
      expect(s.eventSender('app.evt.peer_2.x')).toBe('peer_2');
    }
    for (let i = 0; i < 2; i++) {
      expect(s.eventSender('other.evt.peer-1.orders.created')).toBeUndefined();
      expect(s.eventSender('app.evt.peer-1')).toBeUndefined();
      expect(s.eventSender('app.evt.bad%id.x')).toBeUndefined();
      expect(s.eventSender('app.evt..x')).toBeUndefined();
    }
    expect(s.event('orders.created')).toBe('app.evt.me.orders.created');
  });

  it('stays right past the cache bound, with many publishers and topics', () => {
    const s = new Subjects('app', 'me');
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 3000; i++) expect(s.eventSender(`app.evt.p${i % 700}.t${i}`)).toBe(`p${i % 700}`);
    }
  });
});
