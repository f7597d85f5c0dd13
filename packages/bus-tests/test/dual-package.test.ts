import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';

const FIXTURE = path.join(__dirname, 'fixtures', 'dual-package.mjs');
const PACKAGES = path.join(__dirname, '..', '..');
const BUILT = ['core/dist/esm/index.js', 'core/dist/commonjs/index.js', 'transport-mock/dist/commonjs/index.js'].map((p) => path.join(PACKAGES, p));

/** Runs the fixture under this Node (Windows Node under Wine too) and parses its report. */
function run(): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [FIXTURE], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(FIXTURE)} failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, unknown>);
    });
  });
}

// Each package ships an ESM and a CommonJS build, so one process can hold two
// copies of core: an app that import()s the bus and require()s a transport
// (or a library that does). jest maps @pipebus/* to src, so only a child
// process running the built packages meets both copies.
describe('dual package: the ESM and CommonJS copies of core work together', () => {
  it('runs an ESM bus over CommonJS transports, with BusError and FRAME_TAKEN shared by both copies', async () => {
    for (const file of BUILT) if (!fs.existsSync(file)) throw new Error(`${file} is missing: build first (pnpm test builds)`);
    const report = await run();
    expect(report).toEqual({
      twoCopies: true,
      transportIsTransport: true,
      roundTrip: 5,
      remoteCode: 'BUSY',
      cjsErrorIsEsmBusError: true,
      esmErrorIsCjsBusError: true,
      subclassIsStrict: true,
      plainIsNeither: true,
      foreignCodecChecksPayloads: true,
      sameFrameTaken: true,
      loopEcho: 'hi',
      // The request, its response, and the (empty) interest announcement a client bus makes on open.
      loopSends: 3,
      reactionsOnFrameTaken: 0,
    });
  });
});
