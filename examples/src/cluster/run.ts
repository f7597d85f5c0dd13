/**
 * `pnpm example:cluster`: three instances of one service in a NATS queue
 * group, and a client spreading calls over them. A third of the way
 * through, while one instance holds a call, this runner kills it (SIGKILL:
 * no goodbye); the client carries on with the other two, retrying the
 * calls the dead one held. Uses NATS_URL when set, else starts its own
 * nats-server on a free port. Exits 0 when every call was answered and the
 * kill happened mid-run, 1 otherwise (or after PIPEBUS_DEMO_BOUND_MS), and
 * never leaves a process behind.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killAll, startNode, type NodeChild } from '../child-process.js';
import { startLocalNatsServer, type LocalNatsServer } from './nats-server.js';

const BOUND_MS = Number(process.env['PIPEBUS_DEMO_BOUND_MS'] ?? 90_000);
const INSTANCES = ['w1', 'w2', 'w3'] as const;
/** The instance killed mid-run, once it holds a call numbered KILL_FROM or more (of the client's 90). */
const VICTIM = 'w2';
const KILL_FROM = 30;

const here = dirname(fileURLToPath(import.meta.url));
// A prefix of this run's own: several runs (or tests) can share one server without hearing each other.
const prefix = `cluster.run${process.pid}`;
let server: LocalNatsServer | undefined;

const bound = setTimeout(() => {
  console.error(`\ncluster: not finished within ${BOUND_MS} ms; stopping every process`);
  finish(1);
}, BOUND_MS);

function finish(code: number): never {
  clearTimeout(bound);
  process.exit(code);
}

// Every way out ends the children, the server included (a synchronous kill: 'exit' handlers cannot wait).
process.once('exit', () => {
  killAll();
  server?.process.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => finish(1));

async function run(url: string): Promise<void> {
  console.log(`\n== ${INSTANCES.length} instances in one queue group, a client, and ${VICTIM} killed mid-run (${url}, prefix ${prefix})\n`);
  const workers = new Map<string, NodeChild>(INSTANCES.map((name) => [name, startNode(join(here, 'worker.js'), [url, prefix, name, ...(name === VICTIM ? [String(KILL_FROM)] : [])], name)]));
  await Promise.all([...workers.values()].map((w) => w.waitForLine(/^ready/)));
  const client = startNode(join(here, 'client.js'), [url, prefix], 'client');
  const victim = workers.get(VICTIM)!;
  const held = await victim.waitForLine(/^holding #\d+$/);
  victim.process.kill('SIGKILL');
  await victim.exited;
  console.log(`  ${'runner'.padEnd(12)} | killed ${VICTIM} (pid ${victim.process.pid}) with SIGKILL mid-run, while it held call ${held.slice('holding '.length)}`);
  const code = await client.exited;
  const others = [...workers.values()].filter((w) => w !== victim);
  for (const w of others) w.process.kill('SIGTERM');
  const stopped = await Promise.all(others.map((w) => w.exited));
  if (code !== 0) throw new Error(`the client exited with code ${code}`);
  // On Windows SIGTERM is no signal the process can handle (Node ends it at once), so there an
  // instance stops without closing its bus, and without a code of 0.
  if (process.platform !== 'win32' && stopped.some((c) => c !== 0)) throw new Error(`an instance exited with code ${stopped.join(', ')} on SIGTERM`);
}

const given = process.env['NATS_URL'];
try {
  let url = given;
  if (url === undefined || url === '') {
    server = await startLocalNatsServer();
    url = server.url;
    console.log(`cluster example: started nats-server (pid ${server.process.pid}) at ${url}`);
  } else {
    console.log(`cluster example: using NATS_URL ${url}`);
  }
  await run(url);
  await server?.stop();
  console.log('\ncluster ok: every call answered, by all three instances, with one killed mid-run.');
  finish(0);
} catch (error) {
  console.error(`\ncluster failed: ${error instanceof Error ? error.message : String(error)}`);
  killAll();
  await server?.stop();
  finish(1);
}
