// How long a big contract takes to type-check (issue 16: a 500-method
// contract within 1.5 s on the 2-core machine). Generates one file: a
// contract of N members (a third rpc with zod schemas, a third streams with
// zod schemas, a third rpc<In, Out>() typed only, plus N/25 events), a server
// implementing every method, and a client calling each method and emitting
// each event; then runs `tsc --extendedDiagnostics` on it against the built
// declarations (dist), as a user's project would. Two more runs tell the
// contract's share from zod's: the same contract typed only (rpc<In, Out>(),
// no schemas), and the zod schemas alone with their inferred input and
// output types spelled out (what any zod user pays).
// Not part of `pnpm test`: it measures, it asserts nothing.
//
//   pnpm run build && node bench/contract/typecheck.mjs [methods=500]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const n = Number(process.argv[2] ?? 500);
const out = join(repo, 'node_modules', '.cache', 'pipebus-contract-typecheck');

function source(variant) {
  const withContract = variant !== 'zod';
  const typed = variant === 'typed';
  // A typed-only contract needs no schema library: its file imports none, as a user's would.
  const lines = typed ? [] : ["import { z } from 'zod';"];
  if (withContract) lines.push("import { client, contract, event, implement, rpc, stream } from '@pipebus/contract';", "import type { MessageBus } from '@pipebus/core';", 'declare const bus: MessageBus;');
  const members = [];
  for (let i = 0; i < n; i++) {
    if (!typed) lines.push(`const In${i} = z.object({ id: z.string(), n${i}: z.number(), tags: z.array(z.string()) });`);
    if (!typed) lines.push(`const Out${i} = z.object({ ok: z.boolean(), v${i}: z.number() });`);
    if (!withContract) lines.push(`export const in${i}: z.input<typeof In${i}> = null!; export const out${i}: z.output<typeof Out${i}> = null!;`);
    const types = `<{ id: string; n${i}: number; tags: string[] }, { ok: boolean; v${i}: number }>()`;
    if (typed) members.push(`  m${i}: ${i % 3 === 1 ? 'stream' : 'rpc'}${types},`);
    else if (i % 3 === 0) members.push(`  m${i}: rpc({ input: In${i}, output: Out${i}, errors: { E${i}: z.object({ why: z.string() }) } }),`);
    else if (i % 3 === 1) members.push(`  m${i}: stream({ input: In${i}, output: Out${i} }),`);
    else members.push(`  m${i}: rpc<{ id: string; n${i}: number }, { ok: boolean }>(),`);
  }
  const events = Math.max(1, Math.floor(n / 25));
  for (let i = 0; i < events; i++) members.push(typed ? `  'e${i}.*.changed': event<{ e${i}: number }>(),` : `  'e${i}.*.changed': event({ payload: z.object({ e${i}: z.number() }) }),`);
  if (!withContract) return lines.join('\n') + '\n';
  lines.push(`export const Big = contract('big', { version: '1.0.0' }, {`, ...members, '});');
  lines.push('implement(bus, Big, {');
  for (let i = 0; i < n; i++) {
    if (i % 3 === 0) lines.push(`  m${i}: async (x) => ({ ok: x.id.length > 0, v${i}: x.n${i} }),`);
    else if (i % 3 === 1) lines.push(`  m${i}: async (x) => ({ ok: true, v${i}: x.n${i} }),`);
    else lines.push(`  m${i}: (x) => ({ ok: x.n${i} > 0${typed ? `, v${i}: 1` : ''} }),`);
  }
  lines.push('});', 'const c = client(bus, Big);', 'export async function use(): Promise<void> {');
  for (let i = 0; i < n; i++) {
    if (i % 3 === 1) lines.push(`  c.m${i}({ id: 'a', n${i}: 1, tags: [] }).subscribe();`);
    else if (i % 3 === 0) lines.push(`  await c.m${i}({ id: 'a', n${i}: 1, tags: [] });`);
    else lines.push(`  await c.m${i}({ id: 'a', n${i}: 1${typed ? ', tags: []' : ''} });`);
  }
  for (let i = 0; i < events; i++) lines.push(`  await c.emit('e${i}.eu.changed', { e${i}: 1 });`, `  c.on('e${i}.*.changed').subscribe();`);
  lines.push('}');
  return lines.join('\n') + '\n';
}

function measure(name, variant) {
  const dir = join(out, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'big.ts'), source(variant));
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
      // The built declarations, as an installed package would give them.
      paths: { '@pipebus/contract': [join(repo, 'packages/contract/dist/esm/index.d.ts')], '@pipebus/core': [join(repo, 'packages/core/dist/esm/index.d.ts')] },
    },
    files: ['big.ts'],
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  const text = execFileSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', dir, '--extendedDiagnostics'], { encoding: 'utf8' });
  const pick = (label) => text.match(new RegExp(`^${label}:\\s+(\\S+)`, 'm'))?.[1];
  return { check: pick('Check time'), total: pick('Total time'), instantiations: pick('Instantiations'), types: pick('Types'), memory: pick('Memory used') };
}

const runs = [
  ['contract, zod schemas', measure('contract', 'contract')],
  ['contract, typed only', measure('typed', 'typed')],
  ['zod schemas alone   ', measure('zod', 'zod')],
];
console.log(`${n}-method contract (+${Math.max(1, Math.floor(n / 25))} events), implemented and called in one file (tsc ${JSON.parse(readFileSync(join(repo, 'node_modules/typescript/package.json'), 'utf8')).version}):`);
for (const [label, r] of runs) console.log(`  ${label}: check ${r.check}, total ${r.total}, ${r.instantiations} instantiations, ${r.types} types, ${r.memory} memory`);
