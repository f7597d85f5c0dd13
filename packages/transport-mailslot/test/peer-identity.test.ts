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
 * Sends `text` as one datagram to `path`, first binding the name `claim` (an
 * abstract name when it starts with NUL, as a pipebus writer names itself).
 * Python, not Node: the sender may run as another user, who cannot read this
 * checkout (a clone under `mktemp -d` is 0700) and so cannot load koffi from
 * it; python3's socket module needs nothing of ours. NUL cannot travel in
 * argv, so an abstract name goes as '@name'. Exit 3: bind failed; 4: send failed.
 */
const SEND_PY = `
import socket, sys
path, text, claim = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
try:
    s.bind('\\0' + claim[1:] if claim.startswith('@') else claim)
except OSError:
    sys.exit(3)
sys.exit(0 if s.sendto(text, path) == len(text) else 4)
`;

/** Runs {@link SEND_PY} in a child (as `uid` if given); resolves with its exit code (-1 if python3 could not start). */
function sendFromChild(path: string, text: string, claim: string, uid?: number): Promise<number | null> {
  const name = claim.startsWith('\0') ? `@${claim.slice(1)}` : claim;
  const child = spawn('python3', ['-c', SEND_PY, path, text, name], {
    cwd: '/',
    stdio: 'ignore',
    ...(uid !== undefined && { uid, gid: uid }),
  });
  return new Promise((resolve) => {
    child.once('error', () => resolve(-1));
    child.once('exit', (code) => resolve(code));
  });
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
