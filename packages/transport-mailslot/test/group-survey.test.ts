import { chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { BusError } from '@pipebus/core';
import { inspectMailslotGroup, MailslotTransport, resolveMailslotAddress, type ResolvedGroupAddress } from '@pipebus/transport-mailslot';
import { thrown } from '@pipebus/test-support';
import { onWindows, privateRuntimeDir, spawnSubscriber, uniqueGroup } from './helpers.js';

// inspectMailslotGroup is what `pipebus doctor mailslot://GROUP` shows: the
// live members, the dead ones swept, with the transport's directory checks.

const runtime = privateRuntimeDir();
afterAll(() => runtime.dispose());
const open: MailslotTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

async function member(address: string): Promise<MailslotTransport> {
  const t = new MailslotTransport({ address, runtimeDir: runtime.dir, mode: 'read' });
  open.push(t);
  await t.start();
  return t;
}

function resolved(address: string): ResolvedGroupAddress {
  const r = resolveMailslotAddress(address, { runtimeDir: runtime.dir });
  if (r.kind !== 'group') throw new Error('not a group');
  return r;
}

const survey = (address: string): ReturnType<typeof inspectMailslotGroup> => inspectMailslotGroup(address, { runtimeDir: runtime.dir });

/** A pid no process has (above Linux's 2^22 limit and any Windows pid a test meets). */
const DEAD_PID = 99_999_999;

/** A marker as a member writes it, for a pid of our choosing. */
function handMadeEntry(r: ResolvedGroupAddress, pid: number): string {
  const entry = `${pid}-0badf00d`;
  writeFileSync(join(r.registryDir, `${entry}.listener`), `${r.slotPath(entry)}\n`, { mode: 0o600 });
  return entry;
}

describe('inspectMailslotGroup', () => {
  it('lists the live members of a group, each with pid, slot and since when (uid on POSIX)', async () => {
    const address = uniqueGroup('live');
    const before = Date.now();
    const a = await member(address);
    const b = await member(address);
    const report = survey(address);
    expect(report.found).toBe(true);
    expect(report.members.map((m) => m.slot).sort()).toEqual([a.path, b.path].sort());
    for (const m of report.members) {
      expect(m.pid).toBe(process.pid);
      expect(m.uid).toBe(onWindows ? undefined : process.getuid!());
      // File times may be a little coarser than Date.now().
      expect(m.since.getTime()).toBeGreaterThanOrEqual(before - 2000);
    }
    expect(report.dead).toEqual([]);
    expect(report.ignored).toEqual([]);
  });

  it('says a group without a directory is not found, and creates nothing', () => {
    const address = uniqueGroup('none');
    const report = survey(address);
    expect(report).toMatchObject({ found: false, members: [], dead: [], dirRemoved: false });
    expect(existsSync(resolved(address).registryDir)).toBe(false);
  });

  it('sweeps a member killed with SIGKILL and removes the directory it leaves empty', async () => {
    const address = uniqueGroup('killed');
    const r = resolved(address);
    const sub = await spawnSubscriber(address, '>', runtime.dir);
    expect(survey(address).members.map((m) => m.pid)).toEqual([sub.pid]);
    sub.child.kill('SIGKILL');
    await sub.exited;
    // Its marker (and on POSIX its socket) is still there: nobody removed it.
    expect(readdirSync(r.registryDir).length).toBeGreaterThan(0);
    const report = survey(address);
    expect(report.members).toEqual([]);
    expect(report.dead.map((d) => d.pid)).toEqual([sub.pid]);
    expect(report.dirRemoved).toBe(true);
    expect(existsSync(r.registryDir)).toBe(false);
  });

  it('sweeps a dead entry and keeps the directory while a live member remains', async () => {
    const address = uniqueGroup('mixed');
    const r = resolved(address);
    const live = await member(address);
    const entry = handMadeEntry(r, DEAD_PID);
    const report = survey(address);
    expect(report.members.map((m) => m.slot)).toEqual([live.path]);
    expect(report.dead).toEqual([{ entry, pid: DEAD_PID }]);
    expect(report.dirRemoved).toBe(false);
    expect(existsSync(join(r.registryDir, `${entry}.listener`))).toBe(false);
    expect(existsSync(r.registryDir)).toBe(true);
  });

  it('only reports dead entries when sweep is false', async () => {
    const address = uniqueGroup('nosweep');
    const r = resolved(address);
    await member(address);
    const entry = handMadeEntry(r, DEAD_PID);
    const report = inspectMailslotGroup(address, { runtimeDir: runtime.dir, sweep: false });
    expect(report.dead).toEqual([{ entry, pid: DEAD_PID }]);
    expect(existsSync(join(r.registryDir, `${entry}.listener`))).toBe(true);
  });

  // Symlinks are POSIX cases: under Wine a unix symlink is not shown to Windows programs as a link at all.
  (onWindows ? it.skip : it)('refuses a group directory that is a symlink, reading and removing nothing behind it (POSIX)', async () => {
    const address = uniqueGroup('linkdir');
    const r = resolved(address);
    await member(uniqueGroup('mkparent')); // makes <runtime>/mailslot
    const elsewhere = join(runtime.dir, `elsewhere-${process.pid}`);
    mkdirSync(elsewhere, { mode: 0o700 });
    const victim = `${DEAD_PID}-0badf00d.listener`;
    writeFileSync(join(elsewhere, victim), `${r.slotPath(`${DEAD_PID}-0badf00d`)}\n`, { mode: 0o600 });
    symlinkSync(elsewhere, r.registryDir, 'dir');
    const error = thrown(() => survey(address), BusError);
    expect(error.code).toBe('ACCESS_DENIED');
    expect(error.message).toMatch(/symlink/);
    expect(readdirSync(elsewhere)).toEqual([victim]);
  });

  (onWindows ? it.skip : it)('leaves a symlinked marker alone (never followed) and reports it (POSIX)', async () => {
    const address = uniqueGroup('linkmarker');
    const r = resolved(address);
    await member(address);
    const target = join(runtime.dir, `target-${process.pid}.txt`);
    writeFileSync(target, 'not a marker');
    // A live pid (ours), so only the marker's own checks decide; and a dead one, which is not swept either.
    for (const pid of [process.pid, DEAD_PID]) symlinkSync(target, join(r.registryDir, `${pid}-5ca1ab1e.listener`));
    const report = survey(address);
    expect(report.ignored.map((i) => i.name).sort()).toEqual([`${DEAD_PID}-5ca1ab1e.listener`, `${process.pid}-5ca1ab1e.listener`].sort());
    expect(report.ignored.every((i) => i.reason === 'not a regular file')).toBe(true);
    expect(report.members).toHaveLength(1);
    expect(report.dead).toEqual([]);
    expect(lstatSync(join(r.registryDir, `${DEAD_PID}-5ca1ab1e.listener`)).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('not a marker');
  });

  (onWindows ? it.skip : it)('removes a dead member socket but never what a symlink at a socket name points to (POSIX)', async () => {
    const address = uniqueGroup('linksock');
    const r = resolved(address);
    await member(address);
    const target = join(runtime.dir, `sock-target-${process.pid}.txt`);
    writeFileSync(target, 'keep');
    const entry = handMadeEntry(r, DEAD_PID);
    symlinkSync(target, r.slotPath(entry));
    const report = survey(address);
    expect(report.dead).toEqual([{ entry, pid: DEAD_PID }]);
    // The marker is swept; the symlink is not a socket, so it stays, and so does its target.
    expect(existsSync(join(r.registryDir, `${entry}.listener`))).toBe(false);
    expect(lstatSync(r.slotPath(entry)).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('keep');
  });

  (!onWindows && process.getuid?.() === 0 ? it : it.skip)('refuses a marker of another user and leaves it (as root)', async () => {
    const address = uniqueGroup('foreign');
    const r = resolved(address);
    await member(address);
    const entry = handMadeEntry(r, DEAD_PID);
    chownSync(join(r.registryDir, `${entry}.listener`), 65534, 65534);
    const report = survey(address);
    expect(report.ignored).toEqual([{ name: `${entry}.listener`, reason: 'owned by another user' }]);
    expect(report.dead).toEqual([]);
    expect(existsSync(join(r.registryDir, `${entry}.listener`))).toBe(true);
  });

  it('refuses a single-slot address: it has no registry', () => {
    const slot = onWindows ? '\\\\.\\mailslot\\pbtest\\x' : join(runtime.dir, 'x.sock');
    expect(thrown(() => inspectMailslotGroup(slot), BusError).code).toBe('INVALID_ARGUMENT');
  });
});
