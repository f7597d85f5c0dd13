import { checkKnownKeys } from '../errors/index.js';
import { Kind } from '../envelope/index.js';
import type { Route, Transport } from '../transport/index.js';
import { expectBusError, withDeadline, type WaitPolicy } from './bounded-wait.js';
import { check, checkEqual } from './checks.js';
import { Endpoint, LABELS, describeReceived, type Label, type Received } from './routed-harness.js';
import { resolveRunner, type TestBody, type TestRunner } from './runner.js';
// For the TSDoc links only.
import type { ContractOptions, describeTransportContract } from './transport-contract.js';

/**
 * Three endpoints of one routed network (one NATS server and prefix, say),
 * none started yet. Each must report the others `connected` on `peers$`
 * once all are started (the suite learns their peer ids that way).
 */
export interface RoutedTransportSet {
  readonly a: Transport;
  readonly b: Transport;
  readonly c: Transport;
  /** Frees what the factory made beyond the transports (a server, a network). Called after all three are closed. */
  readonly dispose?: () => Promise<void>;
}

/** Tuning of {@link describeRoutedTransportContract}. */
export interface RoutedContractOptions {
  /** Timeout of each case, its setup and its teardown, in real ms. Default 5000 (as {@link ContractOptions.timeoutMs}). */
  readonly timeoutMs?: number;
  /** The test runner's functions; the globals when left out (as {@link ContractOptions.runner}). */
  readonly runner?: TestRunner;
  /** Called repeatedly while the suite waits, for transports pumped by a virtual clock (as {@link ContractOptions.settle}). */
  readonly settle?: () => Promise<void>;
  /**
   * The transport answers a request for a method nobody declared with an
   * `Error` envelope `NO_HANDLER` carrying the request's id (NATS "no
   * responders"). Default false: that case is reported skipped.
   */
  readonly noResponders?: boolean;
  /** Requests sent to the queue group in the load-balancing case. Default 20. */
  readonly queueRequestCount?: number;
}

const RUNNER_GRACE_MS = 1000;
const OPTION_KEYS: ReadonlySet<string> = new Set(['timeoutMs', 'runner', 'settle', 'noResponders', 'queueRequestCount']);

/**
 * Defines a `describe` block of behaviour every routed transport
 * (`capabilities.routed`, such as transport-nats) must show, through its
 * public API only (`start`, `interest`, `sendRouted`, `frames$`, `peers$`,
 * `close`): a request reaches the endpoint that declared its method and no
 * other; a queue group gets each request once; topic interests match `*` and
 * `>` and stamp `via`; a withdrawn interest stops delivery; a response goes to
 * its caller only; a request nobody handles comes back `NO_HANDLER` (with
 * `options.noResponders`); `interest()` refuses bad names and a closed
 * transport. Run it beside {@link describeTransportContract}, which checks
 * the plain `send()` path.
 *
 * Each case starts the three endpoints of a fresh set, waits until each
 * learnt the others' peer ids (from `peers$`, then one frame sent `to` each),
 * and closes them afterwards. It never sleeps: to prove that nothing else
 * arrives, or that an interest reached the network, one endpoint sends
 * another a frame `to` it and waits for it (one sender's frames arrive in
 * order). Every wait is bounded and names what it waited for. Runner and
 * assertions as in {@link describeTransportContract}.
 *
 * @example Over transport-nats, under jest (globals)
 * ```ts
 * import { describeRoutedTransportContract } from '@pipebus/core/testkit';
 * import { NatsTransport } from '@pipebus/transport-nats';
 * import { startNatsServer } from './my-nats-harness.js';
 *
 * let n = 0;
 * describeRoutedTransportContract('nats', async () => {
 *   const server = await startNatsServer();
 *   const prefix = `contract${n++}`;
 *   const make = () => new NatsTransport({ servers: server.url, prefix });
 *   return { a: make(), b: make(), c: make(), dispose: () => server.stop() };
 * }, { noResponders: true });
 * ```
 */
export function describeRoutedTransportContract(
  name: string,
  factory: () => Promise<RoutedTransportSet> | RoutedTransportSet,
  options: RoutedContractOptions = {},
): void {
  checkKnownKeys(`describeRoutedTransportContract('${name}')`, options, OPTION_KEYS);
  const run = resolveRunner(name, options.runner, 'describeRoutedTransportContract');
  const timeoutMs = options.timeoutMs ?? 5000;
  const runnerMs = timeoutMs + RUNNER_GRACE_MS;
  const wait: WaitPolicy = {
    boundMs: Math.max(1, Math.floor(timeoutMs * 0.8)),
    ...(options.settle !== undefined && { settle: options.settle }),
  };
  const requests = options.queueRequestCount ?? 20;

  const test = (title: string, body: TestBody, enabled = true): void => {
    const timed = withDeadline(`the case '${title}'`, body, timeoutMs);
    if (enabled) run.it(title, timed, runnerMs);
    else run.skip?.(title, timed, runnerMs);
  };

  run.describe(`${name}: routed transport contract`, () => {
    let set: RoutedTransportSet | undefined;
    let ends: Record<Label, Endpoint> | undefined;
    let generation = 0;
    const at = (label: Label): Endpoint => {
      if (ends === undefined) throw new Error(`describeRoutedTransportContract('${name}'): no endpoints (the factory failed in beforeEach)`);
      return ends[label];
    };
    /** Starts all three (b first, then the others), then lets each learn the others' ids. */
    const startAll = async (): Promise<Record<Label, Endpoint>> => {
      for (const label of ['b', 'a', 'c'] as const) await at(label).transport.start();
      const all = LABELS.map(at);
      await Promise.all(all.map((e) => e.meet(all.filter((o) => o !== e), wait)));
      return { a: at('a'), b: at('b'), c: at('c') };
    };
    const closeSet = async (made: RoutedTransportSet, endpoints: Record<Label, Endpoint> | undefined): Promise<void> => {
      try {
        await Promise.allSettled([made.a.close(), made.b.close(), made.c.close()]);
        for (const label of LABELS) endpoints?.[label].dispose();
      } finally {
        await made.dispose?.();
      }
    };

    run.beforeEach(
      withDeadline('the factory (in beforeEach)', async () => {
        set = undefined;
        ends = undefined;
        const mine = ++generation;
        const made = await factory();
        if (mine !== generation) return closeSet(made, undefined);
        set = made;
        ends = { a: new Endpoint('a', made.a), b: new Endpoint('b', made.b), c: new Endpoint('c', made.c) };
      }, timeoutMs),
      runnerMs,
    );

    run.afterEach(
      withDeadline('closing the three endpoints and dispose() (in afterEach)', async () => {
        generation++;
        const made = set;
        const endpoints = ends;
        set = undefined;
        ends = undefined;
        if (made !== undefined) await closeSet(made, endpoints);
      }, timeoutMs),
      runnerMs,
    );

    test('declares capabilities.routed and duplex on every endpoint', () => {
      for (const label of LABELS) {
        const { routed, duplex } = at(label).transport.capabilities;
        checkEqual({ routed, duplex }, { routed: true, duplex: true }, `${label}.capabilities' routed and duplex (the suite answers callers and fences through sendRouted with 'to')`);
      }
    });

    test("delivers a request to the endpoint that declared its method (before start), and not to one that did not", async () => {
      at('b').transport.interest({ kind: 'method', name: 'kit.orders.get' });
      const { a, b, c } = await startAll();
      await b.fence(a, wait);
      await a.send(request(1, 'kit.orders.get'), 'data', 1, wait);
      await a.fence(b, wait);
      await a.fence(c, wait);
      checkEqual(describeReceived(b.data()), [`Request 'kit.orders.get' #1 from '${b.peerId('a')}'`], 'what b (method interest kit.orders.get) received');
      checkEqual(describeReceived(c.data()), [], 'what c (no interest) received');
    });

    test(`hands each of ${requests} requests to one member of a queue group of two`, async () => {
      const { a, b, c } = await startAll();
      b.transport.interest({ kind: 'method', name: 'kit.work', queue: 'kit-workers' });
      c.transport.interest({ kind: 'method', name: 'kit.work', queue: 'kit-workers' });
      await b.fence(a, wait);
      await c.fence(a, wait);
      for (let id = 1; id <= requests; id++) await a.send(request(id, 'kit.work'), 'data', id, wait);
      await a.fence(b, wait);
      await a.fence(c, wait);
      const ids = [...requestIds(b.data(), 'kit.work'), ...requestIds(c.data(), 'kit.work')].sort((x, y) => x - y);
      checkEqual(ids, Array.from({ length: requests }, (_, i) => i + 1), `the request ids b and c (queue group kit-workers) received together, each once (b: ${b.data().length}, c: ${c.data().length})`);
    });

    test("delivers events to topic interests with '*' and '>' that match, and not others, with via the interest's id", async () => {
      const { a, b, c } = await startAll();
      b.transport.interest({ kind: 'topic', name: 'kit.a.*', id: 7 });
      c.transport.interest({ kind: 'topic', name: 'kit.a.>', id: 8 });
      await b.fence(a, wait);
      await c.fence(a, wait);
      for (const [n, topic] of ['kit.a.x', 'kit.a.x.y', 'kit.b.x', 'kit.a', 'kit.ab.x'].entries()) await a.send(event(topic), 'data', n, wait);
      await a.fence(b, wait);
      await a.fence(c, wait);
      const from = b.peerId('a');
      checkEqual(describeReceived(b.data()), [`Event 'kit.a.x' #0 via 7 from '${from}'`], "what b (topic interest 'kit.a.*', id 7) received");
      checkEqual(describeReceived(c.data()), [`Event 'kit.a.x' #0 via 8 from '${c.peerId('a')}'`, `Event 'kit.a.x.y' #0 via 8 from '${c.peerId('a')}'`], "what c (topic interest 'kit.a.>', id 8) received");
    });

    test('delivers an event matching two interests of one endpoint once per interest, each with its via', async () => {
      const { a, b } = await startAll();
      b.transport.interest({ kind: 'topic', name: 'kit.t.*', id: 21 });
      b.transport.interest({ kind: 'topic', name: 'kit.t.>', id: 22 });
      await b.fence(a, wait);
      await a.send(event('kit.t.u'), 'data', 1, wait);
      await a.fence(b, wait);
      const vias = b.data().map((r) => r.frame.via).sort();
      checkEqual(vias, [21, 22], `the via of each copy of event 'kit.t.u' b received (interests 'kit.t.*' id 21, 'kit.t.>' id 22): ${describeReceived(b.data()).join('; ')}`);
    });

    test('stops delivering what an interest brought once its disposer ran', async () => {
      const { a, b } = await startAll();
      const stopMethod = b.transport.interest({ kind: 'method', name: 'kit.gone' });
      const stopTopic = b.transport.interest({ kind: 'topic', name: 'kit.gone.*', id: 1 });
      b.transport.interest({ kind: 'topic', name: 'kit.kept', id: 2 });
      await b.fence(a, wait);
      await a.send(request(1, 'kit.gone'), 'data', 1, wait);
      await a.send(event('kit.gone.x'), 'data', 2, wait);
      await a.fence(b, wait);
      checkEqual(b.data().length, 2, `frames b received while declared ('kit.gone', 'kit.gone.*'): ${describeReceived(b.data()).join('; ')}`);
      stopMethod();
      stopTopic();
      stopMethod(); // idempotent
      // The withdrawal reaches the network before b's fence reaches a.
      await b.fence(a, wait);
      await a.send(request(2, 'kit.gone'), 'data', 3, wait);
      await a.send(event('kit.gone.y'), 'data', 4, wait);
      await a.send(event('kit.kept'), 'data', 5, wait);
      await b.next("the event 'kit.kept', sent after the withdrawn ones", (r) => r.envelope?.name === 'kit.kept', wait);
      const from = b.peerId('a');
      checkEqual(
        describeReceived(b.data().slice(2)),
        [`Event 'kit.kept' #0 via 2 from '${from}'`],
        'what b received after withdrawing kit.gone and kit.gone.* (only kit.kept should remain)',
      );
    });

    test("sends a response to its caller's peer id only", async () => {
      const { a, b, c } = await startAll();
      b.transport.interest({ kind: 'method', name: 'kit.ask' });
      await b.fence(a, wait);
      await b.fence(c, wait);
      await a.send(request(5, 'kit.ask'), 'data', 1, wait);
      await c.send(request(6, 'kit.ask'), 'data', 2, wait);
      const fromA = await b.next('the request #5 from a', (r) => r.envelope?.id === 5, wait);
      const fromC = await b.next('the request #6 from c', (r) => r.envelope?.id === 6, wait);
      await b.send(response(5), 'data', 1, wait, fromA.frame.peer.id);
      await b.send(response(6), 'data', 2, wait, fromC.frame.peer.id);
      await b.fence(a, wait);
      await b.fence(c, wait);
      checkEqual(describeReceived(a.data()), [`Response '' #5 from '${a.peerId('b')}'`], `what a received (b answered request #5 to '${fromA.frame.peer.id}')`);
      checkEqual(describeReceived(c.data()), [`Response '' #6 from '${c.peerId('b')}'`], `what c received (b answered request #6 to '${fromC.frame.peer.id}')`);
    });

    test('answers a request for a method nobody declared with an Error envelope NO_HANDLER of its id (noResponders)', async () => {
      const { a } = await startAll();
      await a.send(request(42, 'kit.nobody.home'), 'data', 1, wait);
      const answer = await a.next('an Error envelope for request #42 (no responders)', (r) => r.envelope?.kind === Kind.Error && r.envelope.id === 42, wait);
      const payload = answer.envelope?.payload as { code?: unknown } | undefined;
      checkEqual(payload?.code, 'NO_HANDLER', 'the code of the Error envelope answering request #42');
    }, options.noResponders === true);

    test('refuses interest() with a name the network cannot route, or a malformed one, with INVALID_ARGUMENT', async () => {
      const t = at('a').transport;
      for (const [kind, bad] of [['method', 'kit.has space'], ['method', 'kit..empty'], ['method', ''], ['topic', 'kit.a b'], ['topic', 'kit..x'], ['topic', '.kit']] as const) {
        await expectBusError(thrownBy(() => t.interest({ kind, name: bad })), 'INVALID_ARGUMENT', `a.interest({ kind: '${kind}', name: '${bad}' })`);
      }
      await expectBusError(thrownBy(() => t.interest({ kind: 'bogus' as 'method', name: 'kit.ok' })), 'INVALID_ARGUMENT', "a.interest({ kind: 'bogus' })");
      await expectBusError(thrownBy(() => t.interest({ kind: 'method', name: 'kit.ok', queue: '' })), 'INVALID_ARGUMENT', "a.interest() with queue ''");
    });

    test('refuses interest() and sendRouted() once closed with TRANSPORT_CLOSED, and a malformed route with INVALID_ARGUMENT', async () => {
      const { a } = await startAll();
      const bad = { kind: 99, id: 1, name: 'kit.x' } as unknown as Route;
      await expectBusError(a.transport.sendRouted(Uint8Array.of(1), bad), 'INVALID_ARGUMENT', 'a.sendRouted() with route.kind 99');
      await a.transport.close();
      await expectBusError(thrownBy(() => a.transport.interest({ kind: 'method', name: 'kit.late' })), 'TRANSPORT_CLOSED', 'a.interest() after a.close()');
      await expectBusError(a.transport.sendRouted(Uint8Array.of(1), event('kit.late')), 'TRANSPORT_CLOSED', 'a.sendRouted() after a.close()');
    });
  });
}

function request(id: number, method: string): Route {
  return { kind: Kind.Request, id, name: method };
}

function response(id: number): Route {
  return { kind: Kind.Response, id, name: '' };
}

function event(topic: string): Route {
  return { kind: Kind.Event, id: 0, name: topic };
}

function requestIds(received: readonly Received[], method: string): number[] {
  const ids: number[] = [];
  for (const r of received) {
    check(r.envelope?.kind === Kind.Request && r.envelope.name === method, `a member of the queue group should receive only requests for '${method}'`, describeReceived([r]));
    ids.push(r.envelope!.id);
  }
  return ids;
}

/** What `fn` threw, as a rejected promise (or a resolved one when it returned). */
function thrownBy(fn: () => unknown): Promise<unknown> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}
