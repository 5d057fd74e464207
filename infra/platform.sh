#!/usr/bin/env bash
# `npm start`: the whole platform in the foreground. Sets up what is missing,
# starts the broker and the database (unless already running), builds and runs
# both apps, prints the URLs, and on Ctrl-C/SIGTERM stops everything it started.
LOG_TAG=platform
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

bash infra/setup.sh
load_env

# One `npm start` at a time: a restart right after Ctrl-C waits here until the previous one
# has stopped everything it started (else it could find the old broker still stopping, take
# it for running, and lose it a moment later). Children must not inherit the lock (9>&-).
mkdir -p "$LOCAL_DIR"
exec 9>"$LOCAL_DIR/platform.lock"
if ! flock -n 9; then
  log "another npm start is still running or stopping; waiting up to 60 s for it"
  flock -w 60 9 || die "another npm start is still running (lock $LOCAL_DIR/platform.lock)"
fi

started_broker=0 started_db=0 pids=()
cleanup() {
  # A supervisor signals the whole process group, and npm passes the signal on once more:
  # ignore repeats (and a closed stderr) so the clean-up always gets to stop the database.
  trap '' INT TERM PIPE
  trap - EXIT
  set +e
  log "stopping"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ "$started_db" = 1 ] && bash infra/database.sh stop 9>&-
  [ "$started_broker" = 1 ] && bash infra/broker.sh stop 9>&-
  log "stopped everything this command started"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! bash infra/broker.sh status 9>&-; then started_broker=1; fi
bash infra/broker.sh start 9>&-
if [ "${BROKER_CLUSTER_SIZE:-1}" -gt 1 ]; then
  # Both apps reach every node, and the shard queues are replicated.
  AMQP_URLS="$(bash infra/broker.sh urls 9>&-)"; export AMQP_URLS
  export DEVICE_COMMAND_QUEUE_TYPE=quorum
fi
if [ -z "${MONGODB_URI:-}" ] && ! bash infra/database.sh status 9>&-; then started_db=1; fi
bash infra/database.sh start 9>&-
# The apps' default URI does not know LOCAL_DB_PORT: hand them the database's URI.
export MONGODB_URI="${MONGODB_URI:-$(bash infra/database.sh uri)}"

log "building the apps"
wait_ports_free 30 "${PORT:-8443}" || die "port ${PORT:-8443} is in use by another process; set PORT in .env"
[ "${BROKER_AUTH_PORT:-8089}" = 0 ] || wait_ports_free 30 "${BROKER_AUTH_PORT:-8089}" \
  || die "port ${BROKER_AUTH_PORT:-8089} is in use by another process; set BROKER_AUTH_PORT in .env"
# Only what changed since the last build (a restart then takes seconds, not a minute).
for app in device-command api-gateway device-simulator; do
  main="dist/apps/$app/apps/$app/src/main.js"
  if [ -f "$main" ] && [ -z "$(find "apps/$app" libs tsconfig.json package-lock.json -newer "$main" -print -quit)" ]; then
    continue
  fi
  node_modules/.bin/nest build "$app" >&2 9>&-
done

node dist/apps/device-command/apps/device-command/src/main.js 9>&- & pids+=($!)
node dist/apps/api-gateway/apps/api-gateway/src/main.js 9>&- & pids+=($!)

scheme=https; [[ "${HTTPS:-true}" =~ ^(false|0|no)$ ]] && scheme=http
base="$scheme://localhost:${PORT:-8443}"
healthy() { curl -sf --cacert "${CERTS_DIR:-certs}/rootca.pem" "$base/health" >/dev/null; }
if ! wait_until 60 "platform" healthy; then
  log "the platform did not become healthy within 60 s; see the logs above ($base/health)"
else
  # The demo: a user, a registered device, and a simulated board running it.
  demo_file="$(node_modules/.bin/ts-node --transpile-only scripts/demo-setup.ts)" || die "demo set-up failed"
  node dist/apps/device-simulator/apps/device-simulator/src/main.js --transport mqtt --device "$demo_file" 9>&- & pids+=($!)
  cat >&2 <<MSG

  IoTCloud is up.
    REST API     $base
    Swagger UI   $base/api/docs
    Health       $base/health
    MQTT (TLS)   mqtts://${PUBLIC_HOST:-localhost}:${MQTT_PORT:-8883}
    AMQP (TLS)   amqps://${PUBLIC_HOST:-localhost}:${AMQP_PORT:-5671}
    CA           ${CERTS_DIR:-certs}/rootca.pem   (e.g. curl --cacert ${CERTS_DIR:-certs}/rootca.pem $base/health)

  Demo: user "${DEMO_USER:-demo}" (password ${DEMO_PASSWORD}, from .env) owns "demo-lamp", a simulated board now online.
    1. In Swagger UI, POST /auth/login with {"username":"${DEMO_USER:-demo}","password":"${DEMO_PASSWORD}"},
       then press Authorize and paste the accessToken.
    2. PUT /devices/demo-lamp/gpio/3 with {"value":1}, then GET /devices/demo-lamp/gpio/3.
    Or from the shell: npm run cli -- login ${DEMO_USER:-demo} && npm run cli -- demo demo-lamp
  Press Ctrl-C to stop.

MSG
fi
# Stay in the foreground until an app exits or we are told to stop.
wait -n "${pids[@]}" || true
log "an app exited; shutting down"
