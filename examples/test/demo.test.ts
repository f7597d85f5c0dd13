import { describe, expect, it } from '@jest/globals';
import { childLine as line, runBuilt as run } from './run-built.js';

// `pnpm demo` and `pnpm demo:tour` run the built examples, as a user would.
describe('pnpm demo: separate processes over a named pipe and a mailslot group', () => {
  it('runs a service, a client, three subscribers and a publisher, and exits 0 with a readable transcript', async () => {
    const { code, out } = await run('demo/run.js');
    expect({ code, out }).toMatchObject({ code: 0 });
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
