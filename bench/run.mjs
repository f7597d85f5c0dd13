#!/usr/bin/env node
// `pnpm bench [--quick]`: runs every benchmark suite and writes JSON results
// to bench/results/<date>-<platform>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCoreBench } from './core/roundtrip.mjs';
import { runNamedPipeBench } from './namedpipe/index.mjs';

const quick = process.argv.includes('--quick');
const here = dirname(fileURLToPath(import.meta.url));

console.log(`pipebus bench${quick ? ' (quick)' : ''} on ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}`);
console.log('\ncore: the bus\'s own cost per request/response over an in-memory loop');
const core = await runCoreBench({ quick });
console.log('\nnamedpipe: the bus over the named-pipe transport vs raw node:net, separate processes');
const namedpipe = process.platform === 'win32' ? [] : await runNamedPipeBench({ quick });

const date = new Date().toISOString().slice(0, 10);
const out = join(here, 'results', `${date}-${process.platform}${quick ? '-quick' : ''}.json`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      platform: process.platform,
      node: process.version,
      cpu: os.cpus()[0]?.model,
      cores: os.cpus().length,
      quick,
      suites: { core, namedpipe },
    },
    null,
    2,
  ) + '\n',
);
console.log(`\nresults written to ${out}`);
