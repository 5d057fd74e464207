#!/usr/bin/env bash
# `npm start`: the whole platform in the foreground. This script holds the start
# lock; the orchestrator (tools/stack/main.ts, on tools/stack/stack.ts, the one
# the bench and the tests use too) sets up, starts, waits, prints the URLs, and on
# Ctrl-C/SIGTERM stops everything it started.
LOG_TAG=platform
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# The orchestrator runs on ts-node: install the packages first (set-up is idempotent).
bash infra/setup.sh
load_env

# One `npm start` at a time: a restart right after Ctrl-C waits here until the previous one
# has stopped everything it started (else it could find the old broker still stopping, take
# it for running, and lose it a moment later). Children must not inherit the lock (9>&-).
mkdir -p "$LOCAL_DIR"
exec 9>"$LOCAL_DIR/platform.lock"
# Stopping the broker alone can take a minute on a busy machine, so the wait is long: a
# stopping one always finishes, and Ctrl-C here ends the wait.
if ! flock -n 9; then
  log "another npm start is still running or stopping; waiting up to 10 minutes for it"
  flock -w 600 9 || die "another npm start is still running (lock $LOCAL_DIR/platform.lock)"
fi

node -r ts-node/register/transpile-only tools/stack/main.ts 9>&- &
orchestrator=$!
# Ctrl-C or a supervisor's SIGTERM reaches the orchestrator with the whole process group; a
# signal to this shell alone is passed on. Either way the lock is held until it has stopped all.
trap 'kill -TERM "$orchestrator" 2>/dev/null || true' INT TERM HUP
trap '' PIPE
while :; do
  status=0
  wait "$orchestrator" || status=$?
  kill -0 "$orchestrator" 2>/dev/null || break # gone, not just a wait cut short by a signal
done
exit "$status"
