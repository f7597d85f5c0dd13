// koffi has one index.d.ts for its import and require entries, in a "type": "module"
// package, so the CommonJS pass takes it for ESM (TS1479) although require('koffi')
// loads its index.cjs. The ESM pass has no error here, so not @ts-expect-error.
// @ts-ignore TS1479 in the CommonJS pass only
import type koffiModule from 'koffi';

/** The koffi module's type. */
export type Koffi = typeof koffiModule;

/**
 * Loads koffi on first need (the ESM build's version; the CommonJS build has
 * import-koffi-cjs.cts, as a CommonJS host may have no loader for `import()`).
 */
export async function importKoffi(): Promise<Koffi> {
  // @ts-ignore TS1479 in the CommonJS pass only (see above)
  return (await import('koffi')).default;
}
