import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { BusError, silentLogger, type InboundFrame } from '@pipebus/core';
import { VirtualClock } from '@pipebus/transport-mock';
import { MailslotTransport, type MailslotOptions } from '@pipebus/transport-mailslot';
import { withBackend } from '../src/backend/backend-seam.js';
import { FakeSlotBackend, type FakeReader } from './fakes/fake-slot-backend.js';
import { privateRuntimeDir, uniqueGroup, uniqueSlot } from './helpers.js';

// The transport's retry deadline, reader loop and fan-out against an in-memory
// backend, on a VirtualClock: every time below is exact, and no test sleeps.

const runtime = privateRuntimeDir();
afterAll(() => runtime.dispose());
const transports: MailslotTransport[] = [];
afterEach(async () => {
  await Promise.allSettled(transports.splice(0).map((t) => t.close()));
});

function world() {
  const clock = new VirtualClock();
  const backend = new FakeSlotBackend(clock);
  const open = (options: MailslotOptions): MailslotTransport => {
    const t = new MailslotTransport(withBackend({ runtimeDir: runtime.dir, logger: silentLogger, clock, ...options }, backend));
    transports.push(t);
    return t;
  };
  return { clock, backend, open };
}

/** Settles to the error, or to 'sent'; never throws. */
function outcome(p: Promise<void>): Promise<BusError | 'sent'> {
  return p.then(() => 'sent' as const, (e: BusError) => e);
}

/** True when `p` settles within a few turns of the event loop (a send that waits for a reader does not). */
async function settledWithin(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void p.then(() => (settled = true));
  for (let turn = 0; turn < 4; turn++) await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

function framesOf(t: MailslotTransport): number[] {
  const got: number[] = [];
  t.events.on('frame', (f: InboundFrame) => void got.push(f.data[0]!));
  return got;
}

describe('the clock option', () => {
  it('is checked at construction: a value without now/setTimeout/clearTimeout is INVALID_ARGUMENT', () => {
    const bad = { now: () => 0 } as unknown as MailslotOptions['clock'];
    expect(() => new MailslotTransport({ address: 'mailslot://g', runtimeDir: runtime.dir, clock: bad })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('mailslot send retry (virtual time, fake backend)', () => {
  async function writerTo(sendTimeoutMs = 5000) {
    const w = world();
    const path = uniqueSlot(runtime.dir, 'retry');
    const reader = w.backend.createReader(path) as FakeReader;
    // Per-frame retry timing from the first try: a batched frame's first try waits for the turn's end
    // (a real setImmediate, off the virtual clock). Batching is tested in batching.test.ts.
    const writer = w.open({ address: path, mode: 'write', sendTimeoutMs, batch: false });
    await writer.start();
    return { ...w, reader, writer };
  }

  it('rejects BUSY exactly when sendTimeoutMs of refusals have passed, not before', async () => {
    const { clock, reader, writer } = await writerTo(5000);
    reader.full = true;
    const sent = outcome(writer.send(Uint8Array.of(1)));
    await clock.advance(4999);
    expect(writer.stats().sendRetries).toBe(49);
    let settled = false;
    void sent.then(() => (settled = true));
    await clock.advance(0);
    expect(settled).toBe(false);
    await clock.advance(1);
    const error = await sent;
    expect(error).toBeInstanceOf(BusError);
    expect(error).toMatchObject({ code: 'BUSY', osName: 'EAGAIN' });
    expect((error as BusError).message).toContain('within 5000 ms');
    expect(writer.stats().sendRetries).toBe(50);
    expect(reader.queue).toEqual([]);
  });

  it('resolves once the reader takes the frame after k refusals, each retry on the clock', async () => {
    const { clock, reader, writer } = await writerTo();
    reader.refusals = 3; // the first try and two retries are refused; the third retry goes through
    const sent = outcome(writer.send(Uint8Array.of(7)));
    await clock.advance(299);
    expect(reader.queue).toEqual([]);
    await clock.advance(1);
    expect(await sent).toBe('sent');
    expect(reader.queue).toEqual([Uint8Array.of(7)]);
    expect(writer.stats()).toMatchObject({ sendRetries: 3, deliveries: 1 });
  });

  it('stops retrying when the transport closes: TRANSPORT_CLOSED, and nothing written after', async () => {
    const { clock, reader, writer } = await writerTo();
    reader.full = true;
    const sent = outcome(writer.send(Uint8Array.of(1)));
    await clock.advance(250);
    const retries = writer.stats().sendRetries;
    await writer.close();
    expect(await sent).toMatchObject({ code: 'TRANSPORT_CLOSED' });
    reader.full = false;
    await clock.advance(10_000);
    expect(writer.stats().sendRetries).toBe(retries);
    expect(reader.queue).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('mailslot reader loop (virtual time, fake backend)', () => {
  async function readerAt(readTimeoutMs = 200) {
    const w = world();
    const t = w.open({ address: uniqueSlot(runtime.dir, 'loop'), mode: 'read', readTimeoutMs });
    const frames = framesOf(t);
    const errors: BusError[] = [];
    t.events.on('error', (e) => void errors.push(e));
    await t.start();
    await w.backend.waitCalled(1);
    const reader = w.backend.readers.get(t.path)!;
    return { ...w, t, frames, errors, reader };
  }

  it('delivers what a wait announced, in order, then waits again with the read timeout', async () => {
    const { backend, frames, reader } = await readerAt(200);
    reader.queue.push(Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3));
    backend.wakeWait();
    await backend.waitCalled(2);
    expect(frames).toEqual([1, 2, 3]);
    expect(backend.waits).toEqual([200, 200]);
  });

  it('after a failed wait reports the error, pauses readTimeoutMs on the clock, then resumes reading', async () => {
    const { clock, backend, frames, errors, reader } = await readerAt(200);
    backend.failWait(new BusError('OS_ERROR', 'fake: poll failed'));
    await clock.advance(199);
    expect(errors.map((e) => e.message)).toEqual(['fake: poll failed']);
    expect(backend.waits).toHaveLength(1);
    await clock.advance(1);
    await backend.waitCalled(2);
    reader.queue.push(Uint8Array.of(9));
    backend.wakeWait();
    await backend.waitCalled(3);
    expect(frames).toEqual([9]);
  });

  it('stops on close: the wait in flight is woken, the slot closed, and no wait follows', async () => {
    const { clock, backend, t, frames, reader } = await readerAt();
    await t.close();
    expect(reader.closed).toBe(true);
    reader.queue.push(Uint8Array.of(1));
    await clock.advance(10_000);
    expect(backend.waits).toHaveLength(1);
    expect(frames).toEqual([]);
  });

  it('reads at most 512 messages per slot per turn, yielding between turns without a new wait', async () => {
    const { backend, frames, reader } = await readerAt();
    // Byte 0 as a bus frame's: a datagram starting with 0x1f would read as a batch (batch.ts).
    for (let i = 0; i < 1200; i++) reader.queue.push(Uint8Array.of(0x10, i % 256));
    backend.wakeWait();
    await backend.waitCalled(2);
    expect(reader.drains).toEqual([{ max: 512, read: 512 }, { max: 512, read: 512 }, { max: 512, read: 176 }]);
    expect(frames).toHaveLength(1200);
  });
});

describe('mailslot group fan-out (virtual time, fake backend)', () => {
  async function group(n: number, sendTimeoutMs = 5000, batch = true) {
    const w = world();
    const address = uniqueGroup('fake');
    const listeners = Array.from({ length: n }, () => w.open({ address, mode: 'read' }));
    await Promise.all(listeners.map((l) => l.start()));
    const frames = listeners.map(framesOf);
    const writer = w.open({ address, mode: 'write', sendTimeoutMs, batch });
    await writer.start();
    return { ...w, listeners, frames, writer };
  }

  it('a listener whose queue is full does not hold up the others; the send resolves once it takes the frame', async () => {
    // One datagram per frame: the send's own outcome (a batched group send is taken at once; see below).
    const { clock, backend, listeners, frames, writer } = await group(3, 5000, false);
    backend.setFull(listeners[1]!.path, true);
    const sent = outcome(writer.send(Uint8Array.of(5)));
    await clock.advance(1000);
    expect(frames[0]).toEqual([5]);
    expect(frames[2]).toEqual([5]);
    expect(frames[1]).toEqual([]);
    expect(writer.stats()).toMatchObject({ listeners: 3, deliveries: 2 });
    backend.setFull(listeners[1]!.path, false);
    expect(await sent).toBe('sent');
    await clock.advance(0);
    expect(frames[1]).toEqual([5]);
    expect(writer.stats().deliveries).toBe(3);
  });

  it('a listener that stays full fails the send with BUSY naming only it, after the others got the frame', async () => {
    // One datagram per frame: each send's own outcome (batched group sends are below).
    const { clock, backend, listeners, frames, writer } = await group(3, 2000, false);
    backend.setFull(listeners[2]!.path, true);
    const sent = outcome(writer.send(Uint8Array.of(6)));
    await clock.advance(2000);
    const error = await sent;
    expect(error).toMatchObject({ code: 'BUSY', details: { paths: [listeners[2]!.path] } });
    expect(frames.map((f) => f.length)).toEqual([1, 1, 0]);
  });

  it('batched: a frame is taken at once while nothing waits; once a batch waits for a full listener, frames wait for theirs', async () => {
    const { clock, backend, listeners, frames, writer } = await group(3, 2000);
    const errors: BusError[] = [];
    writer.events.on('error', (e: BusError) => void errors.push(e));
    backend.setFull(listeners[2]!.path, true);
    // Taken into the open batch: nothing waited when it was sent.
    expect(await writer.send(Uint8Array.of(6))).toBeUndefined();
    // The batch is written at the turn's end, and waits for the full listener.
    await new Promise((resolve) => setImmediate(resolve));
    expect(frames.map((f) => f.length)).toEqual([1, 1, 0]);
    const queued = outcome(writer.send(Uint8Array.of(7)));
    expect(await settledWithin(queued)).toBe(false);
    // The taken batch's failure has no caller left to reject: it is reported as an error event.
    await clock.advance(2000);
    expect(errors).toMatchObject([{ code: 'BUSY', details: { paths: [listeners[2]!.path] } }]);
    // The frame behind it had its batch's promise: it fails on its own deadline.
    await clock.advance(2000);
    expect(await queued).toMatchObject({ code: 'BUSY' });
    expect(frames.map((f) => f.length)).toEqual([2, 2, 0]);
  });
});
