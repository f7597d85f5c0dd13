// The CommonJS build's stand-in for import-koffi.ts: require() rather than
// import(), which a CommonJS host without an ESM loader (jest's default
// runtime) refuses.
import type { Koffi } from './import-koffi.js';

/** Loads koffi on first need. */
export async function importKoffi(): Promise<Koffi> {
  return require('koffi') as Koffi;
}
