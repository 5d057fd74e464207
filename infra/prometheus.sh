#!/usr/bin/env bash
# A local Prometheus (Debian's `prometheus` package) scraping the gateway, device-command
# and the broker on loopback, with the ports from .env. For a look at the metrics while
# developing, and for the e2e check that the metric names and dashboard queries are right.
#   infra/prometheus.sh install   install the package if missing (root), nothing else
#   infra/prometheus.sh run       install if missing, then run in the foreground (Ctrl-C stops it)
# It listens on 127.0.0.1:PROMETHEUS_PORT and keeps its data in .local/prometheus (wiped at start).
LOG_TAG=prometheus
source "$(dirname "$0")/lib.sh"
load_env

PORT="${PROMETHEUS_PORT:-9090}"
DIR="${PROMETHEUS_DATA_DIR:-$LOCAL_DIR/prometheus}"

install_if_missing() {
  command -v prometheus >/dev/null && return 0
  is_root || die "prometheus is not installed. Run: sudo apt-get install -y --no-install-recommends prometheus"
  log "prometheus is not installed; installing it with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # --no-install-recommends: no node exporter; policy-rc.d (if any) keeps the system service from starting.
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
    prometheus >/dev/null
}

run() {
  install_if_missing
  port_open 127.0.0.1 "$PORT" && die "port $PORT is in use; set PROMETHEUS_PORT in .env"
  rm -rf "$DIR" && mkdir -p "$DIR/data"
  sed -e "s|@SCRAPE_INTERVAL@|${PROMETHEUS_SCRAPE_INTERVAL:-1s}|g" \
      -e "s|@METRICS_HOST@|${METRICS_HOST:-127.0.0.1}|; s|@METRICS_PORT@|${METRICS_PORT:-9464}|" \
      -e "s|@DEVICE_COMMAND_HTTP_HOST@|${DEVICE_COMMAND_HTTP_HOST:-127.0.0.1}|" \
      -e "s|@DEVICE_COMMAND_HTTP_PORT@|${DEVICE_COMMAND_HTTP_PORT:-9465}|" \
      -e "s|@BROKER_PROMETHEUS_PORT@|${BROKER_PROMETHEUS_PORT:-15692}|" \
      "$ROOT/infra/prometheus/prometheus.yml.template" > "$DIR/prometheus.yml"
  log "Prometheus on http://127.0.0.1:$PORT (config $DIR/prometheus.yml)"
  exec prometheus --config.file="$DIR/prometheus.yml" --storage.tsdb.path="$DIR/data" \
    --web.listen-address="127.0.0.1:$PORT" --log.level=warn
}

case "${1:-}" in
  install) install_if_missing ;;
  run) run ;;
  *) echo "usage: $0 install|run" >&2; exit 2 ;;
esac
