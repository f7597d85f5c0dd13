import { defineConfig } from 'vitest/config';

// Only the contract's vitest run: jest's `*.test.ts` files are not vitest's,
// and jest in turn never matches `*.vitest.ts`.
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['*.vitest.ts'],
    globals: true,
    // The contract enforces its own per-case timeout.
    testTimeout: 30_000,
  },
});
