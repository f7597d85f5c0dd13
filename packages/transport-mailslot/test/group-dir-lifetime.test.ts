import { existsSync, readdirSync, renameSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { MailslotTransport, resolveMailslotAddress, type MailslotOptions, type ResolvedGroupAddress } from '@pipebus/transport-mailslot';
import { withBackend } from '../src/backend/backend-seam.js';
import { loadPlatformBackend } from '../src/backend/choose-backend.js';
import type { SlotBackend } from '../src/backend/slot-backend.js';
import { GroupRegistry } from '../src/registry/group-registry.js';
import { privateRuntimeDir, uniqueGroup } from './helpers.js';

// A group's registry directory lives as long as its members: the last to
// leave removes it, so group names used once leave nothing behind.

const runtime = privateRuntimeDir();
afterAll(() => runtime.dispose());
const open: MailslotTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

function member(address: string, options: Partial<MailslotOptions> = {}): MailslotTransport {
  const t = new MailslotTransport({ address, runtimeDir: runtime.dir, raw: true, ...options });
  open.push(t);
  return t;
}

function resolved(address: string): ResolvedGroupAddress {
  const r = resolveMailslotAddress(address, { runtimeDir: runtime.dir });
  if (r.kind !== 'group') throw new Error('not a group');
  return r;
}

/** A pid no process has (above Linux's 2^22 limit and any Windows pid a test meets). */
const DEAD_PID = 99_999_999;

describe('mailslot group directories', () => {
  it('are removed when the last member closes, and kept while one remains', async () => {
    const address = uniqueGroup('last');
    const dir = resolved(address).registryDir;
    const a = member(address, { mode: 'read' });
    const b = member(address, { mode: 'both' });
    await a.start();
    await b.start();
    await a.close();
    expect(existsSync(dir)).toBe(true);
    await b.close();
    expect(existsSync(dir)).toBe(false);
  });

  it('are removed when a write-only member that made one closes', async () => {
    const address = uniqueGroup('writer');
    const writer = member(address, { mode: 'write' });
    await writer.start();
    expect(existsSync(resolved(address).registryDir)).toBe(true);
    await writer.close();
    expect(existsSync(resolved(address).registryDir)).toBe(false);
  });

  it('are removed when a sweep removes the last dead member', async () => {
    const address = uniqueGroup('sweep');
    const r = resolved(address);
    const writer = member(address, { mode: 'write' });
    await writer.start();
    const entry = `${DEAD_PID}-0badf00d`;
    writeFileSync(join(r.registryDir, `${entry}.listener`), `${r.slotPath(entry)}\n`, { mode: 0o600 });
    await writer.send(Uint8Array.of(1));
    expect(writer.stats().swept).toBe(1);
    expect(existsSync(r.registryDir)).toBe(false);
  });

  it('are never removed while something else is in them', async () => {
    const address = uniqueGroup('notempty');
    const dir = resolved(address).registryDir;
    const reader = member(address, { mode: 'read' });
    await reader.start();
    writeFileSync(join(dir, 'notes.txt'), 'keep me');
    await reader.close();
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  });

  it('a member that started before keeps sending once the directory was removed and made again', async () => {
    const address = uniqueGroup('remade');
    const dir = resolved(address).registryDir;
    const writer = member(address, { mode: 'write' });
    await writer.start();
    // As if the last member had removed it: moved away rather than removed, so that its inode stays
    // taken and the one made next is certainly another (a file system may reuse a freed inode at once).
    renameSync(dir, `${dir}.old`);
    const second = member(address, { mode: 'read' });
    await second.start();
    expect(statSync(dir).ino).not.toBe(statSync(`${dir}.old`).ino);
    const got = firstValueFrom(second.frames$, { defaultValue: undefined });
    await writer.send(Uint8Array.of(7));
    expect([...((await got)?.data ?? [])]).toEqual([7]);
    rmdirSync(`${dir}.old`);
  });

  it('a joiner whose directory the last member removes between its mkdir and its first file makes it again and registers', async () => {
    const address = uniqueGroup('race');
    const r = resolved(address);
    // The member about to leave: registered (a marker only), so the directory exists when the joiner arrives.
    const leaver = new GroupRegistry(r, () => true);
    leaver.ensureDir();
    leaver.register(`${process.pid}-1eaf1eaf`);
    // The leaver leaves at the worst moment: after the joiner's ensureDir(), before its slot (on POSIX its
    // first file in the directory) or its marker (Windows) exists.
    const real = await loadPlatformBackend();
    let left = false;
    const backend = new Proxy(real, {
      get(target, key) {
        if (key === 'createReader') {
          return (...args: Parameters<SlotBackend['createReader']>) => {
            if (!left) {
              left = true;
              leaver.unregister(`${process.pid}-1eaf1eaf`);
              expect(existsSync(r.registryDir)).toBe(false);
            }
            return target.createReader(...args);
          };
        }
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const joiner = new MailslotTransport(withBackend({ address, runtimeDir: runtime.dir, raw: true, mode: 'read' }, backend));
    open.push(joiner);
    await joiner.start();
    expect(left).toBe(true);
    expect(readdirSync(r.registryDir).filter((n) => n.endsWith('.listener'))).toHaveLength(1);
    const writer = member(address, { mode: 'write' });
    await writer.start();
    const got = firstValueFrom(joiner.frames$, { defaultValue: undefined });
    await writer.send(Uint8Array.of(9));
    expect([...((await got)?.data ?? [])]).toEqual([9]);
  });
});
