#!/usr/bin/env bash
# Everything a fresh clone needs before anything runs, idempotently:
# npm dependencies, .env with generated secrets, and the PKI files in certs/.
LOG_TAG=setup
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# Dependencies: install when missing or when package-lock.json changed since.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund >&2
fi

bash infra/env.sh
load_env

# PKI: creates the root CA and server certificate on first run, keeps them after.
hosts=()
[ -n "${PUBLIC_HOST:-}" ] && hosts+=(--host "$PUBLIC_HOST")
IFS=',' read -ra extra <<< "${CERT_HOSTNAMES:-}"
for h in "${extra[@]}"; do [ -n "$h" ] && hosts+=(--host "$h"); done
node_modules/.bin/ts-node -r tsconfig-paths/register --transpile-only scripts/generate-certs.ts \
  --dir "${CERTS_DIR:-certs}" "${hosts[@]}" >&2
