#!/usr/bin/env bash
# The local MongoDB-compatible database, used when MONGODB_URI is not set:
# mongod when it is on PATH, otherwise FerretDB v1.24 with its SQLite backend.
# Data lives in .local/ (git-ignored).
#   infra/database.sh start | stop | status | uri
LOG_TAG=database
source "$(dirname "$0")/lib.sh"
load_env

PORT="${LOCAL_DB_PORT:-27018}"
DB_DIR="${DB_DATA_DIR:-$LOCAL_DIR/database}"
PID_FILE="$DB_DIR/server.pid"
FERRETDB_VERSION=v1.24.2

uri() { echo "mongodb://127.0.0.1:$PORT/iotcloud"; }

# FerretDB as we build it: the release, plus our patches (infra/ferretdb/*.patch).
# sqlite-id-index.patch makes `_id` lookups use the `_id` index; unpatched, every
# find/update/delete by `_id` scans the whole collection (docs/performance.md).
# sqlite-id-range.patch answers `{_id: {$gt/$gte/$lt/$lte: string}}` sorted by `_id` with a
# limit from the same index (how GET /devices pages), instead of reading every document.
# sqlite-id-with-conditions.patch uses the `_id` index also for `{_id: x, ...more}` (presence's
# conditional writes), which FerretDB otherwise evaluates over every document.
OUR_FERRETDB="$LOCAL_DIR/bin/ferretdb"
ferretdb_build_id() { { echo "$FERRETDB_VERSION"; cat "$ROOT"/infra/ferretdb/*.patch; } | sha256sum | cut -c1-16; }
our_ferretdb_current() {
  [ -x "$OUR_FERRETDB" ] && [ "$(cat "$OUR_FERRETDB.build" 2>/dev/null)" = "$(ferretdb_build_id)" ] \
    && "$OUR_FERRETDB" --version >/dev/null 2>&1
}

# Builds FerretDB from the Go module proxy into .local/bin (once, ~1 minute).
# (A plain `go install ...@v1.24.2` builds a binary that panics at start-up,
# because the module proxy's copy lacks build/version/version.txt.)
install_ferretdb() {
  log "building FerretDB $FERRETDB_VERSION (+ infra/ferretdb patches) from the Go module proxy (once; takes a minute)"
  local src build patch
  src="$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$src" ] || die "could not download FerretDB $FERRETDB_VERSION; install it by hand and put ferretdb on PATH"
  build="$(mktemp -d)"
  cp -r "$src/." "$build/" && chmod -R u+w "$build"
  echo "$FERRETDB_VERSION" > "$build/build/version/version.txt"
  for patch in "$ROOT"/infra/ferretdb/*.patch; do
    patch -s -p1 -d "$build" < "$patch" || { rm -rf "$build"; die "applying $patch to FerretDB $FERRETDB_VERSION failed"; }
  done
  mkdir -p "$LOCAL_DIR/bin"
  (cd "$build" && go build -o "$OUR_FERRETDB" ./cmd/ferretdb) >&2 \
    || { rm -rf "$build"; die "building FerretDB failed; install it by hand and put ferretdb on PATH"; }
  rm -rf "$build"
  ferretdb_build_id > "$OUR_FERRETDB.build"
}

# The ferretdb to run: ours (built when missing or out of date), else one on PATH.
ferretdb_bin() {
  if our_ferretdb_current; then echo "$OUR_FERRETDB"; return 0; fi
  if command -v go >/dev/null 2>&1; then
    install_ferretdb
    our_ferretdb_current && { echo "$OUR_FERRETDB"; return 0; }
    die "the FerretDB just built does not run: $OUR_FERRETDB --version"
  fi
  if command -v ferretdb >/dev/null 2>&1 && ferretdb --version >/dev/null 2>&1; then
    log "warning: using $(command -v ferretdb) without infra/ferretdb patches: device lookups will scan (install Go to build ours)"
    command -v ferretdb; return 0
  fi
  die "no database available. Install MongoDB (mongod on PATH), or Go (apt-get install -y golang) so this script can build FerretDB, or set MONGODB_URI to an existing MongoDB."
}

start() {
  if [ -n "${MONGODB_URI:-}" ]; then log "MONGODB_URI is set: using that database, starting none"; return 0; fi
  if pid_alive "$PID_FILE"; then log "already running on 127.0.0.1:$PORT"; return 0; fi
  if ! wait_ports_free 30 "$PORT"; then die "port $PORT is in use by another process; set LOCAL_DB_PORT or MONGODB_URI in .env"; fi
  mkdir -p "$DB_DIR/data"
  if command -v mongod >/dev/null 2>&1; then
    log "starting mongod on 127.0.0.1:$PORT"
    setsid mongod --dbpath "$DB_DIR/data" --bind_ip 127.0.0.1 --port "$PORT" \
      >> "$DB_DIR/server.log" 2>&1 < /dev/null &
  else
    local bin
    bin="$(ferretdb_bin)"
    log "starting FerretDB (SQLite) on 127.0.0.1:$PORT"
    setsid "$bin" --handler=sqlite --sqlite-url="file:$DB_DIR/data/" --listen-addr="127.0.0.1:$PORT" \
      --debug-addr=- --telemetry=disable --log-level=warn --state-dir="$DB_DIR" \
      >> "$DB_DIR/server.log" 2>&1 < /dev/null &
  fi
  echo $! > "$PID_FILE"
  if ! wait_until 30 "database on 127.0.0.1:$PORT" port_open 127.0.0.1 "$PORT"; then
    tail -n 20 "$DB_DIR/server.log" >&2 || true
    die "the database did not start within 30 s; log in $DB_DIR/server.log"
  fi
}

stop() {
  if ! pid_alive "$PID_FILE"; then log "not running"; rm -f "$PID_FILE"; return 0; fi
  local pid; pid="$(cat "$PID_FILE")"
  log "stopping (pid $pid)"
  kill "$pid"
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  rm -f "$PID_FILE"
  log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) [ -n "${MONGODB_URI:-}" ] || pid_alive "$PID_FILE" ;;
  uri) if [ -n "${MONGODB_URI:-}" ]; then echo "$MONGODB_URI"; else uri; fi ;;
  *) echo "usage: $0 start|stop|status|uri" >&2; exit 2 ;;
esac
