import { chmodSync, chownSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { BusError } from '@pipebus/core';
import { checkPrivateDir, defaultRuntimeDir, ensurePrivateDir, ensurePrivateSubdir, inspectPrivateDir, judgeDir, recheckDir, type DirStats } from '@pipebus/os';
import { thrown as thrownBy } from '@pipebus/test-support';

const onWindows = process.platform === 'win32';
const posixOnly = onWindows ? describe.skip : describe;
const base = mkdtempSync(join(tmpdir(), 'pbos-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const fresh = (what: string): string => {
  const dir = join(base, `${what}-${n++}`);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
};
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
/** Giving a directory to another uid needs root (CI runs as root; elsewhere this is skipped). */
const itAsRoot = isRoot ? it : it.skip;
const NOBODY = 65534;

const thrown = (fn: () => unknown): BusError => thrownBy(fn, BusError);

/** Stats as lstat would report them, for the pure rules. */
function stats(over: Partial<{ link: boolean; dir: boolean; uid: number; mode: number }>): DirStats {
  const s = { link: false, dir: true, uid: 1000, mode: 0o40700, ...over };
  return { isSymbolicLink: () => s.link, isDirectory: () => s.dir, uid: s.uid, mode: s.mode };
}

describe('the runtime-directory rules, as a pure function', () => {
  const linux = { platform: 'linux' as const, uid: 1000 };
  it('passes an absolute private directory of this user', () => {
    expect(judgeDir('/run/user/1000/pipebus', stats({}), linux)).toBeUndefined();
  });

  it('refuses, in this order: a relative path, a symlink, a non-directory, another owner, group/other bits', () => {
    expect(judgeDir('rel/dir', stats({}), linux)).toEqual({ kind: 'relative' });
    expect(judgeDir('/d', stats({ link: true, dir: false, uid: 0, mode: 0o777 }), linux)).toEqual({ kind: 'symlink' });
    expect(judgeDir('/d', stats({ dir: false }), linux)).toEqual({ kind: 'not-directory' });
    expect(judgeDir('/d', stats({ uid: NOBODY, mode: 0o40777 }), linux)).toEqual({ kind: 'foreign-owner', owner: NOBODY, uid: 1000 });
    expect(judgeDir('/d', stats({ mode: 0o40750 }), linux)).toEqual({ kind: 'open-mode', mode: 0o750 });
    expect(judgeDir('/d', stats({ mode: 0o40701 }), linux)).toEqual({ kind: 'open-mode', mode: 0o701 });
  });

  it('judges bigint stats (what the mailslot registry keeps) the same way', () => {
    const big: DirStats = { isSymbolicLink: () => false, isDirectory: () => true, uid: 1000n, mode: 0o40755n };
    expect(judgeDir('/d', big, linux)).toEqual({ kind: 'open-mode', mode: 0o755 });
  });

  it('on Windows judges only "an absolute path to a real directory": ownership is the DACL\'s business', () => {
    const win = { platform: 'win32' as const, uid: undefined };
    expect(judgeDir('C:\\Users\\me\\AppData\\Local\\Temp\\pipebus', stats({ uid: 0, mode: 0o40777 }), win)).toBeUndefined();
    expect(judgeDir('C:\\x', stats({ link: true }), win)).toEqual({ kind: 'symlink' });
    expect(judgeDir('pipebus', stats({}), win)).toEqual({ kind: 'relative' });
  });

  it('skips the owner check where the OS has no uid, but still checks the mode', () => {
    expect(judgeDir('/d', stats({ uid: 5 }), { platform: 'linux', uid: undefined })).toBeUndefined();
    expect(judgeDir('/d', stats({ uid: 5, mode: 0o40777 }), { platform: 'linux', uid: undefined })).toEqual({ kind: 'open-mode', mode: 0o777 });
  });
});

describe('defaultRuntimeDir', () => {
  function withXdg<T>(value: string | undefined, fn: () => T): T {
    const saved = process.env['XDG_RUNTIME_DIR'];
    if (value === undefined) delete process.env['XDG_RUNTIME_DIR'];
    else process.env['XDG_RUNTIME_DIR'] = value;
    try {
      return fn();
    } finally {
      if (saved === undefined) delete process.env['XDG_RUNTIME_DIR'];
      else process.env['XDG_RUNTIME_DIR'] = saved;
    }
  }

  it('is $XDG_RUNTIME_DIR/pipebus when the session has an absolute one', () => {
    expect(withXdg('/run/user/1000', () => defaultRuntimeDir('linux'))).toBe('/run/user/1000/pipebus');
  });

  (onWindows ? it.skip : it)('ignores a relative or empty XDG_RUNTIME_DIR and falls back to <tmpdir>/pipebus-<uid>', () => {
    const fallback = join(tmpdir(), `pipebus-${process.getuid!()}`);
    expect(withXdg('relative/run', () => defaultRuntimeDir('linux'))).toBe(fallback);
    expect(withXdg('', () => defaultRuntimeDir('linux'))).toBe(fallback);
  });

  it('is <%TEMP%>\\pipebus on Windows', () => {
    expect(defaultRuntimeDir('win32')).toMatch(/[\\/]pipebus$/);
  });
});

posixOnly('the runtime directory on disk (POSIX: symlinks, owners and modes)', () => {
  it('creates a missing directory, and its parents, with mode 0700', () => {
    const dir = join(fresh('root'), 'a', 'pipebus');
    const checked = ensurePrivateDir(dir);
    expect(checked.path).toBe(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('refuses a runtime directory that is a symlink with ACCESS_DENIED, naming the link and what to change', () => {
    const link = join(base, `link-${n++}`);
    symlinkSync(fresh('real'), link);
    for (const check of [ensurePrivateDir, checkPrivateDir]) {
      const e = thrown(() => check(link));
      expect(e.code).toBe('ACCESS_DENIED');
      expect(e.message).toContain('is a symlink to');
      expect(e.message).toContain('options.runtimeDir');
    }
  });

  it('refuses a symlink below a checked directory (a group directory)', () => {
    const root = ensurePrivateDir(fresh('root'));
    symlinkSync(fresh('elsewhere'), join(root.path, 'mailslot'));
    const e = thrown(() => ensurePrivateSubdir(root, 'mailslot'));
    expect(e.code).toBe('ACCESS_DENIED');
    expect(e.message).toContain(join(root.path, 'mailslot'));
  });

  it('refuses a file where the directory should be', () => {
    const file = join(fresh('root'), 'pipebus');
    writeFileSync(file, '');
    expect(thrown(() => ensurePrivateDir(file))).toMatchObject({ code: 'ACCESS_DENIED', message: expect.stringContaining('is not a directory') });
  });

  it('refuses a directory open to other users and names the chmod to run', () => {
    const dir = fresh('open');
    chmodSync(dir, 0o755);
    const e = thrown(() => ensurePrivateDir(dir));
    expect(e.code).toBe('ACCESS_DENIED');
    expect(e.message).toContain(`chmod 700 ${dir}`);
    expect(e.details).toEqual({ dir, mode: 0o755 });
  });

  itAsRoot('refuses a directory owned by another uid (needs root to chown; skipped when not root)', () => {
    const dir = fresh('theirs');
    chownSync(dir, NOBODY, NOBODY);
    const e = thrown(() => checkPrivateDir(dir));
    expect(e.code).toBe('ACCESS_DENIED');
    expect(e.message).toContain(`belongs to uid ${NOBODY}`);
  });

  it('refuses a relative path with ACCESS_DENIED before touching the disk', () => {
    const e = thrown(() => ensurePrivateDir('rel/dir'));
    expect(e.code).toBe('ACCESS_DENIED');
    expect(e.message).toContain('relative path');
  });

  it('reports a missing directory with the lstat code and the caller\'s advice', () => {
    const e = thrown(() => checkPrivateDir(join(base, 'missing'), { advice: 'is the server running?' }));
    expect([e.code, e.osName]).toEqual(['NOT_FOUND', 'ENOENT']);
    expect(e.message).toMatch(/^cannot use the runtime directory '.*missing': ENOENT \(\d+\); is the server running\?$/);
  });

  it('re-checks a checked directory: the same one passes, a gone one is undefined', () => {
    const dir = fresh('recheck');
    const checked = checkPrivateDir(dir);
    expect(recheckDir(checked)).toBe(checked);
    rmSync(dir, { recursive: true });
    expect(recheckDir(checked)).toBeUndefined();
  });

  for (const swap of ['a symlink', 'another directory'] as const) {
    it(`refuses a checked directory swapped for ${swap} after the check`, () => {
      const dir = fresh('swap');
      const checked = checkPrivateDir(dir);
      renameSync(dir, `${dir}.old`);
      if (swap === 'a symlink') symlinkSync(fresh('evil'), dir);
      else mkdirSync(dir, { mode: 0o700 });
      const e = thrown(() => recheckDir(checked));
      expect(e.code).toBe('ACCESS_DENIED');
      expect(e.message).toContain('was replaced after start()');
    });
  }

  it('refuses a checked directory opened up to others after the check', () => {
    const dir = fresh('opened');
    const checked = checkPrivateDir(dir);
    chmodSync(dir, 0o777);
    expect(thrown(() => recheckDir(checked)).message).toContain('chmod 700');
  });

  it('inspects without throwing, by the same rules (what doctor reports)', () => {
    expect(inspectPrivateDir(join(base, 'nothing-here'))).toEqual({ status: 'absent' });
    expect(inspectPrivateDir(fresh('fine'))).toEqual({ status: 'ok', mode: 0o700 });
    const open = fresh('open');
    chmodSync(open, 0o750);
    expect(inspectPrivateDir(open)).toEqual({ status: 'refused', problem: { kind: 'open-mode', mode: 0o750 } });
    const link = join(base, `link-${n++}`);
    const target = fresh('t');
    symlinkSync(target, link);
    expect(inspectPrivateDir(link)).toEqual({ status: 'refused', problem: { kind: 'symlink' }, linkTarget: target });
    expect(inspectPrivateDir('rel')).toEqual({ status: 'refused', problem: { kind: 'relative' } });
  });
});
