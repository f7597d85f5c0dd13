import { chmodSync, chownSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { BusError, type Logger } from '@pipebus/core';
import { MailslotTransport, resolveMailslotAddress } from '@pipebus/transport-mailslot';
import { busError, onWindows, privateRuntimeDir, uniqueGroup } from './helpers.js';

const runtime = privateRuntimeDir();
afterAll(() => runtime.dispose());
let n = 0;
/** A fresh directory inside this file's private one (the test's "runtime dir" or the attacker's). */
const fresh = (what: string): string => {
  const dir = join(runtime.dir, `${what}-${n++}`);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
};
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
/** Tests that give a file to another uid: CI runs as root; elsewhere chown is not allowed. */
const itAsRoot = isRoot ? it : it.skip;
const NOBODY = 65534;

/** A logger that keeps warnings, to see what the registry ignored. */
function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const none = (): void => {};
  return { warnings, debug: none, info: none, warn: (m: string) => void warnings.push(m), error: none };
}

function groupDir(address: string, runtimeDir: string): string {
  const r = resolveMailslotAddress(address, { runtimeDir });
  if (r.kind !== 'group') throw new Error('not a group');
  return r.registryDir;
}

/** A listener someone else planted: a raw slot reading at `path`, counting what reaches it. */
async function plantedReader(path: string): Promise<{ received: () => number; close: () => Promise<void> }> {
  const t = new MailslotTransport({ address: path, mode: 'read', raw: true });
  let got = 0;
  t.frames$.subscribe(() => got++);
  await t.start();
  return { received: () => got, close: () => t.close() };
}

(onWindows ? describe.skip : describe)('mailslot runtime directory policy (POSIX; Windows has no symlinked dirs to test here)', () => {
  it('refuses a runtime directory that is a symlink with ACCESS_DENIED and says what to change', async () => {
    const real = fresh('real');
    const link = join(runtime.dir, `link-${n++}`);
    symlinkSync(real, link);
    const e = await busError(new MailslotTransport({ address: uniqueGroup('symlink'), runtimeDir: link }).start());
    expect(e.code).toBe('ACCESS_DENIED');
    expect(e.message).toContain('is a symlink');
    expect(e.message).toContain('options.runtimeDir');
  });

  it('refuses a symlink anywhere below the runtime directory (the mailslot/ dir)', async () => {
    const root = fresh('root');
    symlinkSync(fresh('elsewhere'), join(root, 'mailslot'));
    const e = await busError(new MailslotTransport({ address: uniqueGroup('sublink'), runtimeDir: root }).start());
    expect(e.code).toBe('ACCESS_DENIED');
    expect(e.message).toContain(join(root, 'mailslot'));
  });

  it('refuses a runtime directory open to other users and names the chmod to run', async () => {
    const dir = fresh('open');
    chmodSync(dir, 0o755);
    const e = await busError(new MailslotTransport({ address: uniqueGroup('mode'), runtimeDir: dir }).start());
    expect(e.code).toBe('ACCESS_DENIED');
    expect(e.message).toContain(`chmod 700 ${dir}`);
  });

  itAsRoot('refuses a runtime directory owned by another uid (needs root to chown; skipped when not root)', async () => {
    const dir = fresh('theirs');
    chownSync(dir, NOBODY, NOBODY);
    const e = await busError(new MailslotTransport({ address: uniqueGroup('owner'), runtimeDir: dir }).start());
    expect(e.code).toBe('ACCESS_DENIED');
    expect(e.message).toContain(`belongs to uid ${NOBODY}`);
  });

  it('refuses a relative runtimeDir and ignores a relative XDG_RUNTIME_DIR', () => {
    expect(() => new MailslotTransport({ address: 'mailslot://x', runtimeDir: 'rel/dir' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as unknown as BusError);
    const saved = process.env['XDG_RUNTIME_DIR'];
    process.env['XDG_RUNTIME_DIR'] = 'relative/run';
    try {
      const r = resolveMailslotAddress('mailslot://x', { platform: 'linux' });
      expect(r.kind === 'group' && r.registryDir).toBe(join(tmpdir(), `pipebus-${process.getuid!()}`, 'mailslot', 'x'));
    } finally {
      if (saved === undefined) delete process.env['XDG_RUNTIME_DIR'];
      else process.env['XDG_RUNTIME_DIR'] = saved;
    }
  });

  for (const swapped of ['the group directory', 'the runtime directory'] as const) {
    it(`stops sending when ${swapped} is swapped for a symlink after start(): no event reaches the planted listener`, async () => {
      const runtimeDir = fresh('rt');
      const address = uniqueGroup('swap');
      const listener = new MailslotTransport({ address, runtimeDir, mode: 'read', raw: true });
      const writer = new MailslotTransport({ address, runtimeDir, mode: 'write', raw: true });
      await listener.start();
      await writer.start();
      const registryDir = groupDir(address, runtimeDir);
      // The attacker's copy of the tree, with a listener of its own and a marker naming it.
      const evilRoot = fresh('evil');
      const evilGroup = join(evilRoot, 'mailslot', registryDir.slice(join(runtimeDir, 'mailslot').length + 1));
      mkdirSync(evilGroup, { recursive: true, mode: 0o700 });
      const entry = `${process.pid}-e0e0e0e0`;
      const swapTarget = swapped === 'the group directory' ? registryDir : runtimeDir;
      const planted = await plantedReader(join(evilGroup, `${entry}.sock`));
      writeFileSync(join(evilGroup, `${entry}.listener`), `${join(registryDir, `${entry}.sock`)}\n`, { mode: 0o600 });
      try {
        await writer.send(Uint8Array.of(1));
        expect(writer.stats().deliveries).toBe(1);
        renameSync(swapTarget, `${swapTarget}.old`);
        symlinkSync(swapTarget === registryDir ? evilGroup : evilRoot, swapTarget);
        const e = await busError(writer.send(Uint8Array.of(2)));
        expect(e.code).toBe('ACCESS_DENIED');
        expect(e.message).toContain('was replaced after start()');
        expect(writer.stats().deliveries).toBe(1);
        expect(planted.received()).toBe(0);
      } finally {
        await Promise.all([writer.close(), listener.close(), planted.close()]);
      }
    });
  }

  describe('planted markers in the group directory are ignored, and logged once', () => {
    /** A group with one honest listener, and a slot someone else binds at the name a planted marker implies. */
    async function withPlanted(plant: (dir: string, entry: string) => void, check: (warning: string) => void): Promise<void> {
      const runtimeDir = fresh('rt');
      const address = uniqueGroup('plant');
      const logger = recordingLogger();
      const honest = new MailslotTransport({ address, runtimeDir, mode: 'read', raw: true });
      const writer = new MailslotTransport({ address, runtimeDir, mode: 'write', raw: true, logger });
      await honest.start();
      await writer.start();
      const dir = groupDir(address, runtimeDir);
      const entry = `${process.pid}-abcdef01`;
      const planted = await plantedReader(join(dir, `${entry}.sock`));
      plant(dir, entry);
      try {
        await writer.send(Uint8Array.of(1));
        await writer.send(Uint8Array.of(2));
        expect(writer.stats().deliveries).toBe(2);
        expect(planted.received()).toBe(0);
        const about = logger.warnings.filter((w) => w.includes(`${entry}.listener`));
        expect(about).toHaveLength(1);
        check(about[0]!);
      } finally {
        await Promise.all([writer.close(), honest.close(), planted.close()]);
      }
    }

    it('a marker that is a symlink', () =>
      withPlanted(
        (dir, entry) => {
          const target = join(fresh('target'), 'marker');
          writeFileSync(target, `${join(dir, `${entry}.sock`)}\n`);
          symlinkSync(target, join(dir, `${entry}.listener`));
        },
        (w) => expect(w).toContain('not a regular file'),
      ));

    it('a marker naming a slot outside the group directory', () =>
      withPlanted(
        (dir, entry) => writeFileSync(join(dir, `${entry}.listener`), `${join(tmpdir(), 'elsewhere.sock')}\n`, { mode: 0o600 }),
        (w) => expect(w).toContain('not its own slot'),
      ));

    itAsRoot('a marker owned by another uid (needs root to chown; skipped when not root)', () =>
      withPlanted(
        (dir, entry) => {
          const file = join(dir, `${entry}.listener`);
          writeFileSync(file, `${join(dir, `${entry}.sock`)}\n`, { mode: 0o600 });
          chownSync(file, NOBODY, NOBODY);
        },
        (w) => expect(w).toContain('owned by another user'),
      ));
  });
});
