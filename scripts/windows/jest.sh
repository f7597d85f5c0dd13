#!/usr/bin/env bash
# Run the repository's jest suite under Windows Node on Wine (via node.sh).
#
#   scripts/windows/jest.sh [JEST ARGS...]     # e.g. -t 'named pipe', a path
#
# Same config as on Linux (jest.config.cjs), from the repo root, plus:
#   --runInBand      jest 29's worker processes do not work under Wine;
#   --no-watchman    no watchman.exe exists; skip jest's probe for it;
#   --cacheDirectory a cache of its own under .cache/wine (ts-jest output keyed
#                    by Windows paths; kept apart from the Linux run's cache).
# Tests see PIPEBUS_UNDER_WINE=1 (with process.platform === 'win32'), and
# PIPEBUS_NATS_CONTROL, the Linux-side helper that runs their nats-servers.
# The closing line "windows: N passed, N failed[, N skipped]" summarises the run.
# Env: PIPEBUS_WINE_TIMEOUT (seconds, default 900) bounds the whole run.
set -euo pipefail

# shellcheck source=scripts/windows/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PB_REPO"

# Wine hands the Unix environment to Windows programs, so this reaches the tests.
export PIPEBUS_UNDER_WINE=1
# Code frames in failure messages use picocolors, which turns colour on for any
# win32 process, terminal or not: keep escape codes out of logs and CI output.
if [[ ! -t 2 && -z "${FORCE_COLOR+x}" && -z "${NO_COLOR+x}" ]]; then
  export NO_COLOR=1
fi

jest_args=(--runInBand --no-watchman --cacheDirectory "$(pb_winpath "$PB_WINE_HOME/jest-cache")")

# Ask jest for a JSON result file too (unless the caller chose their own output)
# so that we can print one plain summary line at the end.
summary_file=""
if [[ " $* " != *" --json "* && "$*" != *--outputFile* ]]; then
  mkdir -p "$PB_WINE_HOME"
  summary_file="$PB_WINE_HOME/jest-results.json"
  rm -f "$summary_file"
  jest_args+=(--json --outputFile "$(pb_winpath "$summary_file")")
fi

# The NATS tests need nats-server, a Linux binary that Windows Node cannot
# start. A helper on the Linux side starts, kills and restarts servers on
# request over 127.0.0.1 (packages/test-support/src/nats-control.ts); the tests
# find it through PIPEBUS_NATS_CONTROL (Wine passes the environment on). It
# prints its address first; it stops its servers when its stdin (our coproc
# pipe) closes, and the trap ends it by pid in any case.
coproc NATS_CONTROL { exec node packages/test-support/fixtures/run-ts.cjs packages/test-support/src/nats-control-main.ts; }
nats_control_pid=$NATS_CONTROL_PID
trap 'kill "$nats_control_pid" 2>/dev/null || true' EXIT
if read -r -t 60 nats_control_address <&"${NATS_CONTROL[0]}"; then
  export PIPEBUS_NATS_CONTROL="$nats_control_address"
else
  pb_log "the nats-server helper did not start: the NATS tests will fail to get a server"
fi

status=0
bash "$PB_REPO/scripts/windows/node.sh" node_modules/jest/bin/jest.js "${jest_args[@]}" "$@" || status=$?

if [[ -n "$summary_file" && -s "$summary_file" ]]; then
  # shellcheck disable=SC2016  # JavaScript, not shell
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`windows: ${r.numPassedTests} passed, ${r.numFailedTests} failed` +
      (skipped ? `, ${skipped} skipped` : ""));
  ' "$summary_file" || true
fi
exit "$status"
