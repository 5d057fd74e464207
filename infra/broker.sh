#!/usr/bin/env bash
# The project-local RabbitMQ node: its own config, node name, data, logs and
# ports under .local/rabbitmq, so it never clashes with a system broker.
#   infra/broker.sh start    install if missing (root), start, wait, reconcile accounts
#   infra/broker.sh stop     stop this node (only this node)
#   infra/broker.sh status   exit 0 when running
LOG_TAG=broker
source "$(dirname "$0")/lib.sh"
load_env

NODE="${BROKER_NODE_NAME:-iotcloud@localhost}"
AMQP_PORT="${AMQP_PORT:-5671}"
MQTT_PORT="${MQTT_PORT:-8883}"
MANAGEMENT_PORT="${BROKER_MANAGEMENT_PORT:-15671}"
DIST_PORT="${BROKER_DIST_PORT:-25671}"
CERTS_DIR="$ROOT/${CERTS_DIR:-certs}"
# A second, independent node (e.g. for benchmarks) only needs its own BROKER_DATA_DIR, name and ports.
BROKER_DIR="${BROKER_DATA_DIR:-$LOCAL_DIR/rabbitmq}"
TLS_DIR="$BROKER_DIR/tls"
RMQ_BIN=/usr/lib/rabbitmq/bin
PLUGINS="rabbitmq_management rabbitmq_mqtt rabbitmq_auth_mechanism_ssl rabbitmq_auth_backend_http rabbitmq_auth_backend_cache"
# Metrics for Prometheus (issue 13): its own plugin and loopback port.
PLUGINS="$PLUGINS rabbitmq_prometheus"
PROMETHEUS_PORT="${BROKER_PROMETHEUS_PORT:-15692}"
AUTH_URL="http://${BROKER_AUTH_HOST:-127.0.0.1}:${BROKER_AUTH_PORT:-8089}/broker-auth"
AUTH_CACHE_TTL_MS="${BROKER_AUTH_CACHE_TTL_MS:-2000}"

# Runs a RabbitMQ tool as the broker's user, with this node's environment only.
as_broker() {
  local envs=(
    "HOME=$BROKER_DIR/home" "PATH=/usr/bin:/bin:/usr/sbin:/sbin" "LANG=C.UTF-8"
    "RABBITMQ_NODENAME=$NODE" "RABBITMQ_DIST_PORT=$DIST_PORT"
    "RABBITMQ_CONF_ENV_FILE=$BROKER_DIR/rabbitmq-env.conf"
    "RABBITMQ_CONFIG_FILE=$BROKER_DIR/rabbitmq.conf"
    "RABBITMQ_ADVANCED_CONFIG_FILE=$BROKER_DIR/advanced.config"
    "RABBITMQ_ENABLED_PLUGINS_FILE=$BROKER_DIR/enabled_plugins"
    "RABBITMQ_MNESIA_BASE=$BROKER_DIR/mnesia" "RABBITMQ_LOG_BASE=$BROKER_DIR/log"
    "RABBITMQ_PID_FILE=$BROKER_DIR/rabbitmq.pid"
  )
  if is_root; then runuser -u rabbitmq -- env -i "${envs[@]}" "$@"; else env -i "${envs[@]}" "$@"; fi
}
ctl() { as_broker "$RMQ_BIN/rabbitmqctl" -n "$NODE" "$@"; }

running() { ctl status >/dev/null 2>&1; }

install_if_missing() {
  [ -x "$RMQ_BIN/rabbitmq-server" ] && return 0
  if is_root; then
    log "rabbitmq-server is not installed; installing it with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # policy-rc.d keeps the package from starting the system-wide broker.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
  else
    die "rabbitmq-server is not installed. Run: sudo apt-get install -y rabbitmq-server"
  fi
}

render_config() {
  local tls_key_owner="rabbitmq"
  mkdir -p "$BROKER_DIR"/{home,mnesia,log} "$TLS_DIR"
  for f in rootca.pem server_cert.pem server_pkey.pem; do
    [ -f "$CERTS_DIR/$f" ] || die "missing $CERTS_DIR/$f; run: npm run certs"
  done
  # The broker's own copies of the TLS files; its key readable by the broker user only.
  install -m 0644 "$CERTS_DIR/rootca.pem" "$CERTS_DIR/server_cert.pem" "$TLS_DIR/"
  install -m 0600 "$CERTS_DIR/server_pkey.pem" "$TLS_DIR/server_pkey.pem"
  : "${BROKER_ADMIN_USER:?BROKER_ADMIN_USER is not set; run: npm run setup}"
  : "${BROKER_ADMIN_PASSWORD:?BROKER_ADMIN_PASSWORD is not set; run: npm run setup}"
  sed -e "s|@AMQP_PORT@|$AMQP_PORT|; s|@MQTT_PORT@|$MQTT_PORT|; s|@MANAGEMENT_PORT@|$MANAGEMENT_PORT|" \
      -e "s|@AUTH_URL@|$AUTH_URL|g; s|@AUTH_CACHE_TTL_MS@|$AUTH_CACHE_TTL_MS|" \
      -e "s|@TLS_DIR@|$TLS_DIR|g; s|@ADMIN_USER@|$BROKER_ADMIN_USER|; s|@ADMIN_PASSWORD@|$BROKER_ADMIN_PASSWORD|" \
      -e "s|@PROMETHEUS_PORT@|$PROMETHEUS_PORT|" \
      "$ROOT/infra/rabbitmq/rabbitmq.conf.template" > "$BROKER_DIR/rabbitmq.conf"
  chmod 600 "$BROKER_DIR/rabbitmq.conf"
  sed -e "s|@TLS_DIR@|$TLS_DIR|g" "$ROOT/infra/rabbitmq/advanced.config.template" > "$BROKER_DIR/advanced.config"
  # Sourced by rabbitmq-server as the broker user, after runuser's PAM session has
  # reset the soft open-files limit to 1,024, which stops the node at ~800 device
  # connections: raise it there (to the hard limit when 65,536 is above it).
  echo 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true' > "$BROKER_DIR/rabbitmq-env.conf"
  echo "[$(echo $PLUGINS | sed 's/ /,/g')]." > "$BROKER_DIR/enabled_plugins"
  if [ ! -f "$BROKER_DIR/home/.erlang.cookie" ]; then
    openssl rand -hex 20 | tr -d '\n' > "$BROKER_DIR/home/.erlang.cookie"
  fi
  chmod 400 "$BROKER_DIR/home/.erlang.cookie"
  if is_root; then chown -R "$tls_key_owner:$tls_key_owner" "$BROKER_DIR"; fi
  # The node must be able to reach its files through the project path.
  local dir="$BROKER_DIR"
  while [ "$dir" != "/" ]; do
    if is_root && ! runuser -u rabbitmq -- test -x "$dir"; then
      die "the rabbitmq user cannot enter $dir; make it world-executable (chmod o+x)"
    fi
    dir="$(dirname "$dir")"
  done
}

# Idempotent: creates or updates each service account and grants only what it needs.
reconcile_accounts() {
  local user pass
  ensure_user() {
    user="$1"; pass="$2"; shift 2
    if ctl list_users --silent | cut -f1 | grep -qx "$user"; then
      ctl change_password "$user" "$pass" >/dev/null
    else
      ctl add_user "$user" "$pass" >/dev/null
    fi
  }
  # A service account has no password: it logs in only with SASL EXTERNAL, i.e. with its
  # client certificate, since the listeners also admit certificate-less connections for devices'
  # password logins (docs/security.md). Its name is what the broker derives from that certificate
  # (ssl_cert_login_from = distinguished_name): the whole subject, "CN=svc.<service>"
  # (libs/pki serviceBrokerUsername).
  ensure_certificate_only_user() {
    ctl list_users --silent | cut -f1 | grep -qx "$1" || ctl add_user "$1" "$(openssl rand -hex 32)" >/dev/null
    ctl clear_password "$1" >/dev/null
  }
  ensure_user "$BROKER_ADMIN_USER" "$BROKER_ADMIN_PASSWORD"
  ctl set_user_tags "$BROKER_ADMIN_USER" administrator >/dev/null
  # Management API only: no vhost access, so its password opens no AMQP or MQTT connection.
  ctl clear_permissions -p / "$BROKER_ADMIN_USER" >/dev/null
  # The gateway only talks to device-command through the RPC queue and its reply-to.
  ensure_certificate_only_user CN=svc.api-gateway
  ctl set_permissions -p / CN=svc.api-gateway '^(amq\.gen-.*|amq\.rabbitmq\.reply-to.*|device-command.*)$' '^(amq\.default|device-command.*)$' '^(amq\.gen-.*|device-command.*)$' >/dev/null
  # device-command relays to devices on amq.topic and owns its queues.
  ensure_certificate_only_user CN=svc.device-command
  ctl set_permissions -p / CN=svc.device-command '^(amq\.gen-.*|device-command.*|mqtt-subscription-.*)$' '^(amq\.default|amq\.topic|amq\.gen-.*|device-command.*|mqtt-subscription-.*)$' '^(amq\.default|amq\.topic|amq\.gen-.*|device-command.*|mqtt-subscription-.*)$' >/dev/null
  # No guest, anywhere; nor the password accounts the services used before they logged in by
  # certificate, nor the accounts named after the bare CN (before the broker took the whole subject).
  for user in guest iotcloud-gateway iotcloud-device-command svc.api-gateway svc.device-command; do
    if ctl list_users --silent | cut -f1 | grep -qx "$user"; then ctl delete_user "$user" >/dev/null; fi
  done
}

start() {
  install_if_missing
  if running; then log "node $NODE is already running"; reconcile_accounts; return 0; fi
  for port in "$AMQP_PORT" "$MQTT_PORT" "$MANAGEMENT_PORT" "$DIST_PORT"; do
    if port_open 127.0.0.1 "$port"; then
      die "port $port is in use by another process; set AMQP_PORT/MQTT_PORT/BROKER_MANAGEMENT_PORT/BROKER_DIST_PORT in .env"
    fi
  done
  render_config
  log "starting node $NODE (AMQPS :$AMQP_PORT, MQTTS :$MQTT_PORT, management https://127.0.0.1:$MANAGEMENT_PORT)"
  as_broker setsid "$RMQ_BIN/rabbitmq-server" >> "$BROKER_DIR/log/console.log" 2>&1 < /dev/null &
  if ! wait_until 120 "node $NODE" ctl await_startup --timeout 5; then
    tail -n 40 "$BROKER_DIR/log/console.log" >&2 || true
    die "the broker did not start within 120 s; logs in $BROKER_DIR/log"
  fi
  wait_until 30 "AMQPS listener :$AMQP_PORT" port_open 127.0.0.1 "$AMQP_PORT" || die "AMQPS port $AMQP_PORT never opened"
  wait_until 30 "MQTTS listener :$MQTT_PORT" port_open 127.0.0.1 "$MQTT_PORT" || die "MQTTS port $MQTT_PORT never opened"
  wait_until 30 "management API :$MANAGEMENT_PORT" port_open 127.0.0.1 "$MANAGEMENT_PORT" || die "management port $MANAGEMENT_PORT never opened"
  reconcile_accounts
}

stop() {
  if ! running; then log "node $NODE is not running"; return 0; fi
  log "stopping node $NODE"
  ctl stop "$BROKER_DIR/rabbitmq.pid" >/dev/null 2>&1 || ctl stop >/dev/null
  log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) running ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
