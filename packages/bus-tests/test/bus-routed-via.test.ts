import { describe, expect, it } from '@jest/globals';
import { MessageBus, msgpackCodec, silentLogger } from '@pipebus/core';
import { Kind, encodeMessageFrame } from '@pipebus/core/transport-kit';
import { routedLoop } from '../src/index.js';

const event = (topic: string, payload: unknown): Uint8Array => encodeMessageFrame({ kind: Kind.Event, id: 0, name: topic, payload, headers: undefined }, msgpackCodec);

describe('events a routed transport delivers through one interest (InboundFrame.via)', () => {
  it('reach only that interest\'s subscribers, so overlapping subscriptions see each copy once', async () => {
    const [, st] = routedLoop();
    const bus = new MessageBus(st, { logger: silentLogger });
    await bus.start();
    const wide: unknown[] = [];
    const grouped: unknown[] = [];
    const also: unknown[] = [];
    bus.subscribe('orders.*').subscribe((e) => wide.push(e.payload));
    bus.subscribe('orders.created', { queue: 'g' }).subscribe((e) => grouped.push(e.payload));
    bus.subscribe('orders.created', { queue: 'g' }).subscribe((e) => also.push(e.payload));
    const wideId = st.idOf.get('topic orders.*');
    const groupId = st.idOf.get('topic orders.created [g]');
    expect(typeof wideId).toBe('number');
    expect(groupId).not.toBe(wideId);
    // NATS sends one copy per matching subscription: one for 'orders.*', one for the queue group.
    st.receive(event('orders.created', 1), 'peer-a', wideId);
    st.receive(event('orders.created', 1), 'peer-a', groupId);
    expect(wide).toEqual([1]);
    expect(grouped).toEqual([1]);
    expect(also).toEqual([1]);
    await bus.close();
  });

  it('drop a frame whose interest was withdrawn, and route a frame without via as before', async () => {
    const [, st] = routedLoop();
    const bus = new MessageBus(st, { logger: silentLogger });
    await bus.start();
    const got: unknown[] = [];
    const gone = bus.subscribe('a.b').subscribe(() => got.push('gone'));
    const goneId = st.idOf.get('topic a.b');
    gone.unsubscribe();
    bus.subscribe('a.>').subscribe((e) => got.push(e.payload));
    st.receive(event('a.b', 'late'), 'peer-a', goneId);
    expect(got).toEqual([]);
    st.receive(event('a.b', 'plain'), 'peer-a');
    expect(got).toEqual(['plain']);
    await bus.close();
  });

  it('go to the subscribers the interest had when the frame arrived: one added inside next() gets the next frame, one removed nothing more', async () => {
    const [, st] = routedLoop();
    const bus = new MessageBus(st, { logger: silentLogger });
    await bus.start();
    const log: string[] = [];
    let late: { unsubscribe(): void } | undefined;
    let third: { unsubscribe(): void } | undefined;
    bus.subscribe('a.b').subscribe((e) => {
      log.push(`first ${String(e.payload)}`);
      if (e.payload === 1) late = bus.subscribe('a.b').subscribe((l) => log.push(`late ${String(l.payload)}`));
      // Delivered to after this one: unsubscribed before its turn.
      if (e.payload === 2) third?.unsubscribe();
    });
    third = bus.subscribe('a.b').subscribe((e) => log.push(`third ${String(e.payload)}`));
    const via = st.idOf.get('topic a.b');
    st.receive(event('a.b', 1), 'peer-a', via);
    st.receive(event('a.b', 2), 'peer-a', via);
    late?.unsubscribe();
    st.receive(event('a.b', 3), 'peer-a', via);
    expect(log).toEqual(['first 1', 'third 1', 'first 2', 'late 2', 'first 3']);
    await bus.close();
  });
});
