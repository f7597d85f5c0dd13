// A MessageBus over NatsTransport, against a real nats-server: request,
// streams, events, remote cancellation, requests reaching only their
// handlers, and "no responders" as NO_HANDLER.
import { describe, expect, it } from '@jest/globals';
import { BusError, MessageBus, silentLogger, type HandlerContext } from '@pipebus/core';
import { NatsTransport } from '@pipebus/transport-nats';
import { Observable, filter, firstValueFrom, take, toArray } from 'rxjs';
import { natsFixture } from './helpers.js';

const fixture = natsFixture();
const buses = fixture.open;


let n = 0;
/** `count` started buses under a fresh prefix, each having heard of every other. */
async function cluster(count: number): Promise<MessageBus[]> {
  const prefix = `bus.b${process.pid}x${n++}`;
  const made: MessageBus[] = [];
  for (let i = 0; i < count; i++) {
    const transport = new NatsTransport({ servers: fixture.server.url, prefix, name: `bus${i}` });
    const bus = new MessageBus(transport, { logger: silentLogger, name: `bus${i}` });
    buses.push(bus);
    made.push(bus);
  }
  // Each start says hello and every earlier bus answers: after the last start, all know all.
  const known = made.map((bus) => firstValueFrom(bus.transport.peers$.pipe(filter((e) => e.type === 'connected'), take(count - 1), toArray())));
  for (const bus of made) await bus.start();
  if (count > 1) await Promise.all(known);
  return made;
}

/** Resolves once the server has `bus`'s subscriptions: its handle() and subscribe() are reachable from the others. */
function ready(bus: MessageBus): Promise<void> {
  return (bus.transport as NatsTransport).flush();
}

describe('MessageBus over NatsTransport', () => {
  it('answers a request, streams, and delivers events between two buses', async () => {
    const [service, client] = await cluster(2);
    service!.handle('add', (p: { a: number; b: number }) => p.a + p.b);
    service!.handle('count', (p: { to: number }) => new Observable<number>((s) => {
      for (let i = 1; i <= p.to; i++) s.next(i);
      s.complete();
    }));
    await ready(service!);
    expect(await client!.request('add', { a: 2, b: 3 })).toBe(5);
    expect(await firstValueFrom(client!.request$('count', { to: 4 }).pipe(toArray()))).toEqual([1, 2, 3, 4]);
    const event = firstValueFrom(client!.subscribe('orders.*'));
    await ready(client!);
    await service!.publish('orders.created', { id: 7 });
    expect(await event).toMatchObject({ topic: 'orders.created', payload: { id: 7 } });
  });

  it("aborts the remote handler's signal when the caller unsubscribes", async () => {
    const [service, client] = await cluster(2);
    let context: HandlerContext | undefined;
    const started = new Promise<void>((resolve) =>
      service!.handle('ticks', (_p: unknown, ctx: HandlerContext) => {
        context = ctx;
        resolve();
        return new Observable<number>(() => undefined);
      }),
    );
    await ready(service!);
    const subscription = client!.request$('ticks', {}).subscribe({ error: () => undefined });
    await started;
    const aborted = new Promise<void>((resolve) => context!.signal.addEventListener('abort', () => resolve()));
    subscription.unsubscribe();
    await aborted;
    expect(context!.signal.aborted).toBe(true);
  });

  it("aborts the remote handler's signal when the caller's AbortSignal fires, through a queue group", async () => {
    const [client, a, b] = await cluster(3);
    const contexts: HandlerContext[] = [];
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (started = resolve));
    for (const member of [a!, b!]) {
      member.handle(
        'slow',
        (_p: unknown, ctx: HandlerContext) =>
          new Promise((resolve) => {
            contexts.push(ctx);
            started();
            ctx.signal.addEventListener('abort', () => resolve('aborted'));
          }),
        { queue: 'workers' },
      );
    }
    await ready(a!);
    await ready(b!);
    const controller = new AbortController();
    const call = client!.request('slow', {}, { signal: controller.signal }).catch((e: unknown) => e);
    await running;
    const aborted = new Promise<void>((resolve) => contexts[0]!.signal.addEventListener('abort', () => resolve()));
    controller.abort();
    await aborted;
    expect(BusError.is(await call, 'CANCELLED')).toBe(true);
    // Exactly one member ran it, and its signal fired (the cancel went to P.cancel: the caller did not know which member).
    expect(contexts).toHaveLength(1);
    expect(contexts[0]!.signal.aborted).toBe(true);
  });

  // Before the routed transport, every request went to every peer (<prefix>.all): a bus without
  // the handler answered NO_HANDLER too, and whichever answer came first settled the call.
  it('a request reaches only the bus that handles it', async () => {
    const [service, client, bystander] = await cluster(3);
    service!.handle('add', (p: { a: number; b: number }) => p.a + p.b);
    await ready(service!);
    const answer = await client!.request('add', { a: 2, b: 1 }).catch((e: unknown) => e);
    // NATS keeps one publisher's order to each subscriber: once the bystander answered this
    // ping, it has seen the request, if it was sent the request at all.
    await client!.ping({ to: (bystander!.transport as NatsTransport).peerId });
    expect(bystander!.stats().noHandler).toBe(0);
    expect(answer).toBe(3);
  });

  // The server answers a request nobody subscribes to with "no responders": the caller fails with
  // NO_HANDLER naming the method, not after its timeout (a minute here, so a TIMEOUT would fail the test).
  it('fails a request nobody handles with NO_HANDLER at once, naming the method', async () => {
    const [alone, other] = await cluster(2);
    const error = await alone!.request('nobody.home', {}, { timeout: 60_000 }).then(() => undefined, (e: unknown) => e);
    expect(BusError.is(error, 'NO_HANDLER')).toBe(true);
    expect((error as Error).message).toMatch(/'nobody\.home'.*no responders/);
    expect((alone!.transport as NatsTransport).stats().noResponders).toBe(1);
    // The other bus heard nothing of it.
    expect(other!.stats().noHandler).toBe(0);
  });
});
