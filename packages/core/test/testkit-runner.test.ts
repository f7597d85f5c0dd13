import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { AssertionError } from 'node:assert';
import { BusError } from '../src/index.js';
import type { PeerId, TransportCapabilities } from '../src/index.js';
import { describeTransportContract, type TestBody, type TestRunner } from '../src/testkit/index.js';
import { Transport } from '../src/transport-kit/index.js';

// describeTransportContract registers through whatever runner it is given
// (or finds as globals), so here a recording runner stands in for jest,
// vitest and node:test; the real runs over the mock are in
// packages/transport-mock/test (jest) and test/testkit-runners (node:test, vitest).

/** A transport that starts when told to (never, unless `opens`), and sends nothing anywhere. */
class StubTransport extends Transport {
  readonly capabilities: TransportCapabilities;
  constructor(
    capabilities: Partial<TransportCapabilities>,
    private readonly opens: boolean,
  ) {
    super();
    this.capabilities = { duplex: false, broadcast: true, reliable: false, ordered: false, maxFrameSize: 64, ...capabilities };
  }
  protected doStart(): Promise<void> {
    return this.opens ? Promise.resolve() : new Promise<void>(() => {});
  }
  protected async doSend(_frame: Uint8Array, _to?: PeerId): Promise<void> {}
  protected async doClose(): Promise<void> {}
}

interface Registered {
  readonly name: string;
  readonly body: TestBody;
  readonly timeout: unknown;
  readonly skipped: boolean;
}

/** A runner that records what the suite registers, running describe bodies at once as every runner does. */
function recordingRunner(withSkip = true) {
  const cases: Registered[] = [];
  const hooks: Array<{ kind: 'beforeEach' | 'afterEach'; body: TestBody; timeout: unknown }> = [];
  const describes: string[] = [];
  const record =
    (skipped: boolean) =>
    (name: string, body: TestBody, ...rest: unknown[]): void =>
      void cases.push({ name, body, timeout: rest[0], skipped });
  const it = Object.assign(record(false), withSkip ? { skip: record(true) } : {});
  const runner: TestRunner = {
    describe: (name, body) => {
      describes.push(name);
      body();
    },
    it,
    beforeEach: (body: TestBody, ...rest: unknown[]) => void hooks.push({ kind: 'beforeEach', body, timeout: rest[0] }),
    afterEach: (body: TestBody, ...rest: unknown[]) => void hooks.push({ kind: 'afterEach', body, timeout: rest[0] }),
  };
  return { runner, cases, hooks, describes };
}

const broadcastOnly = { duplex: false, broadcast: true, reliable: false, ordered: false } as const;
const pairOf = (capabilities: Partial<TransportCapabilities>, opens = true) => () => ({
  a: new StubTransport(capabilities, opens),
  b: new StubTransport(capabilities, opens),
});

describe('describeTransportContract with a runner passed in', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('registers every case in one describe, the ruled-out ones through it.skip, each with a timeout jest and vitest read', () => {
    const { runner, cases, hooks, describes } = recordingRunner();
    describeTransportContract('stub', pairOf(broadcastOnly), { runner, capabilities: broadcastOnly, timeoutMs: 2000 });
    expect(describes).toEqual(['stub: transport contract']);
    expect(hooks.map((h) => [h.kind, h.timeout])).toEqual([
      ['beforeEach', 3000],
      ['afterEach', 3000],
    ]);
    expect(cases).toHaveLength(15);
    expect(cases.every((c) => c.timeout === 3000)).toBe(true);
    expect(cases.filter((c) => c.skipped).map((c) => c.name)).toEqual([
      'answers the sender through frame.peer.id (duplex)',
      'delivers 200 frames of varying sizes complete and in order (reliable, ordered)',
      "reports a peer 'connected' on a when b connects (duplex)",
      "reports the peer 'disconnected' on a when b closes (duplex)",
    ]);
  });

  it('leaves the ruled-out cases out when the runner has no it.skip', () => {
    const { runner, cases } = recordingRunner(false);
    describeTransportContract('stub', pairOf(broadcastOnly), { runner, capabilities: broadcastOnly });
    expect(cases).toHaveLength(11);
    expect(cases.some((c) => c.name.includes('(duplex)'))).toBe(false);
  });

  it('fails a case with an AssertionError naming what it checked', async () => {
    const { runner, cases, hooks } = recordingRunner();
    // The pair says duplex, options.capabilities says not: the suite would have chosen the wrong cases.
    describeTransportContract('stub', pairOf({ duplex: true }), { runner, capabilities: broadcastOnly });
    await hooks[0]!.body();
    const declares = cases.find((c) => c.name.startsWith('declares the capabilities'))!;
    const failure = await Promise.resolve().then(declares.body).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AssertionError);
    // The first line is the suite's; node may append its own diff after it.
    expect((failure as Error).message.split('\n')[0]).toBe(
      'a.capabilities (the suite chose its cases by options.capabilities): expected ' +
        '{ duplex: false, broadcast: true, reliable: false, ordered: false }, got { duplex: true, broadcast: true, reliable: false, ordered: false }',
    );
    await hooks[1]!.body();
  });

  it('fails a case that hangs outside a bounded wait after timeoutMs, naming it (node:test has no timeout of its own)', async () => {
    jest.useFakeTimers();
    const { runner, cases, hooks } = recordingRunner();
    describeTransportContract('stub', pairOf(broadcastOnly, false), { runner, capabilities: broadcastOnly, timeoutMs: 1000 });
    await hooks[0]!.body();
    const idle = cases.find((c) => c.name.startsWith('is idle before start()'))!;
    const outcome = Promise.resolve().then(idle.body).catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(1000);
    expect(String(await outcome)).toBe(
      "Error: the case 'is idle before start(), open after it, and replays the current state to a late subscriber' did not finish within 1000 ms (options.timeoutMs)",
    );
  });
});

describe('describeTransportContract: a factory that outlives its deadline', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('closes the pair it makes after the case has ended, instead of leaving it open', async () => {
    jest.useFakeTimers();
    const { runner, hooks } = recordingRunner();
    let resolveFactory: (pair: { a: Transport; b: Transport }) => void = () => {};
    const made = pairOf(broadcastOnly)();
    const closed = jest.fn<() => void>();
    made.a.state$.subscribe((state) => state === 'closed' && closed());
    made.b.state$.subscribe((state) => state === 'closed' && closed());
    describeTransportContract('stub', () => new Promise((resolve) => (resolveFactory = resolve)), { runner, capabilities: broadcastOnly, timeoutMs: 1000 });
    const [before, after] = [hooks.find((h) => h.kind === 'beforeEach')!, hooks.find((h) => h.kind === 'afterEach')!];
    const setup = Promise.resolve().then(before.body).catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(1000);
    expect(String(await setup)).toContain('the factory (in beforeEach) did not finish within 1000 ms');
    await after.body();
    resolveFactory(made);
    await jest.advanceTimersByTimeAsync(0);
    expect(closed).toHaveBeenCalledTimes(2);
  });
});

describe('describeTransportContract: finding the runner, and its options', () => {
  const GLOBALS = ['describe', 'it', 'test', 'beforeEach', 'afterEach'] as const;

  it('without a runner and without runner globals, says how to pass one', () => {
    const g = globalThis as unknown as Record<string, unknown>;
    const saved = GLOBALS.map((key) => [key, g[key]] as const);
    let thrown: unknown;
    try {
      for (const key of GLOBALS) delete g[key];
      describeTransportContract('stub', pairOf(broadcastOnly), { capabilities: broadcastOnly });
    } catch (error) {
      thrown = error;
    } finally {
      for (const [key, value] of saved) g[key] = value;
    }
    expect(BusError.is(thrown, 'INVALID_ARGUMENT')).toBe(true);
    expect((thrown as Error).message).toContain('the globals describe, it, beforeEach, afterEach are not defined');
    expect((thrown as Error).message).toContain('{ runner: { describe, it, beforeEach, afterEach } }');
  });

  it('rejects a runner whose member is not a function, naming it', () => {
    const { runner } = recordingRunner();
    const broken = { ...runner, it: undefined } as unknown as TestRunner;
    expect(() => describeTransportContract('stub', pairOf(broadcastOnly), { runner: broken })).toThrow(
      "describeTransportContract('stub'): options.runner.it is undefined, not a function",
    );
  });

  it('rejects a misspelt option, suggesting the right one, instead of silently using the globals', () => {
    const { runner } = recordingRunner();
    const call = () => describeTransportContract('stub', pairOf(broadcastOnly), { runnner: runner } as never);
    expect(call).toThrow("describeTransportContract('stub'): unknown option 'options.runnner'; did you mean 'runner'?");
  });
});
