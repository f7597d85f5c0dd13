// The routed mapping over a real nats-server: queue groups for handlers and
// subscribers, one delivery per subscription (via), names NATS cannot carry
// refused before anything is sent, a withdrawn handler no longer reached.
import { describe, expect, it } from '@jest/globals';
import { connect } from '@nats-io/transport-node';
import { BusError, MessageBus, silentLogger } from '@pipebus/core';
import { NatsTransport } from '@pipebus/transport-nats';
import { firstValueFrom, take, toArray } from 'rxjs';
import { cluster, nats, natsFixture, ready } from './helpers.js';

const fixture = natsFixture();
const buses = fixture.open;


describe('NatsTransport queue groups', () => {
  it('hands each request to one member of a handle() queue group, and every member gets some', async () => {
    const [client, ...members] = await cluster(fixture.server, 4, buses);
    members.forEach((bus, i) => bus.handle('work', () => i, { queue: 'workers' }));
    await ready(...members);
    const answers = await Promise.all(Array.from({ length: 90 }, () => client!.request<number>('work', {})));
    const perMember = [0, 1, 2].map((i) => answers.filter((a) => a === i).length);
    // 90 answers for 90 requests: nobody answered twice (a second answer would be a late response).
    expect(perMember.reduce((a, b) => a + b)).toBe(90);
    expect(client!.stats().lateResponses).toBe(0);
    // NATS picks a member at random: all three get none of 90 with probability 3·(2/3)^90 ≈ 4e-16.
    expect(perMember.every((count) => count > 0)).toBe(true);
    expect(members.reduce((sum, bus) => sum + bus.stats().requestsHandled, 0)).toBe(90);
  });

  it('hands each event to one member of a subscribe() queue group, and every event to a plain subscriber', async () => {
    const [publisher, a, b, plain] = await cluster(fixture.server, 4, buses);
    const got = { a: 0, b: 0, plain: 0 };
    a!.subscribe('jobs.*', { queue: 'g' }).subscribe(() => got.a++);
    b!.subscribe('jobs.*', { queue: 'g' }).subscribe(() => got.b++);
    const all = firstValueFrom(plain!.subscribe('jobs.>').pipe(take(40), toArray()));
    await ready(a!, b!, plain!);
    for (let i = 0; i < 40; i++) await publisher!.publish(`jobs.j${i}`, i);
    expect((await all).map((e) => e.payload)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // The server has all 40 once the publisher's flush returns, and hands them to each member before its flush's answer.
    await ready(publisher!);
    await ready(a!, b!);
    expect(got.a + got.b).toBe(40);
  });

  it("delivers an event once per matching subscription, each through its own interest (via), not twice to each", async () => {
    const [publisher, subscriber] = await cluster(fixture.server, 2, buses);
    const wide: unknown[] = [];
    const grouped: unknown[] = [];
    subscriber!.subscribe('a.*').subscribe((e) => wide.push(e.payload));
    subscriber!.subscribe('a.b', { queue: 'g' }).subscribe((e) => grouped.push(e.payload));
    await ready(subscriber!);
    await publisher!.publish('a.b', 1);
    await publisher!.publish('a.b', 2);
    // The server has both events once the publisher's flush returns, and hands them to the subscriber before its own flush's answer.
    await ready(publisher!);
    await ready(subscriber!);
    expect(wide).toEqual([1, 2]);
    expect(grouped).toEqual([1, 2]);
    expect(subscriber!.stats().eventsReceived).toBe(2 * 2);
  });

  it('no longer hands requests to a handler once it is withdrawn: the caller gets NO_HANDLER', async () => {
    const [client, service] = await cluster(fixture.server, 2, buses);
    const stop = service!.handle('temp', () => 'here');
    await ready(service!);
    expect(await client!.request('temp', {})).toBe('here');
    stop();
    await ready(service!);
    const error = await client!.request('temp', {}, { timeout: 60_000 }).catch((e: unknown) => e);
    expect(BusError.is(error, 'NO_HANDLER')).toBe(true);
    expect(nats(service!).stats().interestSubscriptions).toBe(0);
  });
});

describe('names NATS cannot carry', () => {
  it('refuses them with INVALID_ARGUMENT and advice, before anything is sent', async () => {
    // The application's own connection, so that the test sees every publish.
    const nc = await connect({ servers: fixture.server.url, noEcho: true });
    const published: string[] = [];
    const publish = nc.publish.bind(nc);
    nc.publish = (subject, ...rest) => (published.push(subject), publish(subject, ...rest));
    const bus = new MessageBus(new NatsTransport({ connection: nc, prefix: `names${process.pid}`, heartbeatInterval: 0 }), { logger: silentLogger });
    buses.push(bus);
    await bus.start();
    expect(() => bus.handle('has space', () => 1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/whitespace.*rename the method/) }));
    expect(() => bus.handle('a..b', () => 1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('empty token') }));
    expect(() => bus.handle('a.*', () => 1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('wildcard') }));
    expect(() => bus.handle('ok', () => 1, { queue: 'two words' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('queue group') }));
    const before = published.length;
    await expect(bus.request('bad name', {})).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('NATS cannot carry') });
    expect(published.slice(before)).toEqual([]);
    // A refused handle() leaves no subscription behind.
    expect(nats(bus).stats().interestSubscriptions).toBe(0);
    await bus.close();
    // The application's connection stays open: it is not the transport's to close.
    expect(nc.isClosed()).toBe(false);
    await nc.close();
  });
});
