#!/usr/bin/env node
// `pnpm bench [--quick] [--only SUITE,SUITE]`: every benchmark suite, then the
// targets checked on this run's ratios. Writes bench/results/<date>-<platform>.json
// and, next to it, an SVG chart of the headline figures (the README shows the
// one of the recorded full run). --quick is a sanity check of the whole
// harness in about two minutes: few iterations, one round, rough figures, and
// no ratio judged (one round gives no spread; see report.mjs judgeRatio).
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCoreBench } from './core/roundtrip.mjs';
import { runMailslotBench } from './mailslot/index.mjs';
import { runNamedPipeBench } from './namedpipe/index.mjs';
import { runPubSubBench } from './pubsub/index.mjs';
import { checkTargets, createProgress, printMailslot, printPubSub, printTargets, renderChart } from './report.mjs';
import { runReqRepBench } from './reqrep/index.mjs';
import { runSoakBench } from './soak/index.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyAt = args.indexOf('--only');
const SUITES = ['core', 'namedpipe', 'reqrep', 'pubsub', 'mailslot', 'soak'];
// Quick runs leave out bench/namedpipe: bench/reqrep measures the same pair (and more).
const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? '').split(',').filter(Boolean) : SUITES.filter((s) => !quick || s !== 'namedpipe');
const unknown = only.filter((s) => !SUITES.includes(s));
if (unknown.length > 0 || (onlyAt >= 0 && only.length === 0)) {
  console.error(`pnpm bench: unknown suite ${unknown.join(', ') || '(none given)'}; --only takes a comma-separated list of ${SUITES.join(', ')}`);
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));

console.log(`pipebus bench${quick ? ' (quick: rough figures, a sanity check)' : ''} on ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}`);
const progress = createProgress();
const step = (label) => progress.step(label);
const suites = {};
const skipped = (why) => ({ skipped: why });
/** Prints a suite's table (for suites that return figures without printing them) and passes them on. */
const tap = (print) => (result) => {
  print(result);
  return result;
};
const posixOnly = process.platform === 'win32' ? 'the process benches use unix sockets and POSIX tools; run them on Linux or macOS' : undefined;

const plan = [
  ['core', "the bus's own cost per request/response over an in-memory loop, and what a contract call adds", () => runCoreBench({ quick })],
  ['namedpipe', 'the bus over the named-pipe transport vs raw node:net, separate processes', () => (posixOnly ? skipped(posixOnly) : runNamedPipeBench({ quick, progress: step }))],
  ['reqrep', 'request/response side by side: C floor, raw node:net, pipebus, node-ipc, zeromq, nats.js direct, pipebus over NATS', () => (posixOnly ? skipped(posixOnly) : runReqRepBench({ quick, progress: step }))],
  ['pubsub', 'pub/sub fan-out from one publisher to 1, 4 and 8 subscriber processes (pipebus over named pipes, mailslots and NATS; zeromq, nats.js direct, node-ipc)', () => (posixOnly ? skipped(posixOnly) : runPubSubBench({ quick, progress: step }).then(tap(printPubSub)))],
  ['mailslot', 'the mailslot transport: one publisher, 1/4/8 listener processes, with and without fragmentation', () => (posixOnly ? skipped(posixOnly) : runMailslotBench({ quick, progress: step }).then(tap(printMailslot)))],
  ['soak', 'soak: 10^6 requests and 10^6 relayed events through one hub, heap and RSS every 100 k', () => (posixOnly ? skipped(posixOnly) : runSoakBench({ quick, progress: step }))],
];
for (const [name, what, run] of plan) {
  if (!only.includes(name)) continue;
  console.log(`\n${name}: ${what}`);
  step(name);
  try {
    suites[name] = await run();
  } catch (error) {
    // One suite failing (a missing tool, a crashed child) must not cost the others' figures.
    console.error(`  ${name} failed: ${error.stack ?? error}`);
    suites[name] = { failed: String(error.message ?? error) };
  }
}
const seconds = progress.done();

const checks = checkTargets(suites);
if (suites.reqrep || suites.pubsub || suites.core) printTargets(checks);

const date = new Date().toISOString().slice(0, 10);
// Only a full run of every suite is a record; quick and --only runs get names git ignores.
const partial = onlyAt >= 0 ? `-only-${only.join('-')}` : '';
const base = join(here, 'results', `${date}-${process.platform}${quick ? '-quick' : ''}${partial}`);
mkdirSync(dirname(base), { recursive: true });
const result = {
  date: new Date().toISOString(),
  platform: process.platform,
  node: process.version,
  cpu: os.cpus()[0]?.model,
  cores: os.cpus().length,
  quick,
  seconds,
  suites,
  targets: checks,
};
writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(`${base}.svg`, renderChart(result));
console.log(`\n${seconds.toFixed(0)} s; results written to ${base}.json and ${base}.svg`);
