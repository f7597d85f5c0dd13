// A hostile NATS client against the pull of large messages' fragments
// (fragment-pull.ts): it must not get a message it never received fragment 0
// of by guessing its key, nor make the sender push a message once per id it
// invents. The raw client publishes under the prefix as any NATS client may.
import { describe, expect, it } from '@jest/globals';
import { connect, headers, type NatsConnection, type Msg } from '@nats-io/transport-node';
import { MessageBus, silentLogger } from '@pipebus/core';
import { NatsTransport } from '@pipebus/transport-nats';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { natsFixture } from './helpers.js';

// Small messages: a 200 KiB payload is a dozen fragments.
const fixture = natsFixture({ maxPayload: 16 * 1024 });
const open = fixture.open;

let n = 0;
const utf8 = new TextEncoder();

/** A publisher and a subscriber bus under a fresh prefix, each having heard of the other, and a raw client. */
async function setup(): Promise<{ prefix: string; victim: NatsTransport; subscriber: MessageBus; publisher: MessageBus; raw: NatsConnection }> {
  const prefix = `atk.pull${process.pid}x${n++}`;
  const victim = new NatsTransport({ servers: fixture.server.url, prefix, name: 'victim', heartbeatInterval: 0 });
  const publisher = new MessageBus(victim, { logger: silentLogger });
  const subscriber = new MessageBus(new NatsTransport({ servers: fixture.server.url, prefix, name: 'sub', heartbeatInterval: 0 }), { logger: silentLogger });
  open.push(publisher, subscriber);
  await publisher.start();
  const heard = firstValueFrom(publisher.transport.peers$.pipe(filter((e) => e.type === 'connected')));
  await subscriber.start();
  await heard;
  const raw = await connect({ servers: fixture.server.url });
  open.push(raw);
  return { prefix, victim, subscriber, publisher, raw };
}

/** The first `count` messages on `subject`, within 10 s. */
function collect(raw: NatsConnection, subject: string, count: number): Promise<Msg[]> {
  const sub = raw.subscribe(subject, { max: count });
  return within(
    (async () => {
      const got: Msg[] = [];
      for await (const m of sub) got.push(m);
      return got;
    })(),
    `${count} message(s) on ${subject}`,
  );
}

function within<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`waited 10 s for ${what}`)), 10_000)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * Says hello as `id` and resolves once the victim answered: the victim
 * handled everything the raw client published before (one publisher, in
 * order), and answered it before this.
 */
async function barrier(raw: NatsConnection, prefix: string, id: string): Promise<void> {
  const answered = collect(raw, `${prefix}.in.${id}.h`, 1);
  await raw.flush();
  raw.publish(`${prefix}.presence.hello.${id}`);
  await answered;
}

const payload = (seed: number): Uint8Array => new Uint8Array(200 * 1024).fill(seed);

describe('NatsTransport fragment pulls from a hostile client', () => {
  it('does not hand a large event to a client that guessed its pull key from an earlier message', async () => {
    const { prefix, victim, subscriber, publisher, raw } = await setup();
    const secrets = firstValueFrom(subscriber.subscribe('secret.>').pipe(take(1), toArray()));
    const publics = firstValueFrom(subscriber.subscribe('pub.>').pipe(take(1), toArray()));
    // The thief may read 'pub.>' and not 'secret.>' (NATS permissions would say so); it is a known peer.
    const seen = collect(raw, `${prefix}.evt.*.pub.>`, 1);
    const stolen: Msg[] = [];
    raw.subscribe(`${prefix}.in.thief.d`, { callback: (_e, m) => void stolen.push(m) });
    await barrier(raw, prefix, 'thief');
    await (subscriber.transport as NatsTransport).flush();

    await publisher.publish('pub.a', payload(1));
    const [first] = await seen;
    await publics;
    await publisher.publish('secret.a', payload(2));
    await secrets;

    // The pull key of the public message, and the next ones in the sequence a key derived from the fragment header would have.
    const key = first!.headers!.get('Pipebus-Pull');
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    const next = (i: number): string => key.slice(0, 8) + ((parseInt(key.slice(8), 16) + i) >>> 0).toString(16).padStart(8, '0');
    for (const guess of [key, next(1), next(2)]) raw.publish(`${prefix}.in.${victim.peerId}.f`, utf8.encode(guess), { reply: `${prefix}.in.thief.t.${victim.peerId}` });
    await barrier(raw, prefix, 'thief');
    // 'key' itself is the public message: the thief had its fragment 0, and may have the rest. Nothing of the secret one.
    const secretFragments = stolen.filter((m) => m.data.byteLength > 18 && m.data[18] === 2).length;
    expect(secretFragments).toBe(0);
  });

  it('sends a large event at most once per known peer, not once per id a pull claims', async () => {
    const { prefix, victim, subscriber, publisher, raw } = await setup();
    const events = firstValueFrom(subscriber.subscribe('big.>').pipe(take(1), toArray()));
    // An insider: it may read the topic, so it gets fragment 0 and its pull key.
    const seen = collect(raw, `${prefix}.evt.*.big.>`, 1);
    let pushed = 0;
    raw.subscribe(`${prefix}.in.*.d`, { callback: (_e, m) => void (m.subject.startsWith(`${prefix}.in.fake`) && pushed++) });
    await raw.flush();
    await (subscriber.transport as NatsTransport).flush();
    await publisher.publish('big.a', payload(3));
    const [first] = await seen;
    await events;
    const key = first!.headers!.get('Pipebus-Pull');
    // 20 pulls, each claiming an id the victim never heard of: 20 × 200 KiB out of one 200 KiB message, unless refused.
    for (let i = 0; i < 20; i++) raw.publish(`${prefix}.in.${victim.peerId}.f`, utf8.encode(key), { reply: `${prefix}.in.fake${i}.t.${victim.peerId}` });
    await barrier(raw, prefix, 'fence');
    expect(pushed).toBe(0);
    expect(victim.stats().foreignMessages).toBe(20);
  });

  it('does not push a large event to the subscribers of another topic its pull token was copied onto', async () => {
    const { prefix, victim, subscriber, publisher, raw } = await setup();
    const events = firstValueFrom(subscriber.subscribe('big.>').pipe(take(1), toArray()));
    // Three more buses that hear 'other.>' and not 'big.>'.
    const others = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const t = new NatsTransport({ servers: fixture.server.url, prefix, name: `other${i}`, heartbeatInterval: 0 });
        const bus = new MessageBus(t, { logger: silentLogger });
        open.push(bus);
        const heard = firstValueFrom(publisher.transport.peers$.pipe(filter((e) => e.type === 'connected' && e.peer.id === t.peerId)));
        bus.subscribe('other.>').subscribe(() => undefined);
        await bus.start();
        await heard;
        return t;
      }),
    );
    const seen = collect(raw, `${prefix}.evt.*.big.>`, 1);
    let pushed = 0;
    raw.subscribe(`${prefix}.in.*.d`, { callback: (_e, m) => void (m.subject.includes('.in.other') && m.data[0] === 0x11 && pushed++) });
    await raw.flush();
    await Promise.all([subscriber.transport as NatsTransport, ...others].map((t) => t.flush()));
    await publisher.publish('big.a', payload(4));
    const [first] = await seen;
    await events;
    // The insider republishes fragment 0 with its pull header on another topic of the victim's.
    const h = headers();
    h.set('Pipebus-Pull', first!.headers!.get('Pipebus-Pull'));
    raw.publish(`${prefix}.evt.${victim.peerId}.other.x`, first!.data, { headers: h });
    await raw.flush();
    // Each other bus got it before its flush's answer, and pulled: the pull waits in that transport's batch for
    // the end of the tick, so a second flush hands it over before its ping (the server then has every pull).
    // The victim has handled the pulls (and pushed, or not) once its own flush returns.
    await Promise.all(others.map((t) => t.flush()));
    await Promise.all(others.map((t) => t.flush()));
    await victim.flush();
    await raw.flush();
    expect(pushed).toBe(0);
    expect(victim.stats().fragmentPullsMissed).toBe(3);
  });
});
