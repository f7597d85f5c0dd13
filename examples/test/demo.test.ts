import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';

// `pnpm demo` and `pnpm demo:tour` run the built examples (pnpm test builds first), as a user would.
const DIST = path.join(__dirname, '..', 'dist');
// Under Wine, pnpm's symlinks are plain directories to Windows Node, so a process may load two
// copies of core; that works since Transport and BusError are recognised by a Symbol.for brand.

/** Runs a built example with this Node (Windows Node under Wine too); resolves with its exit code and output. */
function run(script: string): Promise<{ code: number; out: string }> {
  const file = path.join(DIST, script);
  if (!existsSync(file)) throw new Error(`${file} is missing: build first (pnpm test builds)`);
  return new Promise((resolve) => {
    // The demo bounds itself (and kills its children); this bound only catches a demo that would not.
    execFile(process.execPath, [file], { timeout: 150_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, out: `${stdout}${stderr}` });
    });
  });
}

describe('pnpm demo: separate processes over a named pipe and a mailslot group', () => {
  it('runs a service, a client, three subscribers and a publisher, and exits 0 with a readable transcript', async () => {
    const { code, out } = await run('demo/run.js');
    expect({ code, out }).toMatchObject({ code: 0 });
    const line = (label: string, text: string): RegExp => new RegExp(`^  ${label} +\\| ${text}`, 'm');
    expect(out).toMatch(line('service', 'ready on '));
    expect(out).toMatch(line('client', String.raw`request\('math.add', \{a: 2, b: 40\}\) +42$`));
    expect(out).toMatch(line('client', String.raw`request\$\('report.lines'\) +\["tea: 10","coffee: 3","milk: 0"\]$`));
    expect(out).toMatch(line('client', String.raw`request\$\('counter.count'\), take\(3\) +\[1,2,3\], then cancelled$`));
    expect(out).toMatch(line('client', String.raw`request\('job.wait'\), abort\(\) once started +rejected with CANCELLED$`));
    // The cancels are seen by the other process, which names the client's pid.
    // The service emits every 10 ms on its own clock, so it may have sent a value or two more
    // before the cancel reached it (more under Wine): at least the 3 the client took.
    const counted = line('service', String.raw`counter\.count cancelled by pid \d+ after (\d+) values$`).exec(out);
    expect(counted).not.toBeNull();
    expect(Number(counted?.[1])).toBeGreaterThanOrEqual(3);
    expect(out).toMatch(line('service', String.raw`job\.wait cancelled by pid \d+$`));
    for (const [name, n] of [['dashboard', 3], ['accounting', 2], ['pager', 1]] as const) {
      expect(out).toMatch(line(name, 'ready: '));
      expect(out).toMatch(line(name, `done: ${n} events$`));
    }
    expect(out).toMatch(line('pager', String.raw`got alerts\.disk \{"free":"2%"\}$`));
    expect(out).toMatch(line('publisher', String.raw`published orders\.eu\.created to the 3 members still in the group$`));
    expect(out).toContain('demo ok:');
    // Six Node processes start one after another: about 5 s on Linux, much more under Wine.
  }, 160_000);
});

describe('pnpm demo:tour: the one-process tour over the mock', () => {
  it('runs to the end', async () => {
    const { code, out } = await run('tour.js');
    expect({ code, out }).toMatchObject({ code: 0 });
    expect(out).toMatch(/request\('math.add', \{a: 2, b: 40\}\) +42/);
    expect(out).toContain('Done.');
  });
});
