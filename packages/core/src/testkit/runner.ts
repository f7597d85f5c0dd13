import { invalidArgument } from '../errors/index.js';

/** A test case or hook body, as jest, vitest and `node:test` all accept it. */
export type TestBody = () => Promise<void> | void;

/** A runner's `it` (or `test`): registers a case; `skip` registers one that is reported but not run. */
export interface RunnerTest {
  (name: string, body: TestBody): unknown;
  /** Used for the cases a transport's capabilities rule out; when absent, those cases are left out. */
  readonly skip?: (name: string, body: TestBody) => unknown;
}

/**
 * The four functions of a test runner the contract suite registers its cases
 * with. jest (`@jest/globals` or its globals), vitest (`vitest` or its
 * globals) and `node:test` all fit as they are:
 * `{ describe, it, beforeEach, afterEach }` imported from the runner.
 *
 * The suite passes each case's and hook's timeout as a trailing number
 * (`it(name, body, ms)`, `beforeEach(hook, ms)`), which jest and vitest read
 * and `node:test` ignores; the suite also enforces that timeout itself, so
 * under every runner a hung case fails with a message naming it.
 */
export interface TestRunner {
  readonly describe: (name: string, body: () => void) => unknown;
  readonly it: RunnerTest;
  readonly beforeEach: (hook: TestBody) => unknown;
  readonly afterEach: (hook: TestBody) => unknown;
}

/** The runner as the suite calls it: with the timeout jest and vitest take as a trailing argument. */
export interface TimedRunner {
  readonly describe: (name: string, body: () => void) => void;
  readonly it: (name: string, body: TestBody, timeoutMs: number) => void;
  /** Present when the runner can report a skipped case. */
  readonly skip: ((name: string, body: TestBody, timeoutMs: number) => void) | undefined;
  readonly beforeEach: (hook: TestBody, timeoutMs: number) => void;
  readonly afterEach: (hook: TestBody, timeoutMs: number) => void;
}

const MEMBERS = ['describe', 'it', 'beforeEach', 'afterEach'] as const;

/**
 * The runner to register with: `given` when the caller passed one, else the
 * globals jest (always, unless `injectGlobals: false`) and vitest (with
 * `globals: true`) define. `it` falls back to the global `test`. Throws
 * `INVALID_ARGUMENT` saying how to pass a runner when neither is there.
 */
export function resolveRunner(suite: string, given: TestRunner | undefined, caller = 'describeTransportContract'): TimedRunner {
  const source = given ?? fromGlobals(suite, caller);
  if (given !== undefined) {
    for (const member of MEMBERS) {
      if (typeof (given as unknown as Record<string, unknown>)[member] !== 'function') {
        throw invalidArgument(
          `${caller}('${suite}'): options.runner.${member} is ${kindOf(given[member])}, not a function; pass { describe, it, beforeEach, afterEach } as your test runner exports them`,
          { option: `runner.${member}` },
        );
      }
    }
  }
  // The trailing timeout is not in TestRunner's signatures because node:test's
  // hooks take an options object there (a number is ignored, which is what we
  // want); jest and vitest read it.
  const it = source.it as unknown as TimedRunner['it'] & { readonly skip?: unknown };
  return {
    describe: (name, body) => void source.describe(name, body),
    it: (name, body, ms) => void it(name, body, ms),
    skip: typeof it.skip === 'function' ? (name, body, ms) => void (it.skip as TimedRunner['it'])(name, body, ms) : undefined,
    beforeEach: (hook, ms) => void (source.beforeEach as TimedRunner['beforeEach'])(hook, ms),
    afterEach: (hook, ms) => void (source.afterEach as TimedRunner['afterEach'])(hook, ms),
  };
}

function fromGlobals(suite: string, caller: string): TestRunner {
  const g = globalThis as unknown as Record<string, unknown>;
  const found = { describe: g['describe'], it: g['it'] ?? g['test'], beforeEach: g['beforeEach'], afterEach: g['afterEach'] };
  const missing = MEMBERS.filter((member) => typeof found[member] !== 'function');
  if (missing.length > 0) {
    throw invalidArgument(
      `${caller}('${suite}'): no test runner was passed and the globals ${missing.join(', ')} are not defined. ` +
        `Pass the runner's functions: import { describe, it, beforeEach, afterEach } from 'node:test' (or 'vitest', or '@jest/globals') ` +
        `and call ${caller}(name, factory, { runner: { describe, it, beforeEach, afterEach } }); ` +
        `or turn on your runner's globals (vitest: test.globals = true; jest: injectGlobals, on by default)`,
      { option: 'runner', missing },
    );
  }
  return found as unknown as TestRunner;
}

function kindOf(value: unknown): string {
  return value === undefined ? 'undefined' : value === null ? 'null' : `a ${typeof value}`;
}
