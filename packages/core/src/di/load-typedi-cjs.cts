import { loadTypedi } from './typedi-guard.js';

// The CommonJS build's (and jest's) stand-in for load-typedi.ts, which needs
// import.meta: see there.
/** The typedi module (see {@link loadTypedi}). */
export const typedi = loadTypedi(require);
