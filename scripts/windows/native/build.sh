#!/usr/bin/env bash
# Build the native peers (console C versions of the seeds' MFC programs) into
# $PB_WINE_HOME/native/*.exe (default <repo>/.cache/wine/native), for interop
# tests under Wine. Called by setup.sh; safe to run by hand at any time.
#
#   scripts/windows/native/build.sh [--force]
#
# A program is rebuilt only when its .c file, native.h or this script is newer
# than its .exe, so an up-to-date run costs a few stat calls and no compiler.
# Static linking (-static): the .exe files need nothing beyond the DLLs every
# Wine prefix has (kernel32, msvcrt). Env: PIPEBUS_WINE_HOME (see lib.sh).
set -euo pipefail

# shellcheck source=scripts/windows/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

src_dir="$PB_REPO/scripts/windows/native"
out_dir="$PB_WINE_HOME/native"
programs=(pipe-server pipe-client mailslot-server mailslot-client)
cc="${PIPEBUS_MINGW_CC:-x86_64-w64-mingw32-gcc}"
cflags=(-std=c11 -O2 -Wall -Wextra -Werror -municode -DUNICODE -D_UNICODE -static -s)

force=""
case "${1:-}" in
  "") ;;
  --force) force=1 ;;
  *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

stale=()
for p in "${programs[@]}"; do
  exe="$out_dir/$p.exe"
  if [[ -n "$force" || ! -f "$exe" || "$src_dir/$p.c" -nt "$exe" ||
        "$src_dir/native.h" -nt "$exe" || "${BASH_SOURCE[0]}" -nt "$exe" ]]; then
    stale+=("$p")
  fi
done
if [[ ${#stale[@]} -eq 0 ]]; then
  pb_log "native programs up to date: $out_dir"
  exit 0
fi

command -v "$cc" >/dev/null 2>&1 ||
  pb_die "$cc not found: install gcc-mingw-w64-x86-64 (scripts/windows/setup.sh does)"
mkdir -p "$out_dir"
SECONDS=0
# Compile in parallel; each writes a .part file renamed into place only on
# success, so a failed or interrupted build never leaves a stale-looking .exe.
pids=()
for p in "${stale[@]}"; do
  "$cc" "${cflags[@]}" -o "$out_dir/$p.exe.part" "$src_dir/$p.c" 2>"$out_dir/$p.log" &
  pids+=("$!")
done
failed=()
for i in "${!stale[@]}"; do
  p="${stale[$i]}"
  if wait "${pids[$i]}"; then
    mv -f "$out_dir/$p.exe.part" "$out_dir/$p.exe"
    rm -f "$out_dir/$p.log"
  else
    rm -f "$out_dir/$p.exe.part"
    failed+=("$p")
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  for p in "${failed[@]}"; do
    pb_log "compiling $p.c failed:"
    cat "$out_dir/$p.log" >&2
  done
  exit 1
fi
pb_log "built ${stale[*]} in ${SECONDS}s: $out_dir"
