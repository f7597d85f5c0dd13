// Dependency rules, checked by `pnpm test` (the `check:deps` script runs
// dependency-cruiser before jest). They hold what review used to: no import
// cycles anywhere, core below every transport, and other packages reaching
// core only through the entries it publishes. Run `pnpm run check:deps`.

// The files behind core's published entries: `@pipebus/core`, `/di`,
// `/testkit` and `/transport-kit` (resolved through tsconfig.test.json's paths).
const CORE_ENTRY_FILES = '^packages/core/src/(index|di/index|testkit/index|transport-kit/index|transport-kit)[.]ts$';
// The same entries when written as a bare specifier that did not resolve.
const CORE_ENTRY_SPECIFIERS = '^@pipebus/core(/(di|testkit|transport-kit))?$';

// test/reliability tests internals on purpose: it fuzzes the frame decoder, the
// decode scans and the fragment header, and speaks the handshake byte by byte,
// none of which a package entry exports. So it may import them by relative path.
const INTERNALS_ALLOWED = '^test/reliability/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'An import cycle, in any package, in src or in tests. Type-only imports count too: a cycle of types is still two files that cannot be read, moved or tested one without the other.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-imports-no-transport',
      severity: 'error',
      comment: 'Core is the bottom layer: its source and its tests never import a transport or the CLI (bus-over-transport tests live in packages/bus-tests).',
      from: { path: '^packages/core/' },
      to: { path: ['^packages/(transport-[^/]+|cli)/', '^@pipebus/(transport-[^/]+|cli)([/]|$)'] },
    },
    {
      name: 'core-by-entry-only',
      severity: 'error',
      comment:
        'Outside core, core is imported by a package entry (@pipebus/core, /di, /testkit, /transport-kit), never by a deep path (@pipebus/core/src/..., @pipebus/core/dist/..., or a relative path into packages/core).',
      from: { path: '^(packages/[^/]+|examples|bench|scripts|test)/', pathNot: ['^packages/core/', INTERNALS_ALLOWED] },
      to: { path: ['^packages/core/', '^@pipebus/core([/]|$)'], pathNot: [CORE_ENTRY_FILES, CORE_ENTRY_SPECIFIERS] },
    },
    {
      name: 'other-packages-by-entry-only',
      severity: 'error',
      comment: "The same rule for every other package: another package's files are reached through its src/index.ts, not by a relative path into it.",
      from: { path: '^(packages/[^/]+|examples|bench|scripts|test)/', pathNot: INTERNALS_ALLOWED },
      to: { path: '^packages/[^/]+/', pathNot: ['^$1/', '^packages/core/', '^packages/[^/]+/src/index[.]ts$'] },
    },
    {
      name: 'packages-not-into-test-folders',
      severity: 'error',
      comment: "A package's tests share helpers through @pipebus/test-support, never by a relative path into test/reliability or another package's test/ folder.",
      from: { path: '^packages/([^/]+)/' },
      to: { path: ['^test/', '^packages/[^/]+/test/'], pathNot: '^packages/$1/test/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing: a typo, or a deep path a package does not export.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // The consumer fixtures import the packed tarballs (and jest, vitest, typedi)
    // from their own node_modules outside the repository; here none resolves.
    exclude: { path: '^test/consumers/fixtures/' },
    // Built output and installed packages are not ours to check, but an import
    // of them is still seen and judged (a deep import of core's dist is one).
    doNotFollow: { path: '(^|/)(dist|node_modules)/' },
    // Count `import type` too (see no-circular).
    tsPreCompilationDeps: true,
    // Its paths map @pipebus/* to the packages' sources, as jest's moduleNameMapper does.
    tsConfig: { fileName: 'tsconfig.test.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
