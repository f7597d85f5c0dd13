// The CommonJS build's (and jest's) stand-in for cjs-require.ts, which needs
// import.meta: see there.
/** This build's own `require` (see cjs-require.ts). */
export const requireCjs: NodeJS.Require = require;
