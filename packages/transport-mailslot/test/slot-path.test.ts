import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { MailslotTransport, resolveMailslotAddress } from '@pipebus/transport-mailslot';
import { busError, onWindows, privateRuntimeDir, uniqueGroup, uniqueSlot } from './helpers.js';

const runtime = privateRuntimeDir();
afterAll(() => runtime.dispose());
const runtimeDir = runtime.dir;

/** A socket file nobody is bound to, as a killed reader leaves: listen, move the file, close. */
async function staleSocket(path: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(tmp, resolve));
  renameSync(tmp, path);
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

(onWindows ? describe.skip : describe)('mailslot slot paths: only a stale socket is ever replaced (POSIX; Windows slots are not files)', () => {
  it('refuses a slot path holding a regular file with ADDRESS_IN_USE naming it, and the file survives with its content', async () => {
    const path = uniqueSlot(runtimeDir, 'file');
    writeFileSync(path, 'precious data\n');
    const e = await busError(new MailslotTransport({ address: path, mode: 'read' }).start());
    expect(e.code).toBe('ADDRESS_IN_USE');
    expect(e.message).toContain(path);
    expect(e.message).toContain('a regular file');
    expect(readFileSync(path, 'utf8')).toBe('precious data\n');
  });

  it('refuses a slot path holding a directory or a symlink, and leaves both (and the link target) in place', async () => {
    const dir = uniqueSlot(runtimeDir, 'dir');
    mkdirSync(dir);
    const target = join(runtimeDir, 'target.txt');
    writeFileSync(target, 'target\n');
    const link = uniqueSlot(runtimeDir, 'link');
    symlinkSync(target, link);
    for (const [path, what] of [[dir, 'a directory'], [link, 'a symlink']] as const) {
      const e = await busError(new MailslotTransport({ address: path, mode: 'read' }).start());
      expect(e.code).toBe('ADDRESS_IN_USE');
      expect(e.message).toContain(what);
    }
    expect(lstatSync(dir).isDirectory()).toBe(true);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('target\n');
  });

  it('refuses a socket that answers (a live reader) with ADDRESS_IN_USE', async () => {
    const path = uniqueSlot(runtimeDir, 'live');
    const first = new MailslotTransport({ address: path, mode: 'read' });
    await first.start();
    try {
      const e = await busError(new MailslotTransport({ address: path, mode: 'read' }).start());
      expect(e.code).toBe('ADDRESS_IN_USE');
      expect(lstatSync(path).isSocket()).toBe(true);
    } finally {
      await first.close();
    }
  });

  it('replaces a socket nobody answers on (what a killed reader leaves)', async () => {
    const path = uniqueSlot(runtimeDir, 'stale');
    await staleSocket(path);
    const reader = new MailslotTransport({ address: path, mode: 'read' });
    await reader.start();
    await reader.close();
    expect(existsSync(path)).toBe(false);
  });

  it('on close removes only the socket it bound, not a file that took its place', async () => {
    const path = uniqueSlot(runtimeDir, 'moved');
    const reader = new MailslotTransport({ address: path, mode: 'read' });
    await reader.start();
    renameSync(path, `${path}.away`);
    writeFileSync(path, 'someone else\n');
    await reader.close();
    expect(readFileSync(path, 'utf8')).toBe('someone else\n');
  });

  it('a sweep of a dead listener removes its marker but not a non-socket at its slot path', async () => {
    const address = uniqueGroup('sweep');
    const writer = new MailslotTransport({ address, runtimeDir, mode: 'write', raw: true });
    await writer.start();
    const r = resolveMailslotAddress(address, { runtimeDir });
    if (r.kind !== 'group') throw new Error('not a group');
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const entry = `${dead}-deadbeef`;
    writeFileSync(join(r.registryDir, `${entry}.listener`), `${r.slotPath(entry)}\n`, { mode: 0o600 });
    writeFileSync(r.slotPath(entry), 'not a socket\n');
    try {
      await writer.send(Uint8Array.of(1));
      expect(writer.stats().swept).toBe(1);
      expect(existsSync(join(r.registryDir, `${entry}.listener`))).toBe(false);
      expect(readFileSync(r.slotPath(entry), 'utf8')).toBe('not a socket\n');
    } finally {
      await writer.close();
    }
  });
});
