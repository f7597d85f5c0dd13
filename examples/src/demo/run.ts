/**
 * `pnpm demo`: pipebus doing its main job between real processes.
 *   1. a service on pipe://demo-<pid> and a client process: a request, a
 *      stream, a stream cancelled by the client, a request cancelled;
 *   2. three subscriber processes on mailslot://demo-<pid> and a publisher.
 * Processes are wired by the lines they print ("ready ..."), never by delays,
 * in a private temporary runtime directory removed at the end. Exits 0 when
 * every process did what it should, 1 otherwise (or after DEMO_BOUND_MS),
 * and never leaves a child behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { matchTopic } from '@pipebus/core';
import { killAll, startNode, type NodeChild } from '../child-process.js';
import { EVENTS, SUBSCRIBERS } from './plan.js';

/** The whole demo's bound: generous, because Node starts slowly under Wine. */
const DEMO_BOUND_MS = Number(process.env['PIPEBUS_DEMO_BOUND_MS'] ?? 90_000);

const here = dirname(fileURLToPath(import.meta.url));
const runtimeDir = mkdtempSync(join(tmpdir(), 'pbdemo-'));
const pipe = `pipe://demo-${process.pid}`;
const group = `mailslot://demo-${process.pid}`;
const start = (file: string, args: string[], label: string): NodeChild => startNode(join(here, file), [args[0]!, runtimeDir, ...args.slice(1)], label);

async function succeeded(child: NodeChild): Promise<void> {
  const code = await child.exited;
  if (code !== 0) throw new Error(`${child.label} exited with code ${code}`);
}

async function pipeDemo(): Promise<void> {
  console.log(`\n== 1. a service and a client, two processes over ${pipe}\n`);
  const service = start('service.js', [pipe], 'service');
  await service.waitForLine(/^ready/);
  const client = start('client.js', [pipe], 'client');
  await succeeded(client);
  // The cancels reached the other process: the service says so itself.
  await service.waitForLine(/^counter\.count cancelled/);
  await service.waitForLine(/^job\.wait cancelled/);
  service.process.kill('SIGTERM');
  await service.exited;
}

async function mailslotDemo(): Promise<void> {
  console.log(`\n== 2. ${SUBSCRIBERS.length} subscriber processes and a publisher on ${group}\n`);
  const subscribers = SUBSCRIBERS.map(({ name, pattern }) => {
    const expected = EVENTS.filter((e) => matchTopic(pattern, e.topic)).length;
    return start('subscriber.js', [group, name, pattern, String(expected)], name);
  });
  // Each prints "ready" once its slot is in the group's registry: the publisher will find it.
  await Promise.all(subscribers.map((s) => s.waitForLine(/^ready/)));
  const publisher = start('publisher.js', [group], 'publisher');
  await Promise.all([publisher, ...subscribers].map(succeeded));
}

const bound = setTimeout(() => {
  console.error(`\ndemo: not finished within ${DEMO_BOUND_MS} ms; stopping every process`);
  finish(1);
}, DEMO_BOUND_MS);

/** Ends every child and removes the runtime directory; runs on every way out, an uncaught error's too. */
function cleanUp(): void {
  killAll();
  rmSync(runtimeDir, { recursive: true, force: true });
}

function finish(code: number): never {
  clearTimeout(bound);
  process.exit(code);
}

process.once('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => finish(1));

console.log(`pipebus demo: separate processes over a named pipe and a mailslot group (runtime directory ${runtimeDir})`);
try {
  await pipeDemo();
  await mailslotDemo();
  console.log('\ndemo ok: every request answered, both cancels seen by the service, every subscriber got its events.');
  finish(0);
} catch (error) {
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
  finish(1);
}
