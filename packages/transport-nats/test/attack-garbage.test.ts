// A hostile NATS client publishing garbage on every subject a transport
// listens to, claiming ids that are not its own: nothing crashes, every
// message is counted where it is dropped, a transport never becomes a peer
// of itself, and an honest service stays reachable (a reply-to can claim any
// id, and NATS permissions cannot stop that, so one forged frame must not
// get an honest peer banned).
import { describe, expect, it } from '@jest/globals';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { MessageBus, silentLogger } from '@pipebus/core';
import { NatsTransport } from '@pipebus/transport-nats';
import { filter, firstValueFrom } from 'rxjs';
import { natsFixture } from './helpers.js';

const fixture = natsFixture();
const open = fixture.open;


let n = 0;

async function setup(): Promise<{ P: string; vt: NatsTransport; ct: NatsTransport; client: MessageBus; victim: MessageBus; raw: NatsConnection; events: string[] }> {
  const P = `atk.g${process.pid}x${n++}`;
  const vt = new NatsTransport({ servers: fixture.server.url, prefix: P, name: 'victim', heartbeatInterval: 0 });
  const victim = new MessageBus(vt, { logger: silentLogger });
  const ct = new NatsTransport({ servers: fixture.server.url, prefix: P, name: 'cli', heartbeatInterval: 0 });
  const client = new MessageBus(ct, { logger: silentLogger });
  open.push(client, victim);
  victim.handle('m', (p) => p);
  victim.subscribe('t.>').subscribe(() => undefined);
  const events: string[] = [];
  vt.peers$.subscribe((e) => events.push(`${e.type} ${e.peer.id}`));
  await victim.start();
  const heard = firstValueFrom(client.transport.peers$.pipe(filter((e) => e.type === 'connected')));
  await client.start();
  await heard;
  const raw = await connect({ servers: fixture.server.url });
  open.push(raw);
  return { P, vt, ct, client, victim, raw, events };
}

/** Every message `raw` published so far was handed to both transports (the server sends it before their flush's PONG). */
async function settled(raw: NatsConnection, ...transports: NatsTransport[]): Promise<void> {
  await raw.flush();
  await Promise.all(transports.map((t) => t.flush()));
}

const junk = Uint8Array.of(0x00, 0xff);

describe('NatsTransport against garbage from a hostile client', () => {
  it('keeps answering a service whose id a forged frame on P.all claimed', async () => {
    const { P, vt, ct, client, raw } = await setup();
    // Not a pipebus frame, with the service's id in the reply-to: the client's bus rejects "the service".
    for (let i = 0; i < 3; i++) raw.publish(`${P}.all`, junk, { reply: `${P}.in.${vt.peerId}.b` });
    await settled(raw, ct, vt);
    expect(client.stats().peersDropped).toBeGreaterThan(0);
    // The service said hello on its own presence subject: forgotten, not banned; its answer gets through.
    expect(await client.request('m', { ok: 1 }, { timeout: 10_000 })).toEqual({ ok: 1 });
    expect(ct.stats().bannedMessages).toBe(0);
  });

  it('still bans an id that never announced itself', async () => {
    const { P, vt, ct, raw } = await setup();
    raw.publish(`${P}.all`, junk, { reply: `${P}.in.stranger.b` });
    await settled(raw, ct, vt);
    raw.publish(`${P}.all`, junk, { reply: `${P}.in.stranger.b` });
    await settled(raw, ct, vt);
    expect(vt.stats().bannedMessages).toBe(1);
    expect(ct.stats().bannedMessages).toBe(1);
  });

  it('counts and drops garbage on every subject, never becomes its own peer, and keeps serving', async () => {
    const { P, vt, ct, client, victim, raw, events } = await setup();
    const V = vt.peerId;
    const status503 = { headers: headers(503, 'No Responders') };
    const messages: [string, Uint8Array, { reply?: string; headers?: ReturnType<typeof headers> }?][] = [
      [`${P}.all`, junk],
      [`${P}.all`, junk, { reply: `${P}.in..b` }],
      [`${P}.all`, junk, { reply: `${P}.in.x` }],
      [`${P}.all`, junk, { reply: `${P}.in.${V}.b` }],
      [`${P}.all`, new Uint8Array(0), { reply: `${P}.in.e1.b` }],
      [`${P}.req.m`, new Uint8Array(0), { reply: `${P}.in.e2.r.1` }],
      [`${P}.req.m`, junk],
      [`${P}.req.m`, junk, { reply: `${P}.in.${V}.r.1` }],
      [`${P}.evt.${V}.t.x`, junk],
      [`${P}.evt.e3.t.x`, new Uint8Array(0)],
      [`${P}.cancel`, junk, { reply: `${P}.in.e4.c` }],
      [`${P}.presence.hello`, junk],
      [`${P}.presence.hello.a.b`, junk],
      [`${P}.presence.nope.e5`, junk],
      [`${P}.presence.hello.${V}`, junk],
      [`${P}.in.${V}.d`, junk],
      [`${P}.in.${V}.d`, junk, { reply: `${P}.in.${V}.t.x` }],
      [`${P}.in.${V}.d.extra`, junk, { reply: `${P}.in.e6.t.x` }],
      [`${P}.in.${V}.f`, new TextEncoder().encode('zzzzzzzzzzzzzzzz'), { reply: `${P}.in.e8.t.x` }],
      [`${P}.in.${V}.f`, new Uint8Array(1 << 19), { reply: `${P}.in.e8.t.x` }],
      [`${P}.in.${V}.r.abc`, new Uint8Array(0), status503],
      [`${P}.in.${V}.r.0`, new Uint8Array(0), status503],
      [`${P}.in.${V}.r.99999999999999999999`, new Uint8Array(0), status503],
      [`${P}.in.${V}.t.a.b`, new Uint8Array(0), status503],
    ];
    for (const [subject, data, options] of messages) raw.publish(subject, data, options);
    await settled(raw, ct, vt);

    expect(events.filter((e) => e.endsWith(V))).toEqual([]);
    // The ones with no id of a peer, or ours: counted as another client's.
    expect(vt.stats().foreignMessages).toBeGreaterThanOrEqual(15);
    // e1..e4 claimed ids with bytes that are no pipebus frame: each rejected by the bus once, and banned.
    expect(victim.stats().peersDropped).toBe(4);
    expect(await client.request('m', { still: 'served' }, { timeout: 10_000 })).toEqual({ still: 'served' });
    expect(client.stats().lateResponses).toBe(0);
  });
});
