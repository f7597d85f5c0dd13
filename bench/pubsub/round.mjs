// One fan-out measurement: a publisher process and N subscriber processes,
// driven through stdin/stdout lines (shared by bench/pubsub and bench/mailslot).
//
//   publisher  → "ready"   it can publish (bound, connected…)
//   subscriber → "ready"   it is subscribed and would receive a message now
//   publisher  ← "warm"    warm-up traffic, then sync markers
//   subscriber → "warm"    it has seen a sync marker (and the warm-up queued before it)
//   publisher  ← "go"      the measured publishing; then it prints {published, startedAt, endedAt, …}
//   subscriber ← "done"    the publisher has finished: a subscriber still waiting
//                          for its end marker gives up after an idle spell
//   subscriber → {received, firstAt, lastAt}
// With a `hub`, that process starts first and the others once it is ready.
// The CPU time (utime+stime) of every process of the round, and of `others`
// such as nats-server, is read just before "go" and after the last
// subscriber's report: the measured phase only, not process starts.
// Every process is stopped at the end, on failure too.
import { cpuSnapshot } from '../lib/cpu.mjs';
import { startNode } from '../lib/proc.mjs';

/**
 * @param publisher - [script, args] of the publisher
 * @param subscriber - [script, args] of every subscriber
 * @param subscribers - how many subscriber processes
 * @param publisherFirst - start the subscribers only once the publisher is ready (for systems whose
 *   clients cannot wait for a server to appear); otherwise every process starts at once
 * @param hub - optional [script, args] of a process started (and ready) before the others, e.g. a relay hub
 * @param others - optional { name: [pid, …] } of processes outside the round whose CPU it uses (nats-server)
 * @param nodeFlags - { publisher, subscriber, hub } extra node flags, e.g. ['--cpu-prof'] to find a bottleneck
 */
export async function runRound({ publisher, subscriber, subscribers, hub, others = {}, publisherFirst = false, timeoutMs = 120_000, nodeFlags = {} }) {
  const procs = [];
  const spawn = ([script, args], flags) => {
    const p = startNode(script, args, { nodeFlags: flags });
    procs.push(p);
    return p;
  };
  try {
    const hubProc = hub && spawn(hub, nodeFlags.hub);
    if (hubProc) await hubProc.expect('ready', 30_000);
    const pub = spawn(publisher, nodeFlags.publisher);
    const pubReady = pub.expect('ready', 30_000);
    if (publisherFirst) await pubReady;
    const subs = Array.from({ length: subscribers }, () => spawn(subscriber, nodeFlags.subscriber));
    await Promise.all([pubReady, ...subs.map((s) => s.expect('ready', 30_000))]);
    pub.send('warm');
    await Promise.all(subs.map((s) => s.expect('warm', 60_000)));
    const groups = {
      publisher: [pub.child.pid],
      subscribers: subs.map((s) => s.child.pid),
      ...(hubProc && { hub: [hubProc.child.pid] }),
      ...others,
    };
    const cpuBefore = cpuSnapshot(groups);
    pub.send('go');
    const p = await pub.json(timeoutMs);
    for (const s of subs) s.send('done');
    const got = await Promise.all(subs.map((s) => s.json(timeoutMs)));
    const cpuAfter = cpuSnapshot(groups);
    const delivered = got.reduce((sum, r) => sum + r.received, 0);
    const lastAt = Math.max(p.endedAt, ...got.map((r) => r.lastAt));
    const seconds = (lastAt - p.startedAt) / 1000;
    const publisherSeconds = (p.endedAt - p.startedAt) / 1000;
    const cpu = cpuBefore && cpuAfter ? cpuUse(cpuBefore, cpuAfter, delivered) : undefined;
    return {
      // The publisher's line: published, startedAt, endedAt and whatever the system adds.
      ...p,
      delivered,
      lost: p.published * subscribers - delivered,
      subscriberReports: got,
      seconds,
      publishedPerSecond: p.published / publisherSeconds,
      deliveredPerSecond: delivered / seconds,
      ...(cpu && { cpu }),
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}

/** CPU seconds per group over the measured phase, their total, and the total in µs per delivered message. */
function cpuUse(before, after, delivered) {
  const seconds = {};
  let total = 0;
  for (const name of Object.keys(after)) {
    seconds[name] = after[name] - before[name];
    total += seconds[name];
  }
  return { seconds, totalSeconds: total, perDeliveredUs: delivered > 0 ? (total / delivered) * 1e6 : null };
}
