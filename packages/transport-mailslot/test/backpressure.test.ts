import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { BusError, type InboundFrame } from '@pipebus/core';
import { MailslotTransport, resolveMailslotAddress, type ResolvedGroupAddress } from '@pipebus/transport-mailslot';
import { loadPlatformBackend } from '../src/backend/choose-backend.js';
import type { SlotBackend, SlotReader } from '../src/backend/slot-backend.js';
import { GroupRegistry } from '../src/registry/group-registry.js';
import { DEFAULT_SEND_TIMEOUT_MS } from '../src/options/mailslot-options.js';
import { busError, onWindows, privateRuntimeDir, uniqueGroup, uniqueSlot } from './helpers.js';

const runtime = privateRuntimeDir();
afterAll(() => runtime.dispose());
const runtimeDir = runtime.dir;

/** Linux: POLLOUT of a connected unix datagram socket tells when the reader's queue has room. */
const onLinux = process.platform === 'linux';

const cleanups: Array<() => unknown> = [];
/** The platform backend, loaded as a transport's start() loads it (koffi is not loaded at import). */
let backend: SlotBackend;
beforeAll(async () => {
  backend = await loadPlatformBackend();
});
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/**
 * A reader that reads only when the test says so: the backend's own slot,
 * left out of the process's reader loop. Its queue fills and stays full.
 */
function stalledReader(path: string): SlotReader & { take(max: number): number[] } {
  const reader = backend.createReader(path, 65536, 200, false);
  cleanups.push(() => reader.close());
  return Object.assign(reader, {
    /** Reads up to `max` waiting messages; returns the index each frame carries. */
    take: (max: number) => {
      const got: number[] = [];
      reader.drain(max, (d) => got.push(indexOf(d.data)), () => undefined);
      return got;
    },
  });
}

/** A listener of `group` registered by hand whose slot nobody drains, as a stopped process's would be. */
function stalledListener(group: string): SlotReader & { take(max: number): number[]; entry: string; resolved: ResolvedGroupAddress } {
  const resolved = resolveMailslotAddress(group, { runtimeDir });
  if (resolved.kind !== 'group') throw new Error('expected a group');
  const registry = new GroupRegistry(resolved, () => true);
  registry.ensureDir();
  const entry = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const reader = stalledReader(resolved.slotPath(entry));
  registry.register(entry);
  return Object.assign(reader, { entry, resolved });
}

function frame(i: number): Uint8Array {
  const bytes = new Uint8Array(64);
  new DataView(bytes.buffer).setUint32(0, i);
  return bytes;
}

/** The index a {@link frame} carries. */
function indexOf(data: Uint8Array): number {
  return new DataView(data.buffer, data.byteOffset).getUint32(0);
}

/** Resolves when `t` received the frame numbered `i`. */
function arrival(t: MailslotTransport, i: number): Promise<unknown> {
  return firstValueFrom(t.frames$.pipe(filter((f) => indexOf(f.data) === i)));
}

/** True when `p` settled before the event loop turned once: a send that did not is waiting for a full reader. */
async function settlesAtOnce(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

/** Sends numbered frames one by one until one waits (the reader's queue is full); returns it, and how many went. */
async function fillUntilWaiting(writer: MailslotTransport, from = 0): Promise<{ sent: number; waiting: Promise<void> }> {
  for (let i = from; i < from + 100_000; i++) {
    const sending = writer.send(frame(i));
    if (!(await settlesAtOnce(sending))) {
      sending.catch(() => undefined); // observed by the test; keeps an early rejection from being reported as unhandled
      return { sent: i - from, waiting: sending };
    }
    await sending;
  }
  throw new Error('the reader queue never filled');
}

async function started(t: MailslotTransport): Promise<MailslotTransport> {
  cleanups.push(() => t.close());
  await t.start();
  return t;
}

/** The open file descriptors of this process (Linux). */
function openFds(): number[] {
  return readdirSync('/proc/self/fd').map(Number).sort((a, b) => a - b);
}

(onLinux ? describe : describe.skip)('mailslot send to a full reader on Linux (waits for POLLOUT)', () => {
  it('waits without retrying while the reader does not read, and sends as soon as it reads one message', async () => {
    const path = uniqueSlot(runtimeDir, 'stall');
    const reader = stalledReader(path);
    const writer = await started(new MailslotTransport({ address: path, mode: 'write', raw: true }));
    const { sent, waiting } = await fillUntilWaiting(writer);
    expect(sent).toBeGreaterThan(0);

    const retries = writer.stats().sendRetries;
    // More event-loop turns than a polling retry would let pass without trying again.
    for (let turn = 0; turn < 64; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(writer.stats().sendRetries).toBe(retries);
    expect(await settlesAtOnce(waiting)).toBe(false);

    const readAt = Date.now();
    expect(reader.take(1)).toEqual([0]);
    await waiting;
    // Woken by the read, not by the give-up deadline.
    expect(Date.now() - readAt).toBeLessThan(DEFAULT_SEND_TIMEOUT_MS / 5);
    expect(writer.stats().sendRetries).toBe(retries + 1);
    expect(reader.take(sent + 10)).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
  });

  it('holds a group frame until each full listener took it, whichever reads first', async () => {
    const group = uniqueGroup('stall2');
    const [a, b] = [stalledListener(group), stalledListener(group)];
    const writer = await started(new MailslotTransport({ address: group, runtimeDir, mode: 'write', raw: true }));
    const { sent, waiting } = await fillUntilWaiting(writer);
    expect(writer.stats().listeners).toBe(2);

    // Both queues are full (the fill sent the same frames to each): reading one lets that one take the frame.
    expect(a.take(1)).toEqual([0]);
    expect(await settlesAtOnce(waiting)).toBe(false);
    expect(b.take(1)).toEqual([0]);
    await waiting;
    expect(writer.stats().deliveries).toBe(2 * (sent + 1));
    const all = Array.from({ length: sent }, (_, i) => i + 1);
    expect([a.take(sent + 10), b.take(sent + 10)]).toEqual([all, all]);
  });
});

(onWindows ? describe.skip : describe)('mailslot send to a full reader on POSIX', () => {
  it('rejects a send waiting for a single slot with NOT_FOUND when its reader closes', async () => {
    const path = uniqueSlot(runtimeDir, 'dies');
    const reader = stalledReader(path);
    const writer = await started(new MailslotTransport({ address: path, mode: 'write', raw: true }));
    const { waiting } = await fillUntilWaiting(writer);
    reader.close();
    const e = await busError(waiting);
    expect(e.code).toBe('NOT_FOUND');
    expect(e.osName).toBe('ENOENT');
  });

  it('skips and sweeps a group listener that dies while a send waits for it, and still delivers to the others', async () => {
    const group = uniqueGroup('dies');
    const doomed = stalledListener(group);
    const alive = await started(new MailslotTransport({ address: group, runtimeDir, mode: 'read', raw: true }));
    const received: InboundFrame[] = [];
    alive.frames$.subscribe((f) => received.push(f));
    const writer = await started(new MailslotTransport({ address: group, runtimeDir, mode: 'write', raw: true }));
    const { sent, waiting } = await fillUntilWaiting(writer);
    expect(writer.stats().listeners).toBe(2);

    // Dies without unregistering, as a killed process does: its registry entry stays behind.
    doomed.close();
    await waiting;
    expect(writer.stats().swept).toBe(1);
    expect(readdirSync(doomed.resolved.registryDir).some((n) => n.startsWith(doomed.entry))).toBe(false);

    const deliveries = writer.stats().deliveries;
    const last = arrival(alive, sent + 1);
    await writer.send(frame(sent + 1));
    expect(writer.stats().deliveries - deliveries).toBe(1);
    await last;
    expect(received.map((f) => indexOf(f.data))).toEqual(Array.from({ length: sent + 2 }, (_, i) => i));
  });

  it('rejects a send with BUSY after sendTimeoutMs while its reader stays full, and sends again once it reads', async () => {
    const path = uniqueSlot(runtimeDir, 'busy');
    const reader = stalledReader(path);
    const writer = await started(new MailslotTransport({ address: path, mode: 'write', raw: true, sendTimeoutMs: 50 }));
    const { sent, waiting } = await fillUntilWaiting(writer);
    const e = await busError(waiting);
    expect(e.code).toBe('BUSY');
    expect(e.osName).toBe('EAGAIN');
    expect(e.details).toEqual({ paths: [path] });
    expect(e.message).toMatch(/within 50 ms.*sendTimeoutMs/);
    // The refused frame is the caller's to retry; the ones before it all arrive, and the slot takes more.
    expect(reader.take(sent + 10)).toEqual(Array.from({ length: sent }, (_, i) => i));
    await writer.send(frame(sent + 1));
    expect(reader.take(10)).toEqual([sent + 1]);
  });

  it('names only the listener that stayed full in BUSY; the group listener that reads got the frame', async () => {
    const group = uniqueGroup('busy');
    const stuck = stalledListener(group);
    const alive = await started(new MailslotTransport({ address: group, runtimeDir, mode: 'read', raw: true }));
    const received: number[] = [];
    alive.frames$.subscribe((f) => received.push(indexOf(f.data)));
    // Long enough for the reading listener's loop to drain its queue many times over.
    const writer = await started(new MailslotTransport({ address: group, runtimeDir, mode: 'write', raw: true, sendTimeoutMs: 250 }));
    const { sent, waiting } = await fillUntilWaiting(writer);
    const e = await busError(waiting);
    expect(e.code).toBe('BUSY');
    expect(e.details).toEqual({ paths: [stuck.resolved.slotPath(stuck.entry)] });
    // The kernel took the frame for the reading listener before the give-up; it may still be on its way up.
    if (!received.includes(sent)) await arrival(alive, sent);
    expect(received).toEqual(Array.from({ length: sent + 1 }, (_, i) => i));
  });

  it('rejects a waiting send, and the sends queued behind it, with TRANSPORT_CLOSED when the transport closes', async () => {
    const path = uniqueSlot(runtimeDir, 'closes');
    stalledReader(path);
    const writer = await started(new MailslotTransport({ address: path, mode: 'write', raw: true }));
    const { sent, waiting } = await fillUntilWaiting(writer);
    const queued = writer.send(frame(sent + 1));
    queued.catch(() => undefined);
    await writer.close();
    expect((await busError(waiting)).code).toBe('TRANSPORT_CLOSED');
    expect((await busError(queued)).code).toBe('TRANSPORT_CLOSED');
  });
});

(onLinux ? describe : describe.skip)('mailslot writer sockets on Linux', () => {
  it('closes every connected socket when the transport closes, a waiting one included (no fd leak)', async () => {
    // Once per process the writable wait makes its wake-up pair: let that happen before counting.
    const warmPath = uniqueSlot(runtimeDir, 'warm');
    stalledReader(warmPath);
    const warm = await started(new MailslotTransport({ address: warmPath, mode: 'write', raw: true }));
    const { waiting: warming } = await fillUntilWaiting(warm);
    await warm.close();
    await busError(warming);

    const group = uniqueGroup('fds');
    const [full, other] = [stalledListener(group), stalledListener(group)];
    const third = await started(new MailslotTransport({ address: group, runtimeDir, mode: 'read', raw: true }));
    const before = openFds();
    const writer = await started(new MailslotTransport({ address: group, runtimeDir, mode: 'write', raw: true }));
    await writer.send(frame(0));
    expect(writer.stats()).toMatchObject({ listeners: 3, deliveries: 3 });
    expect(openFds().length).toBe(before.length + 3);
    // The two stalled listeners fill up while `third` reads; the send waits in poll() when the transport closes.
    const { waiting } = await fillUntilWaiting(writer, 1);
    await writer.close();
    expect((await busError(waiting)).code).toBe('TRANSPORT_CLOSED');
    expect(openFds()).toEqual(before);
    expect([full.take(1), other.take(1), await third.close()]).toEqual([[0], [0], undefined]);
  });

  it('closes the socket to a listener that left the group at the next send', async () => {
    const group = uniqueGroup('leaves');
    const stays = await started(new MailslotTransport({ address: group, runtimeDir, mode: 'read', raw: true }));
    const leaves = await started(new MailslotTransport({ address: group, runtimeDir, mode: 'read', raw: true }));
    const writer = await started(new MailslotTransport({ address: group, runtimeDir, mode: 'write', raw: true }));
    await writer.send(frame(0));
    expect(writer.stats().listeners).toBe(2);
    await leaves.close();
    const before = openFds();
    const arrived = arrival(stays, 1);
    await writer.send(frame(1));
    expect(writer.stats().listeners).toBe(1);
    expect(openFds().length).toBe(before.length - 1);
    await arrived;
  });

  it('names one sender to every listener: all sockets of a writer are one peer', async () => {
    const group = uniqueGroup('peer');
    const [a, b] = [
      await started(new MailslotTransport({ address: group, runtimeDir, mode: 'read', raw: true })),
      await started(new MailslotTransport({ address: group, runtimeDir, mode: 'read', raw: true })),
    ];
    const writer = await started(new MailslotTransport({ address: group, runtimeDir, mode: 'write', raw: true }));
    const got = Promise.all([a, b].map((t) => firstValueFrom(t.frames$.pipe(take(2), toArray()))));
    await writer.send(frame(0));
    await writer.send(frame(1));
    const peers = (await got).flat().map((f) => f.peer);
    expect(new Set(peers.map((p) => p.id)).size).toBe(1);
    expect(peers[0]).toMatchObject({ id: expect.stringMatching(new RegExp(`^mailslot:${process.pid}-[0-9a-f]+$`)), pid: process.pid });
  });
});
