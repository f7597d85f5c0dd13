// Floods of forged peer ids: the peer table holds at most maxPeers, the rest
// are refused and counted; forged ids that go silent leave after three missed
// heartbeats, and an honest newcomer is heard again. Bans and vouches are
// bounded in count and bans in time.
import { describe, expect, it } from '@jest/globals';
import { connect } from '@nats-io/transport-node';
import { MessageBus, silentLogger } from '@pipebus/core';
import { NatsTransport } from '@pipebus/transport-nats';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { Bans } from '../src/transport/bans.js';
import { natsFixture } from './helpers.js';

const fixture = natsFixture();
const open = fixture.open;


describe('NatsTransport under a flood of forged peer ids', () => {
  it('knows at most maxPeers, counts the refused, and makes room once the forged ones go silent', async () => {
    const P = `atk.flood${process.pid}`;
    const vt = new NatsTransport({ servers: fixture.server.url, prefix: P, name: 'victim', maxPeers: 20, heartbeatInterval: 50 });
    const victim = new MessageBus(vt, { logger: silentLogger });
    open.push(victim);
    await victim.start();
    const raw = await connect({ servers: fixture.server.url });
    open.push(raw);
    const joined = firstValueFrom(vt.peers$.pipe(filter((e) => e.type === 'connected'), take(20), toArray()));
    const left = firstValueFrom(vt.peers$.pipe(filter((e) => e.type === 'disconnected'), take(20), toArray()));
    for (let i = 0; i < 100; i++) raw.publish(`${P}.presence.hello.forged${i}`);
    await raw.flush();
    await vt.flush();
    expect((await joined).map((e) => e.peer.id)).toEqual(Array.from({ length: 20 }, (_, i) => `forged${i}`));
    expect(vt.stats().peersRefused).toBe(80);
    // Silent for three heartbeats (150 ms): each leaves, with the reason.
    expect((await left)[0]!.reason).toMatch(/no heartbeat on NATS/);
    const honest = new MessageBus(new NatsTransport({ servers: fixture.server.url, prefix: P, name: 'honest', heartbeatInterval: 50 }), { logger: silentLogger });
    open.push(honest);
    const heard = firstValueFrom(vt.peers$.pipe(filter((e) => e.type === 'connected' && e.peer.id.startsWith('honest'))));
    await honest.start();
    await heard;
    expect(vt.stats().peersRefused).toBe(80);
  });
});

describe('Bans', () => {
  it('holds at most max bans, the oldest going first, each for banMs', () => {
    let now = 0;
    const bans = new Bans(1000, 3, 0, () => now);
    for (const id of ['a', 'b', 'c', 'd', 'e']) bans.add(id);
    expect(['a', 'b', 'c', 'd', 'e'].map((id) => bans.has(id))).toEqual([false, false, true, true, true]);
    now = 999;
    expect(bans.has('e')).toBe(true);
    now = 1000;
    expect(bans.has('e')).toBe(false);
  });

  it('never bans a vouched id, lifts its ban when it vouches, and vouches for at most max ids for vouchMs', () => {
    let now = 0;
    const bans = new Bans(1000, 2, 300, () => now);
    expect(bans.add('x')).toBe(true);
    bans.vouch('x');
    expect(bans.has('x')).toBe(false);
    expect(bans.add('x')).toBe(false);
    bans.vouch('y');
    bans.vouch('z');
    // 'x' was the oldest of three vouches with room for two.
    expect(bans.add('x')).toBe(true);
    expect(bans.add('z')).toBe(false);
    now = 301;
    expect(bans.add('z')).toBe(true);
    bans.vouch('y');
    bans.unvouch('y');
    expect(bans.add('y')).toBe(true);
  });
});
