// bench/soak: 10^6 requests and 10^6 events through one hub (a MessageBus over
// NamedPipeServer with relay), each process in its own Node: a sender, and a
// subscriber that receives every event through the hub. At every 100 k it
// records heap and RSS (after GC) of all three, so a leak shows as a slope.
// Nothing may be lost: every request answered with its own value, every
// event counted by the subscriber.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNode } from '../lib/proc.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const MB = 1024 * 1024;
const flags = { nodeFlags: ['--expose-gc'] };

export async function runSoakBench({ quick = false, progress = () => {} } = {}) {
  const count = quick ? 100_000 : 1_000_000;
  const every = quick ? 20_000 : 100_000;
  const address = `pipe://pb-soak-${process.pid}`;
  const hub = startNode(join(here, 'hub.mjs'), [address], flags);
  const processes = [hub];
  try {
    await hub.expect('ready');
    const subscriber = startNode(join(here, 'peer.mjs'), ['subscriber', address], flags);
    processes.push(subscriber);
    await subscriber.expect('ready');
    const sender = startNode(join(here, 'peer.mjs'), ['sender', address, count, every], flags);
    processes.push(sender);
    const checkpoints = [];
    let done;
    while (done === undefined) {
      const line = await sender.json(120_000);
      if (line.done) {
        done = line;
        break;
      }
      hub.send('mem');
      subscriber.send('mem');
      const [h, s] = [await hub.json(), await subscriber.json()];
      checkpoints.push({ at: line.at, seconds: line.ms / 1000, sender: mem(line), hub: mem(h), subscriber: { ...mem(s), events: s.events } });
      progress(`soak ${line.at / 1000} k`);
      console.log(`  ${String(line.at).padStart(8)}  ${(line.ms / 1000).toFixed(1).padStart(5)} s   heap/RSS MB: sender ${fmt(line)}  hub ${fmt(h)}  subscriber ${fmt(s)}`);
    }
    // The last events may still be on their way through the hub: ask until they are in, within a bound.
    let received = 0;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      subscriber.send('mem');
      received = (await subscriber.json()).events;
      if (received >= done.events) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const first = checkpoints[0];
    const last = checkpoints.at(-1);
    const result = {
      messages: done.requests + done.events,
      requests: done.requests,
      events: done.events,
      eventsReceived: received,
      wrongAnswers: done.wrongAnswers,
      seconds: done.ms / 1000,
      checkpoints,
      // Growth from the first checkpoint to the last: a leak shows here.
      heapGrowthMB: first && last ? { sender: (last.sender.heapMB - first.sender.heapMB), hub: (last.hub.heapMB - first.hub.heapMB), subscriber: (last.subscriber.heapMB - first.subscriber.heapMB) } : undefined,
    };
    console.log(`  ${result.messages} messages in ${result.seconds.toFixed(1)} s; lost events ${done.events - received}, wrong answers ${done.wrongAnswers}; heap growth first→last checkpoint MB: sender ${result.heapGrowthMB?.sender.toFixed(2)}, hub ${result.heapGrowthMB?.hub.toFixed(2)}, subscriber ${result.heapGrowthMB?.subscriber.toFixed(2)}`);
    return result;
  } finally {
    await Promise.allSettled(processes.map((p) => p.stop()));
  }
}

function mem({ heapUsedBytes, rssBytes }) {
  return { heapMB: heapUsedBytes / MB, rssMB: rssBytes / MB };
}

function fmt({ heapUsedBytes, rssBytes }) {
  return `${(heapUsedBytes / MB).toFixed(1)}/${(rssBytes / MB).toFixed(0)}`;
}
