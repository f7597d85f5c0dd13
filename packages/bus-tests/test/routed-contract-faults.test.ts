// Each case of describeRoutedTransportContract can fail: run the suite, under
// a runner of our own, over a routed loop broken one way at a time, and check
// that exactly the cases guarding against that way fail, each saying what
// was wrong.
import { describe, expect, it } from '@jest/globals';
import { describeRoutedTransportContract, type TestBody, type TestRunner } from '@pipebus/core/testkit';
import { RoutedLoopNetwork, type RoutedLoopFault } from '../src/index.js';

interface Collected {
  readonly cases: Array<{ readonly title: string; readonly body: TestBody }>;
  readonly before: TestBody[];
  readonly after: TestBody[];
}

/** The suite's cases and hooks, registered with a runner that only collects them. */
function collect(fault: RoutedLoopFault | undefined): Collected {
  const collected: Collected = { cases: [], before: [], after: [] };
  const it = Object.assign((title: string, body: TestBody) => collected.cases.push({ title, body }), {
    skip: () => undefined,
  });
  const runner: TestRunner = {
    describe: (_name, body) => body(),
    it,
    beforeEach: (hook) => collected.before.push(hook),
    afterEach: (hook) => collected.after.push(hook),
  };
  describeRoutedTransportContract(
    `routed loop, fault ${fault ?? 'none'}`,
    () => {
      const network = new RoutedLoopNetwork({ noResponders: true, ...(fault !== undefined && { fault }) });
      return { a: network.endpoint(), b: network.endpoint(), c: network.endpoint() };
    },
    // Short: the dropped-answer case fails by its bounded wait running out.
    { runner, noResponders: true, timeoutMs: 600 },
  );
  return collected;
}

/** Runs every case with its hooks; returns the failures by case title. */
async function failures(fault: RoutedLoopFault | undefined): Promise<Map<string, string>> {
  const { cases, before, after } = collect(fault);
  const failed = new Map<string, string>();
  for (const { title, body } of cases) {
    try {
      for (const hook of before) await hook();
      await body();
    } catch (error) {
      failed.set(title, error instanceof Error ? error.message : String(error));
    } finally {
      for (const hook of after) await hook();
    }
  }
  return failed;
}

const REQUEST = 'delivers a request to the endpoint that declared its method (before start), and not to one that did not';
const QUEUE = 'hands each of 20 requests to one member of a queue group of two';
const WILDCARDS = "delivers events to topic interests with '*' and '>' that match, and not others, with via the interest's id";
const TWO_INTERESTS = 'delivers an event matching two interests of one endpoint once per interest, each with its via';
const WITHDRAW = 'stops delivering what an interest brought once its disposer ran';
const RESPONSE = "sends a response to its caller's peer id only";
const NO_HANDLER = 'answers a request for a method nobody declared with an Error envelope NO_HANDLER of its id (noResponders)';
const BAD_NAMES = 'refuses interest() with a name the network cannot route, or a malformed one, with INVALID_ARGUMENT';

describe('describeRoutedTransportContract', () => {
  it('refuses an unknown option and a runner without its functions with INVALID_ARGUMENT, naming itself', () => {
    const make = () => {
      const network = new RoutedLoopNetwork();
      return { a: network.endpoint(), b: network.endpoint(), c: network.endpoint() };
    };
    expect(() => describeRoutedTransportContract('typo', make, { noResponder: true } as { noResponders?: boolean })).toThrow(/did you mean 'noResponders'/);
    const runner = { describe: () => undefined, beforeEach: () => undefined, afterEach: () => undefined } as unknown as TestRunner;
    expect(() => describeRoutedTransportContract('stub', make, { runner })).toThrow("describeRoutedTransportContract('stub'): options.runner.it is undefined, not a function");
  });

  it('passes every case over a routed loop that behaves', async () => {
    expect(await failures(undefined)).toEqual(new Map());
  });

  const expected: Array<[RoutedLoopFault, Record<string, RegExp>]> = [
    [
      'ignoreMethods',
      {
        [REQUEST]: /what c \(no interest\) received: expected \[\], got \[ "Request 'kit.orders.get' #1/,
        // Every case that sends a request meets it where it should not be.
        [QUEUE]: /each once/,
        [RESPONSE]: /what a received/,
        [WITHDRAW]: /only kit.kept should remain/,
        [NO_HANDLER]: /timed out/,
      },
    ],
    ['ignoreQueues', { [QUEUE]: /received together, each once \(b: 20, c: 20\)/ }],
    // The withdrawal case's interests use a wildcard and a via too.
    ['noWildcards', { [WILDCARDS]: /what b \(topic interest 'kit.a.\*', id 7\) received: expected/, [TWO_INTERESTS]: /the via of each copy/, [WITHDRAW]: /while declared/ }],
    ['noVia', { [WILDCARDS]: /via 7/, [TWO_INTERESTS]: /expected \[ 21, 22 \], got \[ undefined, undefined \]/, [WITHDRAW]: /only kit.kept should remain/ }],
    ['onePerEndpoint', { [TWO_INTERESTS]: /expected \[ 21, 22 \], got \[ 21 \]/ }],
    ['keepWithdrawn', { [WITHDRAW]: /only kit.kept should remain/ }],
    ['ignoreTo', { [RESPONSE]: /what a received \(b answered request #5/ }],
    ['dropUnanswered', { [NO_HANDLER]: /timed out after \d+ ms waiting for an Error envelope for request #42/ }],
    ['acceptBadNames', { [BAD_NAMES]: /a.interest\(\{ kind: 'method', name: 'kit.has space' \}\): expected a BusError with code INVALID_ARGUMENT, but it resolved/ }],
  ];
  for (const [fault, cases] of expected) {
    it(`fails exactly the cases that guard against a loop with fault '${fault}', saying what was wrong`, async () => {
      const failed = await failures(fault);
      expect([...failed.keys()].sort()).toEqual(Object.keys(cases).sort());
      for (const [title, message] of Object.entries(cases)) expect(failed.get(title)).toMatch(message);
    });
  }
});
