import { describe, expect, it } from '@jest/globals';
import { PeerInterests } from '../src/bus/peer-interests.js';

// The server side of interest routing on its own: targets() per publisher,
// what invalidates the remembered answers, and the bound on them.

function hub(): PeerInterests {
  const interests = new PeerInterests(4096);
  for (const peer of ['a', 'b', 'c']) interests.connected(peer);
  expect(interests.apply('a', { v: 1, op: 'set', p: ['x.>'] })).toBeUndefined();
  expect(interests.apply('b', { v: 1, op: 'set', p: ['x.y'] })).toBeUndefined();
  return interests;
}

describe('PeerInterests.targets', () => {
  it('leaves out the publisher of a relayed event, each publisher with its own answer', () => {
    const interests = hub();
    // c announced nothing: it gets everything.
    expect([...interests.targets('x.y', undefined)].sort()).toEqual(['a', 'b', 'c']);
    expect([...interests.targets('x.y', 'a')].sort()).toEqual(['b', 'c']);
    expect([...interests.targets('x.y', 'b')].sort()).toEqual(['a', 'c']);
    expect([...interests.targets('x.y', 'c')].sort()).toEqual(['a', 'b']);
    // Asked again: the same answers, remembered.
    expect(interests.targets('x.y', 'a')).toBe(interests.targets('x.y', 'a'));
    expect([...interests.targets('x.z', 'c')].sort()).toEqual(['a']);
  });

  it('forgets what it remembered when a peer changes its patterns or leaves', () => {
    const interests = hub();
    expect([...interests.targets('x.y', 'c')].sort()).toEqual(['a', 'b']);
    expect(interests.apply('b', { v: 1, op: 'del', p: ['x.y'] })).toBeUndefined();
    expect([...interests.targets('x.y', 'c')]).toEqual(['a']);
    interests.forget('a');
    expect([...interests.targets('x.y', 'c')]).toEqual([]);
    expect([...interests.targets('x.y', 'b')]).toEqual(['c']);
  });

  it('stays right past the bound on remembered topics, for relayed and published events alike', () => {
    const interests = hub();
    for (let i = 0; i < 10_000; i++) {
      const topic = `x.t${i}`;
      expect([...interests.targets(topic, i % 2 === 0 ? 'c' : undefined)].sort()).toEqual(i % 2 === 0 ? ['a'] : ['a', 'c']);
    }
    expect([...interests.targets('x.y', 'c')].sort()).toEqual(['a', 'b']);
    expect([...interests.targets('x.y', undefined)].sort()).toEqual(['a', 'b', 'c']);
  });
});
