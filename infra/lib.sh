# Shared helpers for the local-infrastructure scripts. Source it; do not run it.
# Every path is inside the project: data under .local/ (git-ignored), TLS under certs/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL_DIR="$ROOT/.local"

log() { printf '[%s] %s\n' "${LOG_TAG:-infra}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Load .env (KEY=VALUE lines) without overriding variables already set in the environment.
load_env() {
  local file="$ROOT/.env" line key value
  [ -f "$file" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in ''|'#'*) continue ;; esac
    key="${line%%=*}"; value="${line#*=}"
    [[ "$key" =~ ^[A-Z_][A-Z0-9_]*$ ]] || continue
    if [ -z "${!key+x}" ]; then export "$key=$value"; fi
  done < "$file"
}

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.5 s.
wait_until() {
  local seconds="$1" what="$2"; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then return 1; fi
    sleep 0.5
  done
  log "$what is ready"
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
port_free() { ! port_open 127.0.0.1 "$1"; }

# wait_ports_free SECONDS PORT...: a restart right after a stop finds the old
# processes still exiting; wait for their ports instead of failing. 1 when one stays taken.
wait_ports_free() {
  local seconds="$1" port; shift
  for port in "$@"; do
    port_free "$port" && continue
    log "port $port is still in use; waiting up to ${seconds} s for it to free (a process still exiting?)"
    wait_until "$seconds" "port $port" port_free "$port" || return 1
  done
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

is_root() { [ "$(id -u)" = 0 ]; }
