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
// Every process is stopped at the end, on failure too.
import { startNode } from '../lib/proc.mjs';

/**
 * @param publisher - [script, args] of the publisher
 * @param subscriber - [script, args] of every subscriber
 * @param subscribers - how many subscriber processes
 * @param publisherFirst - start the subscribers only once the publisher is ready (for systems whose
 *   clients cannot wait for a server to appear); otherwise every process starts at once
 * @param nodeFlags - { publisher, subscriber } extra node flags, e.g. ['--cpu-prof'] to find a bottleneck
 */
export async function runRound({ publisher, subscriber, subscribers, publisherFirst = false, timeoutMs = 120_000, nodeFlags = {} }) {
  const procs = [];
  const spawn = ([script, args], flags) => {
    const p = startNode(script, args, { nodeFlags: flags });
    procs.push(p);
    return p;
  };
  try {
    const pub = spawn(publisher, nodeFlags.publisher);
    const pubReady = pub.expect('ready', 30_000);
    if (publisherFirst) await pubReady;
    const subs = Array.from({ length: subscribers }, () => spawn(subscriber, nodeFlags.subscriber));
    await Promise.all([pubReady, ...subs.map((s) => s.expect('ready', 30_000))]);
    pub.send('warm');
    await Promise.all(subs.map((s) => s.expect('warm', 60_000)));
    pub.send('go');
    const p = await pub.json(timeoutMs);
    for (const s of subs) s.send('done');
    const got = await Promise.all(subs.map((s) => s.json(timeoutMs)));
    const delivered = got.reduce((sum, r) => sum + r.received, 0);
    const lastAt = Math.max(p.endedAt, ...got.map((r) => r.lastAt));
    const seconds = (lastAt - p.startedAt) / 1000;
    const publisherSeconds = (p.endedAt - p.startedAt) / 1000;
    return {
      // The publisher's line: published, startedAt, endedAt and whatever the system adds.
      ...p,
      delivered,
      lost: p.published * subscribers - delivered,
      subscriberReports: got,
      seconds,
      publishedPerSecond: p.published / publisherSeconds,
      deliveredPerSecond: delivered / seconds,
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}
