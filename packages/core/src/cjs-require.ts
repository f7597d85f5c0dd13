import { createRequire } from 'node:module';

/**
 * `require`, for the CommonJS packages the core runs on (rxjs, eventemitter3)
 * and for built-ins loaded on first need. In the ESM build this is a
 * `createRequire`: an ES module that `import`s a CommonJS one makes Node load
 * its CommonJS export lexer (~0.17 MB of heap, kept for the life of the
 * process) just to list that module's names, while `require` gives the very
 * same module object (the same cache entry, so `instanceof` holds across an
 * app's own `import 'rxjs'`) without it. The CommonJS build uses
 * cjs-require-cjs.cts, its own `require`.
 */
// tshy compiles this file in the CommonJS pass too (then puts the .cts
// output in its place), where import.meta is TS1470: hence the ts-ignore.
// @ts-ignore TS1470 in the CommonJS pass only
export const requireCjs: NodeJS.Require = createRequire(import.meta.url);
