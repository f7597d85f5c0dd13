/**
 * Runs `fn` and returns what it threw, which must be an instance of `type`
 * (`thrown(() => validateTopic(''), BusError).code`). Fails the test when
 * nothing is thrown, and rethrows anything else, so a wrong error is never
 * mistaken for the expected one.
 */
export function thrown<E extends Error>(fn: () => unknown, type: abstract new (...args: never[]) => E): E {
  try {
    fn();
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected a ${type.name} to be thrown, nothing was`);
}
