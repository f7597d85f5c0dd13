import { BusError } from '../errors/index.js';

/** typedi's module, as `require('typedi')` returns it. */
export type Typedi = typeof import('typedi');

/**
 * Loads typedi through `load` (a `require`), turning "not installed" into a
 * `BusError` that says what to install. typedi and reflect-metadata are
 * optional peers of `@pipebus/core`: only `/di` needs them, so an app that
 * never imports `/di` need not install them. A static import would fail
 * with Node's bare `ERR_MODULE_NOT_FOUND`, which names neither package nor fix.
 */
export function loadTypedi(load: (id: string) => unknown): Typedi {
  try {
    return load('typedi') as Typedi;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code !== 'MODULE_NOT_FOUND' || !String((error as Error).message).includes("'typedi'")) throw error;
    throw new BusError(
      'NOT_FOUND',
      "@pipebus/core/di needs typedi, an optional peer dependency that is not installed: run 'npm install typedi reflect-metadata' and import 'reflect-metadata' once before your services",
      { cause: error, details: { module: 'typedi' } },
    );
  }
}
