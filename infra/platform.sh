#!/usr/bin/env bash
# `npm start`: the whole platform in the foreground. Sets up what is missing,
# starts the broker and the database (unless already running), builds and runs
# both apps, prints the URLs, and on Ctrl-C/SIGTERM stops everything it started.
LOG_TAG=platform
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

bash infra/setup.sh
load_env

started_broker=0 started_db=0 pids=()
cleanup() {
  trap - INT TERM EXIT
  log "stopping"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ "$started_db" = 1 ] && bash infra/database.sh stop
  [ "$started_broker" = 1 ] && bash infra/broker.sh stop
  log "stopped everything this command started"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! bash infra/broker.sh status; then started_broker=1; fi
bash infra/broker.sh start
if [ "${BROKER_CLUSTER_SIZE:-1}" -gt 1 ]; then
  # Both apps reach every node, and the shard queues are replicated.
  AMQP_URLS="$(bash infra/broker.sh urls)"; export AMQP_URLS
  export DEVICE_COMMAND_QUEUE_TYPE=quorum
fi
if [ -z "${MONGODB_URI:-}" ] && ! bash infra/database.sh status; then started_db=1; fi
bash infra/database.sh start

log "building the apps"
for app in device-command api-gateway device-simulator; do node_modules/.bin/nest build "$app" >&2; done

node dist/apps/device-command/apps/device-command/src/main.js & pids+=($!)
node dist/apps/api-gateway/apps/api-gateway/src/main.js & pids+=($!)

scheme=https; [[ "${HTTPS:-true}" =~ ^(false|0|no)$ ]] && scheme=http
base="$scheme://localhost:${PORT:-8443}"
healthy() { curl -sf --cacert "${CERTS_DIR:-certs}/rootca.pem" "$base/health" >/dev/null; }
if ! wait_until 60 "platform" healthy; then
  log "the platform did not become healthy within 60 s; see the logs above ($base/health)"
else
  # The demo: a user, a registered device, and a simulated board running it.
  demo_file="$(node_modules/.bin/ts-node --transpile-only scripts/demo-setup.ts)" || die "demo set-up failed"
  node dist/apps/device-simulator/apps/device-simulator/src/main.js --transport mqtt --device "$demo_file" & pids+=($!)
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
