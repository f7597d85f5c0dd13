// What every publisher and subscriber process of bench/pubsub and
// bench/mailslot shares: orders from the orchestrator on stdin, a clock that
// is comparable across processes, the timed publish loop, and the
// subscriber's counting and finishing rules.
import { createInterface } from 'node:readline';

/** Wall-clock ms with sub-ms resolution, comparable between processes on one machine. */
export const now = () => performance.timeOrigin + performance.now();

const orders = [];
const waiting = [];
createInterface({ input: process.stdin }).on('line', (line) => {
  const order = line.trim();
  const i = waiting.findIndex((w) => w.order === order);
  if (i >= 0) waiting.splice(i, 1)[0].resolve();
  else orders.push(order);
});

/** Resolves when the orchestrator writes `order` (e.g. "go") on stdin. */
export function orderFrom(order) {
  const i = orders.indexOf(order);
  if (i >= 0) {
    orders.splice(i, 1);
    return Promise.resolve();
  }
  return new Promise((resolve) => waiting.push({ order, resolve }));
}

/** Closes what the process opened on SIGTERM/SIGINT, then exits (through process.exit, so --cpu-prof writes its profile). */
export function onStop(close) {
  const stop = async () => {
    try {
      await close();
    } finally {
      process.exit(0);
    }
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** Resolves after `ms`, or as soon as `order` resolves: the pace of a repeated marker, never a synchronisation. */
const pause = (ms, order) => Promise.race([order, new Promise((resolve) => setTimeout(resolve, ms))]);

/**
 * Calls `publishOne()` until `durationMs` have passed and returns how many
 * messages it published (a fixed duration, not a fixed count: the systems
 * differ 1000-fold in rate and every configuration should take about as long).
 * At most `window` publishes are in flight: each returned promise is awaited,
 * so the transport's backpressure holds the loop back; a window of 1 is the
 * plain `await publish()` loop.
 */
export async function publishFor(durationMs, window, publishOne) {
  const deadline = now() + durationMs;
  let count = 0;
  if (window <= 1) {
    while (now() < deadline) {
      // A synchronous API (nats, node-ipc) returns a promise only when it makes the loop wait.
      const pending = publishOne();
      if (pending !== undefined) await pending;
      count++;
    }
    return count;
  }
  const ring = new Array(window);
  while (now() < deadline) {
    const slot = count % window;
    if (count >= window) await ring[slot];
    ring[slot] = publishOne();
    count++;
  }
  await Promise.all(ring.slice(0, Math.min(window, count)));
  return count;
}

/**
 * A publisher's phases, the same for every system (see round.mjs):
 * 1. "ready"; with `greet`, a `hello` every 5 ms until "warm" (zeromq's slow
 *    joiner: a subscriber knows its subscription took effect at the first one).
 * 2. On "warm": `prepare()` (wait for the subscribers where the system can
 *    tell), then `bench.warm` for `warmMs`: a cold Node process takes a
 *    second or two of traffic to reach its rate (JIT). Then `bench.sync`
 *    every 5 ms until "go"; a subscriber says "warm" at the first it sees,
 *    which queues behind the warm-up traffic, so the queues are empty by then.
 * 3. On "go": `begin()`, `bench.data` for `durationMs`, `settle()` (e.g. a
 *    flush), `bench.end`; prints {published, startedAt, endedAt, ...report()}.
 *
 * @param publish - `(topic) => undefined | Promise`: sends the payload on `topic`
 * @param window - publishes in flight (see publishFor)
 */
export async function runPublisher({ publish, window = 1, warmMs, durationMs, greet = false, prepare, begin, settle, report }) {
  console.log('ready');
  const warm = orderFrom('warm');
  if (greet) {
    let warmed = false;
    void warm.then(() => (warmed = true));
    while (!warmed) {
      await publish('hello');
      await pause(5, warm);
    }
  }
  await warm;
  await prepare?.();
  await publishFor(warmMs, window, () => publish('bench.warm'));
  const go = orderFrom('go');
  let going = false;
  void go.then(() => (going = true));
  while (!going) {
    await publish('bench.sync');
    await pause(5, go);
  }
  begin?.();
  const startedAt = now();
  const published = await publishFor(durationMs, window, () => publish('bench.data'));
  await settle?.();
  const endedAt = now();
  const extra = report?.(published) ?? {};
  await publish('bench.end');
  await settle?.();
  console.log(JSON.stringify({ published, startedAt, endedAt, ...extra }));
}

/**
 * A subscriber's tally. `topic(name, value)` takes every message: `bench.data` is
 * counted (with the size of its decoded value, so a report shows that every
 * subscriber got the whole payload), the first `bench.sync` prints "warm",
 * `bench.end` finishes. Finishing prints `{received, decodedBytes, firstAt,
 * lastAt}` and whatever `extra()` adds, once; for systems that may drop the end marker too, it also happens
 * once the orchestrator said the publisher is done ("done") and nothing
 * arrived for `idleMs`.
 */
export function tally({ idleMs = 400, extra } = {}) {
  let received = 0;
  let decodedBytes = 0;
  let firstAt = 0;
  let lastAt = 0;
  let warm = false;
  let finished = false;
  // by: 'end' (the end marker arrived) or 'idle' (it did not: a lossy system, or a subscriber cut off).
  const finish = (by = 'end') => {
    if (finished) return;
    finished = true;
    process.stdout.write(`${JSON.stringify({ received, decodedBytes, firstAt, lastAt, by, ...extra?.() })}\n`);
  };
  void orderFrom('done').then(() => {
    // Idle detection, only once the publisher has finished: lossy systems never say "that was all".
    let seen = -1;
    const check = () => {
      if (finished) return;
      if (received === seen) return finish('idle');
      seen = received;
      setTimeout(check, idleMs);
    };
    check();
  });
  const data = (value) => {
    if (finished) return;
    const t = now();
    if (received === 0) firstAt = t;
    lastAt = t;
    received++;
    decodedBytes += sizeOf(value);
  };
  const sync = () => {
    if (warm) return;
    warm = true;
    process.stdout.write('warm\n');
  };
  return {
    data,
    sync,
    end: () => finish(),
    /** Dispatches on the topic's name; bench.warm (and anything else) is only received. */
    topic(name, value) {
      if (name === 'bench.data') data(value);
      else if (name === 'bench.sync') sync();
      else if (name === 'bench.end') finish();
    },
  };
}

/** Bytes of a decoded payload: a Buffer/Uint8Array, or node-ipc's JSON form of a Buffer ({type, data}). */
function sizeOf(value) {
  if (value == null) return 0;
  return value.byteLength ?? value.data?.length ?? 0;
}
