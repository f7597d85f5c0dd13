import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
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
