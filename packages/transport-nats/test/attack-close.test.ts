// close() during start(): the start fails TRANSPORT_CLOSED, and nothing of
// the transport stays behind (a connection dialled after close() found none
// to close stayed open, subscribed, saying hello and beating for ever).
import { describe, expect, it } from '@jest/globals';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { BusError } from '@pipebus/core';
import { NatsTransport } from '@pipebus/transport-nats';
import { natsFixture } from './helpers.js';

const fixture = natsFixture();
const open = fixture.open;


/** Presence messages heard on `prefix` until `live` has beaten three times (a closed transport beating at the same rate would be heard among them). */
async function presenceUntilThreeBeats(raw: NatsConnection, prefix: string, live: NatsTransport): Promise<string[]> {
  const heard: string[] = [];
  const sub = raw.subscribe(`${prefix}.presence.>`);
  let beats = 0;
  for await (const m of sub) {
    heard.push(m.subject.slice(prefix.length + 1));
    if (m.subject === `${prefix}.presence.beat.${live.peerId}` && ++beats === 3) break;
  }
  return heard;
}

describe('NatsTransport closed while it starts', () => {
  it('closes the connection it was dialling, so no closed transport says hello or beats', async () => {
    const prefix = `atk.close${process.pid}`;
    const live = new NatsTransport({ servers: fixture.server.url, prefix, name: 'live', heartbeatInterval: 20 });
    open.push(live);
    await live.start();
    const raw = await connect({ servers: fixture.server.url });
    open.push(raw);
    const heard = presenceUntilThreeBeats(raw, prefix, live);
    await raw.flush();

    const t = new NatsTransport({ servers: fixture.server.url, prefix, name: 'gone', heartbeatInterval: 20 });
    const started = t.start().then(() => undefined, (e: unknown) => e);
    await t.close();
    expect(BusError.is(await started, 'TRANSPORT_CLOSED')).toBe(true);
    expect(t.state).toBe('closed');
    expect((await heard).filter((subject) => subject.includes(t.peerId))).toEqual([]);
  });
});
