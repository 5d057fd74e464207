#!/usr/bin/env bash
# The project-local RabbitMQ node: its own config, node name, data, logs and
# ports under .local/rabbitmq, so it never clashes with a system broker.
#   infra/broker.sh start [--cluster N]   install if missing (root), start, wait, reconcile accounts
#   infra/broker.sh stop                  stop this checkout's nodes (standalone and cluster), only those
#   infra/broker.sh stop --cluster N --node I   stop node I of the cluster only (e.g. to test a lost node)
#   infra/broker.sh status [--cluster N]  exit 0 when running
#   infra/broker.sh urls [--cluster N]    the AMQPS addresses of the node(s), comma-separated (AMQP_URLS)
#
# A cluster (--cluster N or BROKER_CLUSTER_SIZE=N, N > 1) is N local nodes joined at start:
# node 1 keeps BROKER_NODE_NAME and the .env ports, node i is <name>-i@<host> with every port
# + 10 * (i - 1); their data is under <data dir>-cluster/node<i>, apart from the standalone node's.
#
# Which RabbitMQ (BROKER_RUNTIME): `auto` (default) runs the system's rabbitmq-server
# when it is 3.13 or newer (native MQTT, MQTT 5), and otherwise Debian 13's RabbitMQ 4.0
# from a minimal Debian 13 root under .local/debian13, built once with debootstrap and
# run with chroot as the root's rabbitmq user; `system` forces the system's package
# (e.g. Debian 12's 3.10, for comparisons: give it its own BROKER_DATA_DIR); `debian13`
# forces the root.
LOG_TAG=broker
source "$(dirname "$0")/lib.sh"
load_env

CLUSTER_SIZE="${BROKER_CLUSTER_SIZE:-1}"
ONLY_NODE=""
COMMAND="${1:-}"
[ $# -gt 0 ] && shift
while [ $# -gt 0 ]; do
  case "$1" in
    --cluster) CLUSTER_SIZE="${2:-}"; shift 2 || die "--cluster needs a number" ;;
    --node) ONLY_NODE="${2:-}"; shift 2 || die "--node needs a number" ;;
    *) die "unknown option $1" ;;
  esac
done
[[ "$CLUSTER_SIZE" =~ ^[1-9]$ ]] || die "the cluster size must be 1 to 9 (got '$CLUSTER_SIZE')"

BASE_NODE="${BROKER_NODE_NAME:-iotcloud@localhost}"
BASE_AMQP_PORT="${AMQP_PORT:-5671}"
BASE_MQTT_PORT="${MQTT_PORT:-8883}"
BASE_MANAGEMENT_PORT="${BROKER_MANAGEMENT_PORT:-15671}"
BASE_DIST_PORT="${BROKER_DIST_PORT:-25671}"
BASE_PROMETHEUS_PORT="${BROKER_PROMETHEUS_PORT:-15692}"
CERTS_DIR="$ROOT/${CERTS_DIR:-certs}"
# A second, independent node (e.g. for benchmarks) only needs its own BROKER_DATA_DIR, name and ports.
BASE_DIR="${BROKER_DATA_DIR:-$LOCAL_DIR/rabbitmq}"

# Sets NODE, the ports and BROKER_DIR of node $1 (1-based) of a cluster of $2 (default CLUSTER_SIZE).
select_node() {
  local i="$1" size="${2:-$CLUSTER_SIZE}" step=$((10 * ($1 - 1)))
  if [ "$size" = 1 ]; then BROKER_DIR="$BASE_DIR"; else BROKER_DIR="$BASE_DIR-cluster/node$i"; fi
  if [ "$i" = 1 ]; then NODE="$BASE_NODE"; else NODE="${BASE_NODE%@*}-$i@${BASE_NODE#*@}"; fi
  AMQP_PORT=$((BASE_AMQP_PORT + step)) MQTT_PORT=$((BASE_MQTT_PORT + step))
  MANAGEMENT_PORT=$((BASE_MANAGEMENT_PORT + step)) DIST_PORT=$((BASE_DIST_PORT + step))
  PROMETHEUS_PORT=$((BASE_PROMETHEUS_PORT + step))
  TLS_DIR="$BROKER_DIR/tls"
}
select_node 1
RMQ_BIN=/usr/lib/rabbitmq/bin
PLUGINS="rabbitmq_management rabbitmq_mqtt rabbitmq_auth_mechanism_ssl rabbitmq_auth_backend_http rabbitmq_auth_backend_cache"
# Device presence: connection.created/closed events on amq.rabbitmq.event (shipped with 3.x and 4.x).
PLUGINS="$PLUGINS rabbitmq_event_exchange"
# Metrics for Prometheus (issue 13): its own plugin and loopback port.
PLUGINS="$PLUGINS rabbitmq_prometheus"
AUTH_URL="http://${BROKER_AUTH_HOST:-127.0.0.1}:${BROKER_AUTH_PORT:-8089}/broker-auth"
AUTH_CACHE_TTL_MS="${BROKER_AUTH_CACHE_TTL_MS:-2000}"
RUNTIME="${BROKER_RUNTIME:-auto}"
# The Debian 13 root, shared by every node of this checkout.
ROOTFS="$LOCAL_DIR/debian13"

broker_version() { if [ "$RUNTIME" = debian13 ]; then root_version; else system_version; fi; }
system_version() { dpkg-query -W -f '${Version}' rabbitmq-server 2>/dev/null | sed 's/^[0-9]*://'; }

case "$RUNTIME" in
  auto)
    version="$(system_version || true)"
    if [ -x "$RMQ_BIN/rabbitmq-server" ] && [ -n "$version" ] && dpkg --compare-versions "$version" ge 3.13; then
      RUNTIME=system
    else
      RUNTIME=debian13
    fi ;;
  system|debian13) ;;
  *) die "BROKER_RUNTIME must be auto, system or debian13 (got '$RUNTIME')" ;;
esac

# The broker's user and group inside the root (numeric, as the host sees its files).
broker_owner() {
  if [ "$RUNTIME" = debian13 ]; then
    echo "$(chroot "$ROOTFS" /usr/bin/id -u rabbitmq):$(chroot "$ROOTFS" /usr/bin/id -g rabbitmq)"
  else
    echo rabbitmq:rabbitmq
  fi
}

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
  if [ "$RUNTIME" = debian13 ]; then
    chroot --userspec="$(broker_owner)" "$ROOTFS" /usr/bin/env -i "${envs[@]}" "$@"
  elif is_root; then
    runuser -u rabbitmq -- env -i "${envs[@]}" "$@"
  else
    env -i "${envs[@]}" "$@"
  fi
}
ctl() { as_broker "$RMQ_BIN/rabbitmqctl" -n "$NODE" "$@"; }

# A node runs when its pid file names a live process and its AMQPS port is open, or it
# answers the CLI (which costs seconds of CPU: asked only while it boots).
running() {
  pid_alive "$BROKER_DIR/rabbitmq.pid" || return 1
  port_open 127.0.0.1 "$AMQP_PORT" || ctl status >/dev/null 2>&1
}

# The Debian mirror this machine's apt already uses (one-line .list or deb822 .sources).
debian_mirror() {
  local f uri
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri="$(awk '
      /^[[:space:]]*#/ { next }
      /^deb[[:space:]]/ { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i ~ /:\/\//) { print $i; exit } }
      /^URIs:/ { print $2; exit }' "$f" | grep -E '/debian/?$' | head -n1 || true)"
    if [ -n "$uri" ]; then echo "${uri%/}"; return 0; fi
  done
  return 1
}

# Debian 13 minbase + rabbitmq-server, built into a temporary folder and renamed when
# complete, so an interrupted build starts over. ~2 minutes and ~500 MB, once.
build_root() {
  is_root || die "building the Debian 13 root for RabbitMQ 4 needs root (or install rabbitmq-server >= 3.13 and set BROKER_RUNTIME=system)"
  local mirror tmp="$ROOTFS.partial" started=$SECONDS
  mirror="$(debian_mirror)" || die "no Debian mirror found in /etc/apt/sources.list*"
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null \
      || { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  fi
  log "building a Debian 13 root for RabbitMQ 4 in $ROOTFS from $mirror (once, about 2 minutes)"
  rm -rf "$tmp"; mkdir -p "$tmp"
  debootstrap --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg trixie "$tmp" "$mirror" 2>&1 \
    | awk '/^I: Retrieving/ { n++; if (n % 25 == 0) { printf "[broker] debootstrap: %d packages downloaded\n", n; fflush() } next }
           /^I: (Validating|Extracting|Unpacking|Configuring|Retrieving) / { next }
           { print "[broker] debootstrap: " $0; fflush() }' >&2
  [ "${PIPESTATUS[0]}" = 0 ] || die "debootstrap failed; see above"
  log "Debian 13 base system ready after $((SECONDS - started)) s; installing rabbitmq-server in it"
  # Package scripts must not start a broker inside the root. ca-certificates: Erlang 27's
  # httpc loads the OS CA store on every request, even plain HTTP (the auth backend's),
  # and fails each one without it.
  printf '#!/bin/sh\nexit 101\n' > "$tmp/usr/sbin/policy-rc.d"; chmod 755 "$tmp/usr/sbin/policy-rc.d"
  chroot "$tmp" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends rabbitmq-server ca-certificates >/dev/null && apt-get clean' >&2 \
    || die "installing rabbitmq-server in the Debian 13 root failed; see above"
  mv "$tmp" "$ROOTFS"
  log "RabbitMQ $(root_version) ready in $ROOTFS after $((SECONDS - started)) s"
}
root_version() { chroot "$ROOTFS" dpkg-query -W -f '${Version}' rabbitmq-server | sed 's/^[0-9]*://'; }

install_if_missing() {
  if [ "$RUNTIME" = debian13 ]; then
    [ -x "$ROOTFS$RMQ_BIN/rabbitmq-server" ] || build_root
    return 0
  fi
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

# In the root, the node's folder appears at the same path as outside (a bind mount),
# so every path in its config means the same file on both sides.
mount_into_root() {
  [ "$RUNTIME" = debian13 ] || return 0
  mkdir -p "$ROOTFS$BROKER_DIR"
  mountpoint -q "$ROOTFS$BROKER_DIR" || mount --bind "$BROKER_DIR" "$ROOTFS$BROKER_DIR"
  # Erlang's memory monitor reads /proc/meminfo.
  mountpoint -q "$ROOTFS/proc" || mount -t proc proc "$ROOTFS/proc"
}
unmount_from_root() {
  [ "$RUNTIME" = debian13 ] || return 0
  if mountpoint -q "$ROOTFS$BROKER_DIR"; then umount "$ROOTFS$BROKER_DIR" || umount -l "$ROOTFS$BROKER_DIR"; fi
}

render_config() {
  local cached_backend=http erl_args=""
  if certlogin_shim_needed; then
    cached_backend=rabbit_auth_backend_http_certlogin erl_args="-pa $BROKER_DIR/ebin"
  fi
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
      -e "s|@AUTH_URL@|$AUTH_URL|g; s|@AUTH_CACHE_TTL_MS@|$AUTH_CACHE_TTL_MS|; s|@CACHED_BACKEND@|$cached_backend|" \
      -e "s|@TLS_DIR@|$TLS_DIR|g; s|@ADMIN_USER@|$BROKER_ADMIN_USER|; s|@ADMIN_PASSWORD@|$BROKER_ADMIN_PASSWORD|" \
      -e "s|@PROMETHEUS_PORT@|$PROMETHEUS_PORT|" \
      "$ROOT/infra/rabbitmq/rabbitmq.conf.template" > "$BROKER_DIR/rabbitmq.conf"
  chmod 600 "$BROKER_DIR/rabbitmq.conf"
  sed -e "s|@TLS_DIR@|$TLS_DIR|g" "$ROOT/infra/rabbitmq/advanced.config.template" > "$BROKER_DIR/advanced.config"
  # Sourced by rabbitmq-server as the broker user, after runuser's PAM session has
  # reset the soft open-files limit to 1,024, which stops the node at ~800 device
  # connections: raise it there (to the hard limit when 65,536 is above it).
  echo 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true' > "$BROKER_DIR/rabbitmq-env.conf"
  echo "SERVER_ADDITIONAL_ERL_ARGS=\"$erl_args\"" >> "$BROKER_DIR/rabbitmq-env.conf"
  echo "[$(echo $PLUGINS | sed 's/ /,/g')]." > "$BROKER_DIR/enabled_plugins"
  if [ "$CLUSTER_SIZE" -gt 1 ]; then
    # Fresh nodes find each other and join at boot; every node needs the same cookie.
    local i names=()
    for i in $(seq 1 "$CLUSTER_SIZE"); do names+=("$(select_node "$i"; echo "$NODE")"); done
    {
      echo "cluster_formation.peer_discovery_backend = classic_config"
      for i in "${!names[@]}"; do echo "cluster_formation.classic_config.nodes.$((i + 1)) = ${names[$i]}"; done
    } >> "$BROKER_DIR/rabbitmq.conf"
    local first_cookie="$BASE_DIR-cluster/node1/home/.erlang.cookie"
    if [ "$BROKER_DIR" != "$BASE_DIR-cluster/node1" ] && [ -f "$first_cookie" ]; then
      install -m 0400 "$first_cookie" "$BROKER_DIR/home/.erlang.cookie"
    fi
  fi
  if [ ! -f "$BROKER_DIR/home/.erlang.cookie" ]; then
    openssl rand -hex 20 | tr -d '\n' > "$BROKER_DIR/home/.erlang.cookie"
  fi
  chmod 400 "$BROKER_DIR/home/.erlang.cookie"
  if is_root; then chown -R "$(broker_owner)" "$BROKER_DIR"; fi
  mount_into_root
  if certlogin_shim_needed; then
    mkdir -p "$BROKER_DIR/ebin"
    install -m 0644 "$ROOT/infra/rabbitmq/rabbit_auth_backend_http_certlogin.erl" "$BROKER_DIR/ebin/"
    if is_root; then chown -R "$(broker_owner)" "$BROKER_DIR/ebin"; fi
    as_broker erlc -o "$BROKER_DIR/ebin" "$BROKER_DIR/ebin/rabbit_auth_backend_http_certlogin.erl" >/dev/null \
      || die "could not compile infra/rabbitmq/rabbit_auth_backend_http_certlogin.erl"
  fi
  # The node must be able to reach its files through the project path.
  local dir="$BROKER_DIR"
  while [ "$RUNTIME" = system ] && [ "$dir" != "/" ]; do
    if is_root && ! runuser -u rabbitmq -- test -x "$dir"; then
      die "the rabbitmq user cannot enter $dir; make it world-executable (chmod o+x)"
    fi
    dir="$(dirname "$dir")"
  done
}

# RabbitMQ 3.12-4.0 sends certificate logins to the HTTP backend as "password=none"
# (infra/rabbitmq/rabbit_auth_backend_http_certlogin.erl says why that matters).
certlogin_shim_needed() {
  local version
  version="$(broker_version)"
  dpkg --compare-versions "$version" ge 3.12 && dpkg --compare-versions "$version" lt 4.1
}

# The management API as the administrator; prints the HTTP status. Credentials and body
# go through stdin and a pipe, never the command line.
mgmt() {
  local method="$1" path="$2" body="${3:-}"
  printf 'user = "%s:%s"\n' "$BROKER_ADMIN_USER" "$BROKER_ADMIN_PASSWORD" \
    | curl -sS -o /dev/null -w '%{http_code}' -K - --max-time 30 --cacert "$TLS_DIR/rootca.pem" \
        -X "$method" -H 'content-type: application/json' --data-binary @<(printf '%s' "$body") \
        "https://127.0.0.1:$MANAGEMENT_PORT/api$path"
}
json_string() { local v="${1//\\/\\\\}"; printf '"%s"' "${v//\"/\\\"}"; }

# Idempotent: creates or updates each service account and grants only what it needs.
# Through the management API (a CLI call costs seconds of CPU each); through rabbitmqctl
# when the API refuses the administrator (e.g. BROKER_ADMIN_PASSWORD changed in .env).
reconcile_accounts() {
  local gw_perms=('^(amq\.gen-.*|amq\.rabbitmq\.reply-to.*|device-command.*|iotcloud\..*)$' '^(amq\.default|amq\.gen-.*|device-command.*|iotcloud\..*)$' '^(amq\.gen-.*|device-command.*|iotcloud\..*|amq\.rabbitmq\.event)$')
  local dc_perms=('^(amq\.gen-.*|device-command.*|mqtt-subscription-.*)$' '^(amq\.default|amq\.topic|amq\.gen-.*|device-command.*|mqtt-subscription-.*)$' '^(amq\.default|amq\.topic|amq\.gen-.*|device-command.*|mqtt-subscription-.*|amq\.rabbitmq\.event)$')
  if [ "$(mgmt GET /whoami)" = 200 ]; then
    local user code
    put_user() {
      code="$(mgmt PUT "/users/$1" "$2")"
      [[ "$code" =~ ^20[14]$ ]] || die "management API: PUT /users/$1 answered $code"
    }
    put_permissions() {
      user="$1"; shift
      code="$(mgmt PUT "/permissions/%2F/$user" "{\"configure\":$(json_string "$1"),\"write\":$(json_string "$2"),\"read\":$(json_string "$3")}")"
      [[ "$code" =~ ^20[14]$ ]] || die "management API: PUT /permissions/%2F/$user answered $code"
    }
    put_user "$BROKER_ADMIN_USER" "{\"password\":$(json_string "$BROKER_ADMIN_PASSWORD"),\"tags\":\"administrator\"}"
    # Management API only: no vhost access, so its password opens no AMQP or MQTT connection.
    code="$(mgmt DELETE "/permissions/%2F/$BROKER_ADMIN_USER")"
    [[ "$code" =~ ^(204|404)$ ]] || die "management API: DELETE /permissions/%2F/$BROKER_ADMIN_USER answered $code"
    # Service accounts have no password (an empty password_hash): they log in only with SASL
    # EXTERNAL, i.e. with their client certificate. Their names are what the broker derives from it
    # (ssl_cert_login_from = distinguished_name): the whole subject, "CN=svc.<service>"
    # (libs/pki serviceBrokerUsername); %3D is "=" in the URL path.
    # The gateway talks to device-command through the RPC queue and its reply-to, owns the platform's
    # iotcloud.* exchanges and queues (events, presence, device-cache invalidations) and reads the
    # broker's connection events (amq.rabbitmq.event).
    put_user CN%3Dsvc.api-gateway '{"password_hash":"","tags":""}'
    put_permissions CN%3Dsvc.api-gateway "${gw_perms[@]}"
    # device-command relays to devices on amq.topic, owns its queues and reads the broker's
    # connection events (amq.rabbitmq.event: a device's reconnection fences its next request).
    put_user CN%3Dsvc.device-command '{"password_hash":"","tags":""}'
    put_permissions CN%3Dsvc.device-command "${dc_perms[@]}"
    # No guest, anywhere; nor the password accounts the services used before they logged in by
    # certificate, nor the accounts named after the bare CN (before the broker took the whole subject).
    for user in guest iotcloud-gateway iotcloud-device-command svc.api-gateway svc.device-command; do
      code="$(mgmt DELETE "/users/$user")"
      [[ "$code" =~ ^(204|404)$ ]] || die "management API: DELETE /users/$user answered $code"
    done
    return 0
  fi
  log "the management API refused $BROKER_ADMIN_USER; reconciling the accounts with rabbitmqctl"
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
  # The gateway talks to device-command through the RPC queue and its reply-to, to the other
  # gateway replicas through its own iotcloud.* exchanges (device-cache invalidations), owns the
  # platform's iotcloud.* exchanges and queues (events fan-out, presence) and reads the broker's
  # connection events (amq.rabbitmq.event).
  ensure_certificate_only_user CN=svc.api-gateway
  ctl set_permissions -p / CN=svc.api-gateway "${gw_perms[@]}" >/dev/null
  # device-command relays to devices on amq.topic, owns its queues and reads the broker's
  # connection events (amq.rabbitmq.event: a device's reconnection fences its next request).
  ensure_certificate_only_user CN=svc.device-command
  ctl set_permissions -p / CN=svc.device-command "${dc_perms[@]}" >/dev/null
  # No guest, anywhere; nor the password accounts the services used before they logged in by
  # certificate, nor the accounts named after the bare CN (before the broker took the whole subject).
  for user in guest iotcloud-gateway iotcloud-device-command svc.api-gateway svc.device-command; do
    if ctl list_users --silent | cut -f1 | grep -qx "$user"; then ctl delete_user "$user" >/dev/null; fi
  done
}

# RabbitMQ 4 boots only on data whose feature flags hold every flag of 3.13 (message_containers
# among them). Data left by an older node (Debian 12's 3.10.8, which this project ran until
# 2026-12) makes 4.0 crash at boot with an "incompatible feature flags" error buried in its log.
# Nothing in it is needed: start re-creates the accounts, the apps re-declare their queues. So
# the selected node's data is moved aside, with a message, and the node starts on fresh data.
move_aside_pre_4_data() {
  local flags="$BROKER_DIR/mnesia/$NODE-feature_flags" version aside
  [ -f "$flags" ] || return 0
  version="$(broker_version)"
  dpkg --compare-versions "$version" ge 4 || return 0
  grep -qw message_containers "$flags" && return 0
  aside="$BROKER_DIR/mnesia.pre-4.0-$(date -u +%Y%m%dT%H%M%SZ)"
  mv "$BROKER_DIR/mnesia" "$aside"
  log "node $NODE: its data in $BROKER_DIR/mnesia was left by RabbitMQ older than 3.13 (its feature flags lack message_containers), which RabbitMQ $version cannot boot on."
  log "moved it to $aside and starting on fresh data (the accounts are re-created; queues are re-declared by the apps). Delete $aside once you no longer need it."
}

# Launches the selected node in the background (config rendered first). A node of this
# checkout stopped a moment ago may still hold its ports: wait for them rather than fail.
launch() {
  if ! wait_ports_free 30 "$AMQP_PORT" "$MQTT_PORT" "$MANAGEMENT_PORT" "$DIST_PORT" "$PROMETHEUS_PORT"; then
    die "a broker port is in use by another process (another node of this checkout? see: infra/broker.sh stop); set AMQP_PORT/MQTT_PORT/BROKER_MANAGEMENT_PORT/BROKER_DIST_PORT/BROKER_PROMETHEUS_PORT in .env"
  fi
  move_aside_pre_4_data
  render_config
  log "starting node $NODE, RabbitMQ $(broker_version) (AMQPS :$AMQP_PORT, MQTTS :$MQTT_PORT, management https://127.0.0.1:$MANAGEMENT_PORT)"
  as_broker setsid "$RMQ_BIN/rabbitmq-server" >> "$BROKER_DIR/log/console.log" 2>&1 < /dev/null &
}

# Waits until the selected node serves all its listeners.
await_node() {
  if ! wait_until 180 "node $NODE" ctl await_startup --timeout 5; then
    tail -n 40 "$BROKER_DIR/log/console.log" >&2 || true
    die "the broker did not start within 180 s; logs in $BROKER_DIR/log"
  fi
  wait_until 30 "AMQPS listener :$AMQP_PORT" port_open 127.0.0.1 "$AMQP_PORT" || die "AMQPS port $AMQP_PORT never opened"
  wait_until 30 "MQTTS listener :$MQTT_PORT" port_open 127.0.0.1 "$MQTT_PORT" || die "MQTTS port $MQTT_PORT never opened"
  wait_until 30 "management API :$MANAGEMENT_PORT" port_open 127.0.0.1 "$MANAGEMENT_PORT" || die "management port $MANAGEMENT_PORT never opened"
}

start() {
  install_if_missing
  local i launched=()
  for i in $(seq 1 "$CLUSTER_SIZE"); do
    select_node "$i"
    if running; then log "node $NODE is already running"; else launch; launched+=("$i"); fi
  done
  for i in "${launched[@]}"; do select_node "$i"; await_node; done
  select_node 1
  reconcile_accounts
  if [ "$CLUSTER_SIZE" -gt 1 ]; then log "cluster of $CLUSTER_SIZE nodes up; AMQP_URLS=$(urls)"; fi
}

# Every node of this checkout that runs: the standalone one and those of a cluster.
stop() {
  local dir any=0 dirs=("$BASE_DIR" "$BASE_DIR"-cluster/node*)
  if [ -n "$ONLY_NODE" ]; then select_node "$ONLY_NODE"; dirs=("$BROKER_DIR"); fi
  for dir in "${dirs[@]}"; do
    [ -d "$dir" ] || continue
    node_of_dir "$dir"
    if ! running; then unmount_from_root; continue; fi
    any=1
    log "stopping node $NODE"
    ctl stop "$BROKER_DIR/rabbitmq.pid" >/dev/null 2>&1 || ctl stop >/dev/null
    unmount_from_root
    log "stopped $NODE"
  done
  [ "$any" = 1 ] || log "no node of this checkout is running"
  # No node left in the root (no bind mount under it): its /proc goes too.
  if [ "$RUNTIME" = debian13 ] && mountpoint -q "$ROOTFS/proc" \
    && ! awk -v root="$ROOTFS/" '$2 != root "proc" && index($2, root) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
    umount "$ROOTFS/proc" 2>/dev/null || umount -l "$ROOTFS/proc" || true
  fi
}
# Selects the node whose data lives in $1.
node_of_dir() {
  if [[ "$1" =~ -cluster/node([0-9])$ ]]; then
    local count
    count=$(find "$BASE_DIR-cluster" -maxdepth 1 -name 'node*' -type d | wc -l)
    select_node "${BASH_REMATCH[1]}" "$((count > 1 ? count : 2))"
  else
    select_node 1 1
  fi
}

urls() {
  local i list=()
  for i in $(seq 1 "$CLUSTER_SIZE"); do list+=("$(select_node "$i"; echo "amqps://${AMQP_HOST:-localhost}:$AMQP_PORT")"); done
  (IFS=,; echo "${list[*]}")
}

status() {
  local i
  for i in $(seq 1 "$CLUSTER_SIZE"); do select_node "$i"; running || return 1; done
}

case "$COMMAND" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  urls) urls ;;
  *) echo "usage: $0 start|stop|status|urls [--cluster N]" >&2; exit 2 ;;
esac
