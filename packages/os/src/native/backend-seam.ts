/**
 * The seam through which tests hand a transport a fake OS backend: a pair of
 * functions keyed by a symbol made for one transport.
 *
 * Internal on purpose. The key is a fresh `Symbol()` (not `Symbol.for`, so it
 * cannot be forged), and each transport keeps its seam in a module that its
 * package's `exports` do not reach, so the public options and constructors stay
 * exactly what users may rely on; tests import it from `src/`. A second
 * constructor parameter would have shown in the published `.d.ts` as if it
 * were supported.
 */
export interface BackendSeam<B> {
  /** A copy of `options` that makes the transport use `backend` instead of the platform's. Tests only. */
  withBackend<T extends object>(options: T, backend: B): T;
  /** The backend injected with `withBackend`, if any. */
  injectedBackend(options: object): B | undefined;
}

/** Makes the seam of one transport; `label` names the symbol in debuggers. */
export function backendSeam<B>(label: string): BackendSeam<B> {
  const key = Symbol(label);
  return {
    withBackend: (options, backend) => ({ ...options, [key]: backend }),
    injectedBackend: (options) => (options as { [key]?: B })[key],
  };
}
