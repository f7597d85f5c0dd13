import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { defaultRuntimeDir } from '@pipebus/os';
import { MailslotTransport } from '@pipebus/transport-mailslot';
import { main } from '../src/index.js';
import { recordingIo } from './cli-io.js';

const base = mkdtempSync(join(tmpdir(), 'pbdoc-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

(process.platform === 'win32' ? describe.skip : describe)('pipebus doctor: the runtime directory, as the transports judge it (POSIX)', () => {
  let saved: string | undefined;
  let xdg: string;
  beforeEach(() => {
    saved = process.env['XDG_RUNTIME_DIR'];
    xdg = join(base, `xdg-${n++}`);
    mkdirSync(xdg, { mode: 0o700 });
    process.env['XDG_RUNTIME_DIR'] = xdg;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env['XDG_RUNTIME_DIR'];
    else process.env['XDG_RUNTIME_DIR'] = saved;
  });

  async function doctor(): Promise<{ code: number; text: string }> {
    const io = recordingIo();
    const code = await main(['doctor'], io);
    return { code, text: io.lines.join('\n') };
  }

  it('passes a private runtime directory and mailslot directory', async () => {
    mkdirSync(join(xdg, 'pipebus', 'mailslot', 'orders'), { recursive: true, mode: 0o700 });
    const { code, text } = await doctor();
    expect(code).toBe(0);
    expect(text).toContain(`[ok  ] runtime directory ${join(xdg, 'pipebus')}`);
    expect(text).toContain(`[ok  ] mailslot directory ${join(xdg, 'pipebus', 'mailslot')}`);
  });

  it('fails a runtime directory that is a symlink, saying the transports refuse it', async () => {
    const real = join(base, `real-${n++}`);
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, join(xdg, 'pipebus'));
    const { code, text } = await doctor();
    expect(code).toBe(1);
    expect(text).toMatch(/\[FAIL\] runtime directory .* is a symlink[\s\S]*refuse it \(ACCESS_DENIED\)/);
  });

  it('fails (not just warns about) a runtime directory open to other users, and names the chmod', async () => {
    const dir = join(xdg, 'pipebus');
    mkdirSync(dir, { mode: 0o700 });
    chmodSync(dir, 0o755);
    const { code, text } = await doctor();
    expect(code).toBe(1);
    expect(text).toContain(`[FAIL] runtime directory ${dir} has mode 755`);
    expect(text).toContain(`chmod 700 ${dir}`);
  });

  it('fails a mailslot group directory that is a symlink', async () => {
    mkdirSync(join(xdg, 'pipebus', 'mailslot'), { recursive: true, mode: 0o700 });
    symlinkSync(base, join(xdg, 'pipebus', 'mailslot', 'orders'));
    const { code, text } = await doctor();
    expect(code).toBe(1);
    expect(text).toMatch(/\[FAIL\] mailslot group directory .*orders is a symlink/);
  });

  it('warns that a relative XDG_RUNTIME_DIR is ignored', async () => {
    process.env['XDG_RUNTIME_DIR'] = 'relative/run';
    const { text } = await doctor();
    expect(text).toContain("[warn] XDG_RUNTIME_DIR is a relative path ('relative/run'): pipebus ignores it");
  });
});

describe('pipebus doctor mailslot://GROUP: live members listed, dead ones swept', () => {
  let saved: string | undefined;
  let runtimeDir: string;
  const open: MailslotTransport[] = [];
  beforeEach(() => {
    saved = process.env['XDG_RUNTIME_DIR'];
    // POSIX: a private runtime directory for the transports and doctor alike; Windows has no XDG
    // variable (its default, %TEMP%\pipebus, is used, with group names no other run uses).
    if (process.platform !== 'win32') {
      const xdg = join(base, `xdg-${n++}`);
      mkdirSync(xdg, { mode: 0o700 });
      process.env['XDG_RUNTIME_DIR'] = xdg;
    }
    runtimeDir = defaultRuntimeDir();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
    if (saved === undefined) delete process.env['XDG_RUNTIME_DIR'];
    else process.env['XDG_RUNTIME_DIR'] = saved;
  });

  const group = (label: string): string => `mailslot://doc-${process.pid}-${n++}-${label}`;
  const registryDir = (address: string): string => join(runtimeDir, 'mailslot', address.slice('mailslot://'.length));
  async function member(address: string): Promise<MailslotTransport> {
    const t = new MailslotTransport({ address, mode: 'read' });
    open.push(t);
    await t.start();
    return t;
  }
  /** A marker as a member writes it, for a pid no process has. */
  function deadEntry(address: string): void {
    const entry = '99999999-0badf00d';
    const slot = process.platform === 'win32' ? `\\\\.\\mailslot\\pipebus\\${address.slice('mailslot://'.length)}\\${entry}` : join(registryDir(address), `${entry}.sock`);
    writeFileSync(join(registryDir(address), `${entry}.listener`), `${slot}\n`, { mode: 0o600 });
  }
  async function doctor(address: string): Promise<{ code: number; text: string }> {
    const io = recordingIo();
    const code = await main(['doctor', address], io);
    return { code, text: [...io.lines, ...io.errors].join('\n') };
  }

  it('lists each live member with its pid and slot, and exits 0', async () => {
    const address = group('live');
    const a = await member(address);
    const b = await member(address);
    const { code, text } = await doctor(address);
    expect(code).toBe(0);
    expect(text).toContain(`[ok  ] ${address} has 2 live members (registry ${registryDir(address)})`);
    for (const t of [a, b]) expect(text).toMatch(new RegExp(`pid ${process.pid}( uid \\d+)?  since \\S+  slot ${escape(t.path)}`));
  });

  it('sweeps a dead member, says so, and keeps the live one', async () => {
    const address = group('dead');
    const live = await member(address);
    deadEntry(address);
    const { code, text } = await doctor(address);
    expect(code).toBe(0);
    expect(text).toContain('[ok  ] swept a dead member: pid 99999999 is gone');
    expect(text).toContain(`has 1 live member `);
    expect(text).toContain(live.path);
    expect(readdirSync(registryDir(address)).filter((f) => f.startsWith('99999999'))).toEqual([]);
  });

  it('removes the directory a sweep leaves empty, and warns that the group has no members', async () => {
    const address = group('empty');
    mkdirSync(registryDir(address), { recursive: true, mode: 0o700 });
    deadEntry(address);
    const { code, text } = await doctor(address);
    expect(code).toBe(0);
    expect(text).toContain(`[ok  ] removed the empty group directory ${registryDir(address)}`);
    expect(text).toContain(`[warn] ${address} has no live members`);
    expect(existsSync(registryDir(address))).toBe(false);
  });

  (process.platform === 'win32' ? it.skip : it)('fails a group directory that is a symlink, touching nothing behind it (POSIX)', async () => {
    const address = group('link');
    const elsewhere = join(base, `elsewhere-${n++}`);
    mkdirSync(elsewhere, { mode: 0o700 });
    writeFileSync(join(elsewhere, '99999999-0badf00d.listener'), 'x');
    mkdirSync(join(runtimeDir, 'mailslot'), { recursive: true, mode: 0o700 });
    symlinkSync(elsewhere, registryDir(address));
    const { code, text } = await doctor(address);
    expect(code).toBe(1);
    expect(text).toMatch(/\[FAIL\] cannot check mailslot:\/\/\S+: ACCESS_DENIED: .*symlink/);
    expect(readdirSync(elsewhere)).toEqual(['99999999-0badf00d.listener']);
  });

  it('exits 2 for a malformed group name', async () => {
    expect((await doctor('mailslot://no spaces')).code).toBe(2);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
