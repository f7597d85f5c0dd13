import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';

const FIXTURE = path.join(__dirname, 'fixtures', 'loaded-modules.mjs');
const BUILT = path.join(__dirname, '..', 'dist', 'esm', 'index.js');

/** Runs the fixture under this Node (Windows Node under Wine too) and parses its report. */
function run(): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [FIXTURE], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(FIXTURE)} failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, unknown>);
    });
  });
}

// Heap that every process pays is kept for what it uses (issue 18's idle-heap
// target): these are the loads the built ESM core must not make by itself.
describe('what the core loads, and when (built ESM)', () => {
  it('a bus and its requests load neither the CommonJS export lexer, eventemitter3 nor node:crypto; transport.events loads eventemitter3, a fragmenter node:crypto for its first sender id', async () => {
    if (!fs.existsSync(BUILT)) throw new Error(`${BUILT} is missing: build first (pnpm test builds)`);
    const report = await run();
    expect(report.echo).toEqual([1, 2, 3]);
    // rxjs and eventemitter3 are CommonJS: require()d (cjs-require.ts), not imported.
    expect(report.lexerAfterBus).toBe(false);
    expect(report.rxjsAfterBus).toBe(true);
    // A transport makes its `events` emitter on first read, which the bus never does.
    expect(report.eventemitterAfterBus).toBe(false);
    expect(report.eventemitterAfterEvents).toBe(true);
    expect(report.states).toEqual(['connecting', 'open', 'closed']);
    // Every bus has a Fragmenter; its random sender id is drawn on first need.
    expect(report.cryptoAfterBus).toBe(false);
    expect(report.cryptoAfterFragmenter).toBe(false);
    expect(report.senderIdIsU32).toBe(true);
    expect(report.cryptoAfterSenderId).toBe(true);
  });
});
