import { BusError } from '@pipebus/core';

/** Loads a native library's bindings on first use; see {@link lazyNative}. */
export type NativeLoader<T> = () => Promise<T>;

/**
 * Wraps the loading of native bindings (koffi and the libraries it opens) so
 * that it happens on first use — a transport's `start()` — and never at
 * import: importing a transport must not need koffi's native module, nor a
 * platform's libraries (a Windows-only DLL on Linux). Success is kept; a
 * failure is not, so a later `start()` tries again.
 *
 * The bindings themselves stay with each transport (one declaration file
 * each); `bind` typically does `(await import('koffi')).default.load(...)`.
 *
 * @param what the library in words, for the error ("libc through koffi").
 * @returns a loader that rejects with `NOT_SUPPORTED` (the cause kept) when
 *   the library cannot be loaded, or with the BusError `bind` threw.
 *
 * @example
 * ```ts
 * export const loadLibc = lazyNative('libc through koffi', async () => bindLibc((await import('koffi')).default));
 * const libc = await loadLibc(); // in start()
 * ```
 */
export function lazyNative<T>(what: string, bind: () => Promise<T>): NativeLoader<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= bind().catch((error: unknown) => {
      loaded = undefined;
      if (error instanceof BusError) throw error;
      throw new BusError('NOT_SUPPORTED', `cannot load ${what}: ${error instanceof Error ? error.message : String(error)}; pipebus reaches the OS through koffi: check that koffi is installed for this platform and architecture (npm ls koffi)`, {
        cause: error,
      });
    });
    return loaded;
  };
}
