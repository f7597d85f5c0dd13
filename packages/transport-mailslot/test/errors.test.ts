import { afterAll, describe, expect, it } from '@jest/globals';
import { BusError, MessageBus, silentLogger } from '@pipebus/core';
import { MailslotTransport, resolveMailslotAddress } from '@pipebus/transport-mailslot';
import { fork } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { busError, onWindows, privateRuntimeDir, uniqueGroup, uniqueSlot } from './helpers.js';
import { RUN_TS, nextMessage, thrown as thrownBy } from '@pipebus/test-support';

const runtime = privateRuntimeDir();
afterAll(() => runtime.dispose());
const runtimeDir = runtime.dir;

const thrown = (fn: () => unknown): BusError => thrownBy(fn, BusError);

describe('mailslot errors', () => {
  it('refuses a second reader of one slot with ADDRESS_IN_USE and the OS code', async () => {
    const address = uniqueSlot(runtimeDir, 'twice');
    const first = new MailslotTransport({ address, mode: 'read' });
    const second = new MailslotTransport({ address, mode: 'read' });
    await first.start();
    try {
      const e = await busError(second.start());
      expect(e.code).toBe('ADDRESS_IN_USE');
      expect(e.osName).toBe(onWindows ? 'ERROR_ALREADY_EXISTS' : 'EADDRINUSE');
      if (onWindows) expect(e.osCode).toBe(183);
      expect(second.state).toBe('idle');
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('takes over the slot once its reader closed', async () => {
    const address = uniqueSlot(runtimeDir, 'again');
    const first = new MailslotTransport({ address, mode: 'read' });
    await first.start();
    await first.close();
    const second = new MailslotTransport({ address, mode: 'read' });
    await second.start();
    await second.close();
  });

  it('takes over the slot of a reader process killed with SIGKILL, and receives on it', async () => {
    const address = uniqueSlot(runtimeDir, 'crashed');
    const child = fork(RUN_TS, [join(__dirname, 'fixtures', 'slot-reader.ts'), address], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const ready = await nextMessage(child, (m): m is { type: 'ready'; path: string } => (m as { type?: string }).type === 'ready');
    expect(ready.path).toBe(address);
    // While the child reads, the slot is taken.
    expect((await busError(new MailslotTransport({ address, mode: 'read' }).start())).code).toBe('ADDRESS_IN_USE');

    child.kill('SIGKILL');
    const signal = await exited;
    if (!onWindows) {
      expect(signal).toBe('SIGKILL');
      // A crash leaves the socket file behind: the next reader must tell it is stale and replace it.
      expect(lstatSync(address).isSocket()).toBe(true);
    }
    const reader = new MailslotTransport({ address, mode: 'read' });
    const writer = new MailslotTransport({ address, mode: 'write' });
    const got: number[][] = [];
    const received = new Promise<void>((resolve) => reader.events.on('frame', (f) => (got.push([...f.data]), resolve())));
    try {
      await reader.start();
      await writer.start();
      await writer.send(Uint8Array.of(4, 2));
      await received;
      expect(got).toEqual([[4, 2]]);
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  }, 60_000);

  it('gives NOT_FOUND, not silence, when writing to a slot nobody reads', async () => {
    const writer = new MailslotTransport({ address: uniqueSlot(runtimeDir, 'nobody'), mode: 'write' });
    await writer.start();
    try {
      const e = await busError(writer.send(Uint8Array.of(1, 2, 3)));
      expect(e.code).toBe('NOT_FOUND');
      expect(e.osName).toBe(onWindows ? 'ERROR_FILE_NOT_FOUND' : 'ENOENT');
      if (onWindows) expect(e.osCode).toBe(2);
    } finally {
      await writer.close();
    }
  });

  it('rejects sending on a read-only transport with NOT_SUPPORTED', async () => {
    const reader = new MailslotTransport({ address: uniqueGroup('ro'), runtimeDir, mode: 'read' });
    await reader.start();
    try {
      expect((await busError(reader.send(Uint8Array.of(1)))).code).toBe('NOT_SUPPORTED');
    } finally {
      await reader.close();
    }
  });

  it('closes promptly while its reader waits, well inside the read timeout', async () => {
    const t = new MailslotTransport({ address: uniqueGroup('prompt'), runtimeDir, readTimeoutMs: 5000 });
    await t.start();
    const started = Date.now();
    await t.close();
    // The wake-up cuts the blocking wait short; without it this would take ~5 s.
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('fails FRAME_TOO_LARGE above the bus maxMessageSize before any fragment is sent', async () => {
    const address = uniqueGroup('toolarge');
    const reader = new MailslotTransport({ address, runtimeDir, mode: 'read', frameSize: 424 });
    const bus = new MessageBus(new MailslotTransport({ address, runtimeDir, mode: 'write', frameSize: 424 }), { logger: silentLogger, maxMessageSize: 4096 });
    await reader.start();
    await bus.start();
    try {
      const e = await busError(bus.publish('big.thing', new Uint8Array(8192)));
      expect(e.code).toBe('FRAME_TOO_LARGE');
      const sent = (bus.transport as MailslotTransport).stats();
      expect({ framesSent: sent.framesSent, deliveries: sent.deliveries }).toEqual({ framesSent: 0, deliveries: 0 });
      expect(bus.stats().fragmentsOut).toBe(0);
    } finally {
      await Promise.all([bus.close(), reader.close()]);
    }
  });
});

describe('mailslot options and addresses', () => {
  it.each([
    [{ address: '' }, /non-empty/],
    [{ address: 'pipe://x' }, /unrecognised mailslot address/],
    [{ address: 'mailslot://bad name' }, /letters, digits/],
    [{ address: 'mailslot://g', mode: 'sideways' }, /mode/],
    [{ address: 'mailslot://g', frameSize: 10 }, /frameSize/],
    [{ address: 'mailslot://g', frameSize: 1.5 }, /frameSize/],
    [{ address: 'mailslot://g', readTimeoutMs: 0 }, /readTimeoutMs/],
    [{ address: 'mailslot://g', sendTimeoutMs: 0 }, /sendTimeoutMs must be an integer from 1/],
    [{ address: 'mailslot://g', sendTimeoutMs: 2.5 }, /sendTimeoutMs/],
    [{ address: 'mailslot://g', sendTimeoutMs: 600_001 }, /sendTimeoutMs/],
    [{ address: 'mailslot://g', raw: 'yes' }, /raw/],
    [{ address: 'mailslot://g', logger: {} }, /logger/],
  ])('rejects %j with INVALID_ARGUMENT', (options, message) => {
    const e = thrown(() => new MailslotTransport(options as never));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(message);
  });

  it('asks for a mode on a single slot', () => {
    const e = thrown(() => new MailslotTransport({ address: onWindows ? '\\\\.\\mailslot\\x' : '/tmp/x.sock' }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/mode 'read'/);
  });

  it('resolves group, slot and domain addresses per platform', () => {
    const group = resolveMailslotAddress('mailslot://orders', { platform: 'linux', runtimeDir: '/run/user/1/pipebus' });
    expect(group.kind === 'group' && [group.registryDir, group.slotPath('12-ab')]).toEqual(['/run/user/1/pipebus/mailslot/orders', '/run/user/1/pipebus/mailslot/orders/12-ab.sock']);
    const win = resolveMailslotAddress('mailslot://orders', { platform: 'win32' });
    expect(win.kind === 'group' && win.slotPath('12-ab')).toBe('\\\\.\\mailslot\\pipebus\\orders\\12-ab');
    expect(resolveMailslotAddress('\\\\.\\mailslot\\Mymailslot', { platform: 'win32' })).toMatchObject({ kind: 'slot', path: '\\\\.\\mailslot\\Mymailslot' });
    expect(resolveMailslotAddress('\\\\*\\mailslot\\news', { platform: 'win32' })).toMatchObject({ kind: 'domain', target: '*' });
    expect(resolveMailslotAddress('\\\\CORP\\mailslot\\news', { platform: 'win32' })).toMatchObject({ kind: 'domain', target: 'CORP' });
    expect(thrown(() => resolveMailslotAddress('\\\\*\\mailslot\\news', { platform: 'linux' })).code).toBe('NOT_SUPPORTED');
    expect(thrown(() => resolveMailslotAddress('/tmp/x.sock', { platform: 'win32' })).code).toBe('NOT_SUPPORTED');
    expect(thrown(() => resolveMailslotAddress(`mailslot://${'a'.repeat(90)}`, { platform: 'linux', runtimeDir: '/run/user/1/pipebus' })).message).toMatch(/socket path/);
  });

  it('reports 424-byte, unreliable, unordered capabilities for a domain broadcast', () => {
    if (!onWindows) {
      expect(thrown(() => new MailslotTransport({ address: '\\\\*\\mailslot\\news' })).code).toBe('NOT_SUPPORTED');
      return;
    }
    const t = new MailslotTransport({ address: '\\\\*\\mailslot\\news', frameSize: 65536 });
    expect(t.capabilities).toEqual({ duplex: false, broadcast: true, maxFrameSize: 424, reliable: false, ordered: false });
  });
});
