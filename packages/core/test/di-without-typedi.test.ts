import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';

const FIXTURE = path.join(__dirname, 'fixtures', 'di-without-typedi.mjs');
const BUILT = ['esm', 'commonjs'].map((dialect) => path.join(__dirname, '..', 'dist', dialect, 'di', 'index.js'));

/** Runs the fixture under this Node (Windows Node under Wine too) and parses its report. */
function run(): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [FIXTURE], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(FIXTURE)} failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, unknown>);
    });
  });
}

// typedi and reflect-metadata are optional peers: only @pipebus/core/di needs
// them. Importing /di without them must say what to install, in both builds.
describe('@pipebus/core/di without typedi installed', () => {
  it('fails with a BusError that says to install typedi and reflect-metadata, through import and require', async () => {
    for (const file of BUILT) if (!fs.existsSync(file)) throw new Error(`${file} is missing: build first (pnpm test builds)`);
    const report = await run();
    const expected = {
      isBusError: true,
      code: 'NOT_FOUND',
      message: expect.stringContaining("npm install typedi reflect-metadata"),
    };
    expect(report).toEqual({ esm: expected, commonjs: expected, coreLoads: true });
  });
});
