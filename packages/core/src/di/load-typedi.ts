import { createRequire } from 'node:module';
import { loadTypedi } from './typedi-guard.js';

// The ESM build. typedi is loaded with require() rather than a static import,
// so that its absence can be caught and explained (a static import fails at
// link time, before any code of this module runs). typedi 0.10 has no
// "exports": an app's `import 'typedi'` gets this same CommonJS module, and so
// the same global Container. The CommonJS build uses load-typedi-cjs.cts.
/** The typedi module (see {@link loadTypedi}). */
// tshy compiles this file in the CommonJS pass too (then puts the .cts
// output in its place), where import.meta is TS1470: hence the ts-ignore.
// @ts-ignore TS1470 in the CommonJS pass only
export const typedi = loadTypedi(createRequire(import.meta.url));
