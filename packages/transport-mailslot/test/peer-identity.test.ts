import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { firstValueFrom, take, toArray } from 'rxjs';
import type { InboundFrame } from '@pipebus/core';
import { MailslotTransport } from '@pipebus/transport-mailslot';
import { privateRuntimeDir, uniqueGroup, uniqueSlot } from './helpers.js';

const runtime = privateRuntimeDir();
afterAll(() => runtime.dispose());
const runtimeDir = runtime.dir;
const onLinux = process.platform === 'linux';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const NOBODY = 65534;

/**
 * A node one-liner that sends `text` as one datagram to `path` through libc,
 * first binding the abstract name `claim` (as a pipebus writer names itself).
 */
function sendScript(path: string, text: string, claim: string): string {
  return `
    const koffi = require('koffi');
    const lib = koffi.load('libc.so.6');
    const socket = lib.func('int socket(int, int, int)');
    const bind = lib.func('int bind(int, void *, uint32_t)');
    const sendto = lib.func('intptr_t sendto(int, void *, size_t, int, void *, uint32_t)');
    const addr = (p) => { const b = Buffer.alloc(110); b.writeUInt16LE(1, 0); const s = Buffer.from(p); s.copy(b, 2); return [b, 2 + s.length + (s[0] === 0 ? 0 : 1)]; };
    const fd = socket(1, 2, 0);
    const [name, nameLen] = addr(${JSON.stringify(claim)});
    if (bind(fd, name, nameLen) !== 0) process.exit(3);
    const [to, toLen] = addr(${JSON.stringify(path)});
    const data = Buffer.from(${JSON.stringify(text)});
    process.exit(sendto(fd, data, data.length, 0, to, toLen) === data.length ? 0 : 4);`;
}

/** Runs {@link sendScript} in a child (as `uid` if given); resolves with its exit code. */
function sendFromChild(path: string, text: string, claim: string, uid?: number): Promise<number | null> {
  const child = spawn(process.execPath, ['-e', sendScript(path, text, claim)], {
    cwd: join(__dirname, '..'),
    stdio: 'ignore',
    ...(uid !== undefined && { uid, gid: uid }),
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

(onLinux ? describe : describe.skip)('mailslot peer identity comes from the kernel (Linux SCM_CREDENTIALS; other platforms have no per-datagram credentials)', () => {
  it('a group frame carries the sender pid and uid the kernel gives', async () => {
    const address = uniqueGroup('creds');
    const reader = new MailslotTransport({ address, runtimeDir, mode: 'read' });
    const writer = new MailslotTransport({ address, runtimeDir, mode: 'write' });
    const got = firstValueFrom(reader.frames$);
    await reader.start();
    await writer.start();
    try {
      await writer.send(Uint8Array.of(1));
      const { peer } = await got;
      expect(peer.pid).toBe(process.pid);
      expect(peer.uid).toBe(process.getuid!());
      expect(peer.id).toMatch(new RegExp(`^mailslot:${process.pid}-[0-9a-f]+$`));
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  });

  it('tells two writers apart when their datagrams interleave (the reader reuses a sender only for the same address)', async () => {
    const path = uniqueSlot(runtimeDir, 'two');
    const reader = new MailslotTransport({ address: path, mode: 'read', raw: true });
    const a = new MailslotTransport({ address: path, mode: 'write', raw: true });
    const b = new MailslotTransport({ address: path, mode: 'write', raw: true });
    const got = firstValueFrom(reader.frames$.pipe(take(6), toArray()));
    await reader.start();
    await a.start();
    await b.start();
    try {
      for (let i = 0; i < 3; i++) {
        await a.send(Uint8Array.of(0xa));
        await b.send(Uint8Array.of(0xb));
      }
      const frames = await got;
      const idOf = (byte: number): Set<string> => new Set(frames.filter((f) => f.data[0] === byte).map((f) => f.peer.id));
      expect(idOf(0xa).size).toBe(1);
      expect(idOf(0xb).size).toBe(1);
      expect([...idOf(0xa)][0]).not.toBe([...idOf(0xb)][0]);
    } finally {
      await Promise.all([a.close(), b.close(), reader.close()]);
    }
  });

  it("a process naming its socket after another writer's pid is delivered under its own pid, not the claimed one", async () => {
    const path = uniqueSlot(runtimeDir, 'spoof');
    const reader = new MailslotTransport({ address: path, mode: 'read', raw: true });
    const got = firstValueFrom(reader.frames$);
    await reader.start();
    try {
      // pid 1 is never the child: the claim is false by construction.
      const claim = `\0pipebus-w/1/abcdef01/0`;
      expect(await sendFromChild(path, 'forged', claim)).toBe(0);
      const { peer } = await got;
      expect(peer.pid).not.toBe(1);
      expect(peer.id).not.toBe('mailslot:1-abcdef01');
      expect(peer.id).toBe(`mailslot:${peer.pid}@pipebus-w/1/abcdef01/0`);
    } finally {
      await reader.close();
    }
  });

  describe('datagrams from another uid (needs root to run a child as another user; skipped when not root)', () => {
    /** A directory another user can pass through (0711), for a slot they can reach. */
    const shared = mkdtempSync(join(tmpdir(), 'pbms-shared-'));
    chmodSync(shared, 0o711);
    afterAll(() => rmSync(shared, { recursive: true, force: true }));
    const itAsRoot = isRoot ? it : it.skip;

    async function exchange(allowOtherUsers: boolean): Promise<{ frames: InboundFrame[]; reader: MailslotTransport }> {
      const path = join(shared, `u-${allowOtherUsers}.sock`);
      const reader = new MailslotTransport({ address: path, mode: 'read', raw: true, allowOtherUsers, logger: { debug() {}, info() {}, warn() {}, error() {} } });
      const own = new MailslotTransport({ address: path, mode: 'write', raw: true });
      await reader.start();
      await own.start();
      // Let the other user reach the socket even by default: the uid filter must hold on its own.
      if (!allowOtherUsers) chmodSync(path, 0o666);
      const frames = firstValueFrom(reader.frames$.pipe(take(allowOtherUsers ? 2 : 1), toArray()));
      try {
        expect(await sendFromChild(path, 'foreign', '\0pipebus-test-other', NOBODY)).toBe(0);
        // Queued after the foreign datagram: once it arrives, the foreign one was read (FIFO).
        await own.send(new TextEncoder().encode('own'));
        return { frames: await frames, reader };
      } finally {
        await Promise.all([own.close(), reader.close()]);
      }
    }

    itAsRoot('are dropped and counted by default', async () => {
      const { frames, reader } = await exchange(false);
      expect(frames.map((f) => new TextDecoder().decode(f.data))).toEqual(['own']);
      expect(reader.stats().foreignDropped).toBe(1);
    });

    itAsRoot('are delivered, with the uid the kernel gives, with allowOtherUsers', async () => {
      const { frames, reader } = await exchange(true);
      expect(frames.map((f) => new TextDecoder().decode(f.data))).toEqual(['foreign', 'own']);
      expect(frames[0]!.peer.uid).toBe(NOBODY);
      expect(reader.stats().foreignDropped).toBe(0);
    });
  });
});
