import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';

const FIXTURE = path.join(__dirname, 'fixtures', 'native-strings.mjs');
const BUILT = path.join(__dirname, '..', 'dist', 'esm', 'codec', 'msgpack-codec.js');

/** Runs the fixture under this Node (Windows Node under Wine too) and parses its report. */
function run(...args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [FIXTURE, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(FIXTURE)} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, unknown>);
    });
  });
}

// msgpackr's native string extractor costs ~0.3 MB of heap, so the built codec
// loads it only once a frame is large enough for msgpackr to use it.
describe('msgpack codec: native string extraction, loaded on demand', () => {
  it('loads it on the first large frame only, where msgpackr itself would enable it, with the same values', async () => {
    if (!fs.existsSync(BUILT)) throw new Error(`${BUILT} is missing: build first (pnpm test builds)`);
    const [report, reference] = await Promise.all([run(), run('reference')]);
    expect(report.smallBytes).toBeLessThan(140);
    expect(report.largeBytes).toBeGreaterThanOrEqual(140);
    expect(report.small).toEqual({ text: 'hi' });
    expect(report.askedAfterSmall).toBe(false);
    expect(report.nativeAfterSmall).toBe(false);
    expect(report.askedAfterLarge).toBe(true);
    // Wherever the addon loads (Linux x64 here), the codec gets it too.
    expect(report.nativeAfterLoad).toBe(reference.native);
    if (process.platform === 'linux' && process.arch === 'x64') expect(reference.native).toBe(true);
    expect(report.firstLarge).toEqual(report.value);
    expect(report.laterLarge).toEqual(report.value);
  });
});
