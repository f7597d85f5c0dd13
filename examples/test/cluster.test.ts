import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startNatsServer, type NatsServerHandle } from '@pipebus/test-support';
import { childLine as line, runBuilt } from './run-built.js';

const CALLS = 90;

/** The client's summary: calls per instance and what was retried. */
function summary(out: string): { counts: Record<string, number>; retried: string; at: number } {
  const match = line('client', String.raw`summary: ${CALLS} calls, ${CALLS} answered \(w1 (\d+), w2 (\d+), w3 (\d+)\); retried: (.+)$`).exec(out);
  if (match === null) throw new Error(`no summary with every call answered by all three instances in:\n${out}`);
  return { counts: { w1: Number(match[1]), w2: Number(match[2]), w3: Number(match[3]) }, retried: match[4]!, at: match.index };
}

/** What every run of the example must show, whoever started the server. */
function expectClusterRun(out: string): void {
  for (const name of ['w1', 'w2', 'w3']) expect(out).toMatch(line(name, String.raw`ready on nats://127\.0\.0\.1:\d+ as ${name} in queue group 'workers'$`));
  const holding = line('w2', String.raw`holding #(\d+)$`).exec(out);
  const killed = line('runner', String.raw`killed w2 \(pid \d+\) with SIGKILL mid-run, while it held call #(\d+)$`).exec(out);
  expect(holding).not.toBeNull();
  expect(Number(holding![1])).toBeGreaterThanOrEqual(30);
  expect(killed).not.toBeNull();
  const { counts, retried, at } = summary(out);
  // Every instance did work, the killed one before it died; the kill came while calls were still going.
  expect(Object.values(counts).every((n) => n >= 1)).toBe(true);
  expect(counts.w1! + counts.w2! + counts.w3!).toBe(CALLS);
  // A queue group, not a fan-out: each survivor handled its own share, not every call (a call it
  // finished after the caller gave up on it would be one of the retries). It says so when stopped
  // by SIGTERM, which Windows cannot deliver (Node ends the process there).
  const retriedTotal = [...retried.matchAll(/(\d+) after/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  for (const name of process.platform === 'win32' ? [] : ['w1', 'w3']) {
    const handled = Number(line(name, String.raw`stopping: handled (\d+) calls$`).exec(out)?.[1]);
    expect(handled).toBeGreaterThanOrEqual(counts[name]!);
    expect(handled).toBeLessThanOrEqual(counts[name]! + retriedTotal);
  }
  expect(killed![1]).toBe(holding![1]);
  expect(holding!.index).toBeLessThan(killed!.index);
  expect(killed!.index).toBeLessThan(at);
  // A call lost with w2 ends in TIMEOUT or TRANSPORT_CLOSED and is retried; the summary counts
  // exactly the retries the client printed. (None only if the held call's 100 ms ran out before
  // the SIGKILL landed, which a loaded machine may do: not asserted.)
  const retryLines = out.match(new RegExp(line('client', String.raw`#\d+: (TIMEOUT|TRANSPORT_CLOSED) \(.*\); retrying \(attempt \d\)$`).source, 'gm')) ?? [];
  if (retryLines.length === 0) {
    expect(retried).toBe('none');
  } else {
    expect(retried).toMatch(/^\d+ after (TIMEOUT|TRANSPORT_CLOSED)(, \d+ after (TIMEOUT|TRANSPORT_CLOSED))?$/);
    expect(retriedTotal).toBe(retryLines.length);
  }
  expect(out).toContain('cluster ok: every call answered, by all three instances, with one killed mid-run.');
}

// What users copy must keep working: the built example, run as `pnpm example:cluster` runs it.
describe('pnpm example:cluster: three instances in one NATS queue group, one killed mid-run', () => {
  let server: NatsServerHandle | undefined;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('spreads the calls over all three, carries on after the SIGKILL, and answers every call (NATS_URL given)', async () => {
    const { code, out } = await runBuilt('cluster/run.js', [], { NATS_URL: server!.url });
    expect({ code, out }).toMatchObject({ code: 0 });
    expect(out).toContain(`cluster example: using NATS_URL ${server!.url}`);
    expectClusterRun(out);
  }, 160_000);

  // Windows Node cannot start the Linux nats-server (under Wine the test above reaches one through the helper).
  (process.platform === 'win32' ? it.skip : it)('starts its own nats-server when NATS_URL is not set, and stops it at the end', async () => {
    const { code, out } = await runBuilt('cluster/run.js', [], { NATS_URL: '' });
    expect({ code, out }).toMatchObject({ code: 0 });
    const started = /^cluster example: started nats-server \(pid (\d+)\) at nats:\/\/127\.0\.0\.1:\d+$/m.exec(out);
    expect(started).not.toBeNull();
    expectClusterRun(out);
    expect(() => process.kill(Number(started![1]), 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }) as never);
  }, 160_000);
});
