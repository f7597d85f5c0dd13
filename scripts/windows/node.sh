#!/usr/bin/env bash
# Run a script with Windows Node (node.exe) under Wine, as `node FILE ARGS...`.
#
#   scripts/windows/node.sh FILE [ARGS...]     # FILE: a Linux path, from any cwd
#   scripts/windows/node.sh -e 'code' [ARGS...] # leading node options pass as-is
#
# - FILE is turned into its Z:\ path. Other arguments pass unchanged: Windows
#   Node resolves an absolute Linux path such as /work/x against the current
#   drive, which is Z: (= /), so those work too; relative paths work from cwd.
# - The Unix environment passes through (Wine replaces PATH with a Windows one
#   and sets TEMP/TMP/USERPROFILE inside the prefix).
# - stdout/stderr go to temporary files, because under Wine Node's stdout must
#   not be a pipe (console.log then throws "Error: open EBADF"); the files are
#   streamed to our stdout/stderr as they grow (tail -f) and complete at exit.
#   Ordering *between* stdout and stderr is therefore not preserved.
# - stdin is /dev/null: Windows Node cannot read the caller's stdin.
# - The exit code passes through. The run is killed (whole process group, so
#   child wine processes too) after PIPEBUS_WINE_TIMEOUT seconds (default 900),
#   exiting 124 like timeout(1); Ctrl-C / SIGTERM also kill the group.
# Requires setup.sh to have run.
set -euo pipefail

# shellcheck source=scripts/windows/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 1 ]] || { echo "usage: $0 FILE [ARGS...]" >&2; exit 2; }
[[ -f "$PB_NODE_EXE" && -f "$PB_READY_STAMP" ]] ||
  pb_die "Windows Node is not set up: run scripts/windows/setup.sh first"

timeout_s="${PIPEBUS_WINE_TIMEOUT:-900}"
[[ "$timeout_s" =~ ^[0-9]+$ ]] || pb_die "PIPEBUS_WINE_TIMEOUT must be whole seconds, got '$timeout_s'"

args=("$@")
if [[ "${args[0]}" != -* ]]; then
  [[ -e "${args[0]}" ]] || pb_die "no such file: ${args[0]}"
  args[0]="$(pb_winpath "$(realpath "${args[0]}")")"
fi

pb_wine_env
pb_start_wineserver

out_dir="$(mktemp -d "${TMPDIR:-/tmp}/pipebus-wine.XXXXXX")"
pgid=""
tails=()
# shellcheck disable=SC2317  # called through the EXIT trap
cleanup() {
  # The group is gone unless we are interrupted or timed out; harmless then.
  if [[ -n "$pgid" ]]; then
    kill -KILL -- "-$pgid" 2>/dev/null
    wait "$pgid" 2>/dev/null   # reap it: no <defunct> node.exe left behind
  fi
  [[ ${#tails[@]} -gt 0 ]] && kill "${tails[@]}" 2>/dev/null
  rm -rf "$out_dir"
}
trap cleanup EXIT
# On a signal, kill the Windows process group first (a plain kill of this
# script would leave wine running), then exit with the usual 128+n code.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

: >"$out_dir/stdout"
: >"$out_dir/stderr"
# setsid: the wine process becomes leader of a new process group (we are not
# a group leader, so setsid does not fork and $! is that leader), and any
# Windows child processes it creates stay in that group, so one kill ends all.
setsid wine "$PB_NODE_EXE" "${args[@]}" </dev/null >"$out_dir/stdout" 2>"$out_dir/stderr" &
pid=$!
pgid=$pid
# Stream as the files grow; with --pid, tail does a final read and exits once
# the process is gone, so nothing written before exit is lost.
tail -q -n +1 -s 0.2 --pid="$pid" -f "$out_dir/stdout" &
tails+=("$!")
tail -q -n +1 -s 0.2 --pid="$pid" -f "$out_dir/stderr" >&2 &
tails+=("$!")

sleep "$timeout_s" &
watchdog=$!
status=0
finished=""
wait -n -p finished "$pid" "$watchdog" || status=$?
if [[ "$finished" = "$watchdog" ]]; then
  echo "[windows] node.sh: timed out after ${timeout_s}s (PIPEBUS_WINE_TIMEOUT); killing process group $pgid" >&2
  kill -TERM -- "-$pgid" 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL -- "-$pgid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  status=124
else
  kill "$watchdog" 2>/dev/null || true
  wait "$watchdog" 2>/dev/null || true
fi
# Let the tails print the rest of the files and exit by themselves.
wait "${tails[@]}" 2>/dev/null || true
tails=()
# Anything left in the group after the main process exited is a stray child.
kill -KILL -- "-$pgid" 2>/dev/null || true
pgid=""
exit "$status"
