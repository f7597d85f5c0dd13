#!/usr/bin/env node
// Consumer tests: the published packages as a user gets them. Packs every
// published package with `pnpm pack` (which rewrites `workspace:*`), installs
// the tarballs with npm into copies of the fixture projects in
// test/consumers/fixtures/ made OUTSIDE the repository (so nothing of the
// workspace can leak in: no hoisted node_modules, no tsconfig paths, no jest
// moduleNameMapper), then type-checks and runs each one, and lints every
// tarball with publint and arethetypeswrong. Prints a matrix; exits 1 on any
// failure, with the failing command's output.
//
//   node test/consumers/run.mjs [--only=esm-ts,cjs-js] [--keep] [--wine]
//
//   --only   run these fixtures (the linters run unless --only names none of them: --only=lint)
//   --keep   keep the temp run directory (it is kept anyway when something failed)
//   --wine   run the named-pipe fixture (cjs-js) with Windows Node under Wine
//            instead (`pnpm test:windows`; needs scripts/windows/setup.sh first)
//
// Env: PIPEBUS_CONSUMERS_TMP: the temp root (default <os tmpdir>/pipebus-consumers);
// its npm-cache/ is kept between runs, so a second run installs from the cache.
// Needs the packages built (`pnpm run build`) and the npm registry.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv, run } from './proc.mjs';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const FIXTURES = join(REPO, 'test', 'consumers', 'fixtures');
/** The fixture that also runs under Wine: plain CommonJS, nothing to compile. */
const WINE_FIXTURE = 'cjs-js';
/**
 * arethetypeswrong's profile: every resolution it knows. We promise CommonJS
 * and ESM under node16/nodenext and bundlers, and core's `typesVersions` make
 * its subpaths (/di, /testkit, /transport-kit) resolve under node10 too
 * (`moduleResolution: node`, NestJS's default), so node10 is judged as well.
 */
const ATTW_PROFILE = 'strict';
const MINUTE = 60_000;

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const wine = flag('wine');

const log = (line) => console.log(`[consumers] ${line}`);
const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`;

/** The packages a user can install: every packages/* not marked private. */
function publishedPackages() {
  return readdirSync(join(REPO, 'packages'))
    .map((dir) => ({ dir: join(REPO, 'packages', dir), manifest: join(REPO, 'packages', dir, 'package.json') }))
    .filter(({ manifest }) => existsSync(manifest))
    .map(({ dir, manifest }) => ({ dir, json: JSON.parse(readFileSync(manifest, 'utf8')) }))
    .filter(({ json }) => json.private !== true)
    .map(({ dir, json }) => ({ dir, name: json.name, version: json.version }));
}

/** The temp root: outside the repository, or the fixtures would see the workspace's node_modules. */
function tempRoot() {
  const base = resolve(process.env.PIPEBUS_CONSUMERS_TMP ?? join(tmpdir(), 'pipebus-consumers'));
  if (!relative(REPO, base).startsWith('..')) {
    throw new Error(`PIPEBUS_CONSUMERS_TMP (${base}) is inside the repository; choose a directory outside ${REPO}`);
  }
  mkdirSync(base, { recursive: true });
  return base;
}

/** Packs the packages into `dir`; returns name → tarball path. */
async function pack(packages, dir) {
  const filters = packages.flatMap((p) => ['--filter', p.name]);
  const result = await run('npx', ['-y', 'pnpm@10', ...filters, 'pack', '--pack-destination', dir], {
    cwd: REPO,
    env: cleanEnv(),
    timeoutMs: 5 * MINUTE,
  });
  if (result.code !== 0) return { ok: false, output: result.output };
  const tarballs = new Map();
  for (const p of packages) {
    const file = join(dir, `${p.name.replace(/^@/, '').replace('/', '-')}-${p.version}.tgz`);
    if (!existsSync(file)) return { ok: false, output: `${result.output}\nno tarball for ${p.name} at ${file}` };
    tarballs.set(p.name, file);
  }
  return { ok: true, tarballs, ms: result.ms };
}

/**
 * Copies a fixture to `dest` and points every @pipebus/* dependency at its
 * tarball. `overrides` does the same for the tarballs' own dependencies on
 * each other (pnpm pack wrote exact versions there), so npm never asks the
 * registry for a @pipebus package.
 */
function prepareFixture(name, dest, tarballs) {
  cpSync(join(FIXTURES, name), dest, {
    recursive: true,
    filter: (src) => !/[/\\](node_modules|dist)$/.test(src),
  });
  const manifestPath = join(dest, 'package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  for (const field of ['dependencies', 'devDependencies']) {
    for (const dep of Object.keys(manifest[field] ?? {})) {
      if (!dep.startsWith('@pipebus/')) continue;
      const tarball = tarballs.get(dep);
      if (tarball === undefined) throw new Error(`fixture ${name} depends on ${dep}, which is not a published package`);
      manifest[field][dep] = `file:${tarball}`;
    }
  }
  manifest.overrides = Object.fromEntries([...tarballs].map(([dep, tarball]) => [dep, `file:${tarball}`]));
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** npm install in `cwd`, from the shared cache when it can. */
function npmInstall(cwd, cache, extra = []) {
  return run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--cache', cache, ...extra], {
    cwd,
    env: cleanEnv(),
    timeoutMs: 10 * MINUTE,
  });
}

/**
 * Installs one fixture and runs its `typecheck` (when it has one) and `test`
 * scripts. `runtimeDir` becomes XDG_RUNTIME_DIR, so its pipes and mailslots
 * live in the temp directory, not the user's.
 */
async function runFixture(name, runDir, cache, tarballs, runtimeDir) {
  const dest = join(runDir, name);
  const manifest = prepareFixture(name, dest, tarballs);
  const row = { name, cells: {}, failures: [] };
  const step = async (cell, command, commandArgs, timeoutMs) => {
    const result = await run(command, commandArgs, {
      cwd: dest,
      env: cleanEnv({ XDG_RUNTIME_DIR: runtimeDir, FORCE_COLOR: '0', NO_COLOR: '1' }),
      timeoutMs,
    });
    row.cells[cell] = `${result.code === 0 ? 'ok' : 'FAIL'} ${seconds(result.ms)}`;
    if (result.code !== 0) row.failures.push({ what: `${name}: ${[command, ...commandArgs].join(' ')} (in ${dest})`, output: result.output });
    return result.code === 0;
  };
  const installed = await npmInstall(dest, cache);
  row.cells.install = `${installed.code === 0 ? 'ok' : 'FAIL'} ${seconds(installed.ms)}`;
  if (installed.code !== 0) {
    row.failures.push({ what: `${name}: npm install (in ${dest})`, output: installed.output });
    return row;
  }
  if (manifest.scripts?.typecheck) await step('typecheck', 'npm', ['run', '--silent', 'typecheck'], 5 * MINUTE);
  else row.cells.typecheck = 'n/a';
  // The run goes ahead even when the types failed: both results are worth seeing.
  await step('run', 'npm', ['test', '--silent'], 5 * MINUTE);
  return row;
}

/** publint and arethetypeswrong on every tarball; both must report nothing. */
async function lint(tarballs) {
  const bin = (pkg, path) => join(REPO, 'node_modules', pkg, path);
  const rows = [];
  for (const [name, tarball] of tarballs) {
    const row = { name, cells: {}, failures: [] };
    const publint = await run(process.execPath, [bin('publint', 'src/cli.js'), tarball, '--strict'], {
      cwd: REPO,
      env: cleanEnv({ NO_COLOR: '1' }),
      timeoutMs: 2 * MINUTE,
    });
    // "All good!" is publint's only clean verdict; any suggestion counts too.
    const publintClean = publint.code === 0 && /All good!/.test(publint.output);
    row.cells.publint = publintClean ? 'ok' : 'FAIL';
    if (!publintClean) row.failures.push({ what: `publint ${tarball}`, output: publint.output });
    const attwArgs = [bin('@arethetypeswrong/cli', 'dist/index.js'), tarball, '--profile', ATTW_PROFILE, '--format', 'table', '--no-color', '--no-emoji'];
    const attw = await run(process.execPath, attwArgs, { cwd: REPO, env: cleanEnv(), timeoutMs: 2 * MINUTE });
    row.cells.attw = attw.code === 0 ? 'ok' : 'FAIL';
    if (attw.code !== 0) row.failures.push({ what: `attw ${tarball} --profile ${ATTW_PROFILE}`, output: attw.output });
    rows.push(row);
  }
  return rows;
}

/**
 * The Wine leg: the named-pipe fixture installed for win32 (koffi's
 * @koromix/koffi-win32-x64 rather than the Linux build), then its two-process
 * request run by Windows Node through scripts/windows/node.sh.
 */
async function runUnderWine(runDir, cache, tarballs) {
  const dest = join(runDir, `${WINE_FIXTURE}-win32`);
  prepareFixture(WINE_FIXTURE, dest, tarballs);
  const row = { name: `${WINE_FIXTURE} (Wine)`, cells: { typecheck: 'n/a' }, failures: [] };
  // npm picks optional native builds for the platform it is told, so this
  // tree is the one a Windows user's `npm install` makes. Install scripts are
  // skipped: they would run here, on Linux, for win32 packages (msgpackr-extract
  // then compiles a Linux build from source for a minute; koffi needs none, its
  // win32 binary is the @koromix/koffi-win32-x64 package).
  const installed = await npmInstall(dest, cache, ['--os=win32', '--cpu=x64', '--ignore-scripts']);
  row.cells.install = `${installed.code === 0 ? 'ok' : 'FAIL'} ${seconds(installed.ms)}`;
  if (installed.code !== 0) {
    row.failures.push({ what: `${WINE_FIXTURE}: npm install --os=win32 (in ${dest})`, output: installed.output });
    return row;
  }
  const result = await run('bash', [join(REPO, 'scripts/windows/node.sh'), join(dest, 'test.js')], {
    cwd: dest,
    env: cleanEnv({ PIPEBUS_WINE_TIMEOUT: '300' }),
    timeoutMs: 6 * MINUTE,
  });
  row.cells.run = `${result.code === 0 ? 'ok' : 'FAIL'} ${seconds(result.ms)}`;
  if (result.code !== 0) row.failures.push({ what: `${WINE_FIXTURE}: Windows node test.js (in ${dest})`, output: result.output });
  return row;
}

function printMatrix(title, rows, columns) {
  const width = Math.max(title.length, ...rows.map((r) => r.name.length));
  const cell = (text) => (text ?? '-').padEnd(13);
  console.log(`\n${title.padEnd(width)}  ${columns.map(cell).join('')}`);
  for (const row of rows) console.log(`${row.name.padEnd(width)}  ${columns.map((c) => cell(row.cells[c])).join('')}`);
}

async function main() {
  const started = Date.now();
  const packages = publishedPackages();
  const unbuilt = packages.filter((p) => !existsSync(join(p.dir, 'dist')));
  if (unbuilt.length > 0) {
    throw new Error(`not built: ${unbuilt.map((p) => p.name).join(', ')}; run \`pnpm run build\` first`);
  }
  const fixtures = readdirSync(FIXTURES).filter((name) => existsSync(join(FIXTURES, name, 'package.json')));
  const unknown = (only ?? []).filter((name) => name !== 'lint' && !fixtures.includes(name));
  if (unknown.length > 0) throw new Error(`--only names no fixture: ${unknown.join(', ')} (fixtures: ${fixtures.join(', ')}, and lint)`);
  const chosen = wine ? [] : fixtures.filter((name) => only === undefined || only.includes(name));
  const withLint = !wine && (only === undefined || only.includes('lint'));

  const base = tempRoot();
  const cache = join(base, 'npm-cache');
  const runDir = mkdtempSync(join(base, 'run-'));
  const runtimeDir = join(runDir, 'xdg');
  mkdirSync(runtimeDir, { mode: 0o700 });
  log(`packing ${packages.length} packages into ${runDir}/tarballs`);
  const packed = await pack(packages, join(runDir, 'tarballs'));
  if (!packed.ok) {
    console.error(packed.output);
    throw new Error('pnpm pack failed');
  }

  const rows = [];
  if (wine) {
    log(`installing ${WINE_FIXTURE} for win32 and running it with Windows Node`);
    rows.push(await runUnderWine(runDir, cache, packed.tarballs));
  }
  // One fixture at a time: npm installs are the bulk of the time and the
  // machine this runs on is small; in parallel they mostly fight for it.
  for (const name of chosen) {
    log(`${name}: install, type-check, run`);
    rows.push(await runFixture(name, runDir, cache, packed.tarballs, runtimeDir));
  }
  const lintRows = withLint ? await lint(packed.tarballs) : [];

  if (rows.length > 0) printMatrix(wine ? 'fixture (Wine)' : 'fixture', rows, ['install', 'typecheck', 'run']);
  if (lintRows.length > 0) printMatrix('tarball', lintRows, ['publint', 'attw']);
  const failures = [...rows, ...lintRows].flatMap((r) => r.failures);
  for (const failure of failures) {
    console.log(`\n---------- FAILED: ${failure.what}\n${failure.output.trimEnd()}`);
  }
  console.log(`\n[consumers] ${failures.length === 0 ? 'all passed' : `${failures.length} failed`} in ${seconds(Date.now() - started)}`);
  if (failures.length > 0 || flag('keep')) {
    log(`kept ${runDir} for a look (delete it when done)`);
  } else {
    rmSync(runDir, { recursive: true, force: true });
  }
  process.exitCode = failures.length === 0 ? 0 : 1;
}

main().catch((error) => {
  console.error(`[consumers] ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
