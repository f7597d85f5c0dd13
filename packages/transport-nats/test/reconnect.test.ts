// The server dies and comes back on the same port: what was sent meanwhile is
// kept in the transport's own bounded buffer (nats.js drops it) and arrives
// after the reconnect, in order; past the bound, send() says BUSY and counts.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { connect } from '@nats-io/transport-node';
import { BusError, type InboundFrame, type TransportState } from '@pipebus/core';
import { startNatsServer, type NatsServerHandle } from '@pipebus/test-support';
import { NatsTransport, type NatsTransportOptions } from '@pipebus/transport-nats';
import { filter, firstValueFrom, take, toArray } from 'rxjs';

let server: NatsServerHandle;
const transports: NatsTransport[] = [];
let n = 0;

beforeEach(async () => {
  server = await startNatsServer();
});
afterEach(async () => {
  await Promise.allSettled(transports.splice(0).map((t) => t.close()));
  await server.stop();
});

function transport(prefix: string, name: string, extra: Partial<NatsTransportOptions> = {}): NatsTransport {
  // Retry the dial every 20 ms, for ever: the restart below comes back on the same port.
  const t = new NatsTransport({ servers: server.url, prefix, name, connectOptions: { reconnectTimeWait: 20, maxReconnectAttempts: -1 }, ...extra });
  transports.push(t);
  return t;
}

const inState = (t: NatsTransport, state: TransportState): Promise<unknown> => firstValueFrom(t.state$.pipe(filter((s) => s === state)));

/** A started pair under a fresh prefix, each knowing the other. */
async function pair(extra: Partial<NatsTransportOptions> = {}): Promise<{ a: NatsTransport; b: NatsTransport }> {
  const prefix = `reconnect.r${process.pid}x${n++}`;
  const a = transport(prefix, 'a');
  const b = transport(prefix, 'b', extra);
  await a.start();
  const bSeesA = firstValueFrom(b.peers$.pipe(filter((e) => e.type === 'connected')));
  await b.start();
  await bSeesA; // a answered b's hello: b knows a, and will wait for it after the reconnect
  return { a, b };
}

/** Frame i: its index in 4 bytes, then some bytes that depend on it. */
function frame(i: number): Uint8Array {
  const bytes = new Uint8Array(64 + (i % 7) * 100).fill(i & 0xff);
  new DataView(bytes.buffer).setUint32(0, i);
  return bytes;
}

async function killServerAndWait(...ts: NatsTransport[]): Promise<void> {
  const down = ts.map((t) => inState(t, 'reconnecting'));
  await server.kill();
  await Promise.all(down);
}

describe('NatsTransport across a server restart', () => {
  it('sends the 100 frames given while the server was down after it is back: none lost, in order', async () => {
    const { a, b } = await pair();
    await killServerAndWait(a, b);
    const sent = Array.from({ length: 100 }, (_, i) => frame(i));
    const arriving = firstValueFrom(a.frames$.pipe(take(100), toArray()));
    for (const f of sent) await b.send(f);
    expect(b.stats().reconnectBuffered).toBe(100);
    await server.restart();
    const received: InboundFrame[] = await arriving;
    expect(received.map((f) => new DataView(f.data.buffer, f.data.byteOffset).getUint32(0))).toEqual(sent.map((_, i) => i));
    received.forEach((f, i) => expect(Buffer.from(f.data).equals(Buffer.from(sent[i]!))).toBe(true));
    expect(b.stats()).toMatchObject({ reconnectBuffered: 0, reconnectRejected: 0 });
    expect(b.state).toBe('open');
  });

  it('refuses a frame past the buffer bound with BUSY and counts it, and still delivers those it took', async () => {
    const { a, b } = await pair({ reconnectBuffer: { maxFrames: 10 } });
    await killServerAndWait(a, b);
    for (let i = 0; i < 10; i++) await b.send(frame(i));
    const refused = await b.send(frame(10)).then(() => undefined, (e: unknown) => e);
    expect(BusError.is(refused, 'BUSY')).toBe(true);
    expect((refused as BusError).message).toMatch(/reconnect buffer is full \(10 frames, .*raise reconnectBuffer\.maxBytes \/ maxFrames/);
    expect(b.stats().reconnectRejected).toBe(1);
    const arriving = firstValueFrom(a.frames$.pipe(take(10), toArray()));
    await server.restart();
    expect((await arriving).map((f) => f.data[4])).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('bounds the buffer by bytes too', async () => {
    const { a, b } = await pair({ reconnectBuffer: { maxBytes: 1000 } });
    await killServerAndWait(a, b);
    await b.send(new Uint8Array(600));
    await expect(b.send(new Uint8Array(600))).rejects.toMatchObject({ code: 'BUSY' });
    await b.send(new Uint8Array(400));
    expect(b.stats()).toMatchObject({ reconnectBuffered: 2, reconnectRejected: 1 });
  });

  it('fails start() over a connection that is already closed with OS_ERROR, and stays idle', async () => {
    const nc = await connect({ servers: server.url });
    await nc.close();
    const t = new NatsTransport({ connection: nc, prefix: `closed.c${process.pid}` });
    transports.push(t);
    const error = await t.start().then(() => undefined, (e: unknown) => e);
    expect(BusError.is(error, 'OS_ERROR')).toBe(true);
    expect((error as BusError).message).toMatch(/could not subscribe and announce this transport under 'closed\.c\d+': .*is the connection open\?/);
    expect(t.state).toBe('idle');
  });

  it('(why the buffer exists) nats.js alone drops what is published while disconnected', async () => {
    const subject = `raw.r${process.pid}x${n++}`;
    const options = { servers: server.url, reconnectTimeWait: 20, maxReconnectAttempts: -1 };
    const [sub, pub] = await Promise.all([connect(options), connect(options)]);
    try {
      const got: number[] = [];
      sub.subscribe(subject, { callback: (_e, m) => void got.push(m.data[0]!) });
      await sub.flush();
      const statuses = async (nc: typeof pub, type: string): Promise<void> => {
        for await (const s of nc.status()) if (s.type === type) return;
      };
      const down = Promise.all([statuses(pub, 'disconnect'), statuses(sub, 'disconnect')]);
      await server.kill();
      await down;
      for (let i = 0; i < 10; i++) pub.publish(subject, Uint8Array.of(i));
      const back = Promise.all([statuses(pub, 'reconnect'), statuses(sub, 'reconnect')]);
      await server.restart();
      await back;
      // A marker after the reconnect: once it arrives, anything published before it would have too.
      const marker = new Promise<void>((resolve) => sub.subscribe(`${subject}.done`, { max: 1, callback: () => resolve() }));
      await sub.flush();
      pub.publish(`${subject}.done`);
      await marker;
      expect(got).toEqual([]);
    } finally {
      await Promise.allSettled([sub.close(), pub.close()]);
    }
  });
});
