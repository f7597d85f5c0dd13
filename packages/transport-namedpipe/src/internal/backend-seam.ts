import type { PipeBackend } from '../platform/pipe-backend.js';

/**
 * The seam through which tests hand a transport a fake OS backend.
 *
 * Internal on purpose: the key is a module-private symbol (not `Symbol.for`,
 * so it cannot be forged) and this module is not reachable from the
 * package's `exports`, so the public options and constructors stay exactly
 * what users may rely on. Tests import it from `src/` directly. A second
 * constructor parameter would have shown in the published `.d.ts` as if it
 * were supported.
 */
const BACKEND = Symbol('pipebus.namedpipe.backend');

/** A copy of `options` that makes the transport use `backend` instead of the platform's. Tests only. */
export function withBackend<T extends object>(options: T, backend: PipeBackend): T {
  return { ...options, [BACKEND]: backend };
}

/** The backend injected with {@link withBackend}, if any. */
export function injectedBackend(options: object): PipeBackend | undefined {
  return (options as { [BACKEND]?: PipeBackend })[BACKEND];
}
