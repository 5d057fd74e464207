#!/usr/bin/env bash
# Creates .env from .env.example when missing, and fills every empty secret
# (*_SECRET, *_PASSWORD, *_KEY) with fresh random bytes. Idempotent: existing
# values are never changed, so tokens and broker logins survive restarts.
LOG_TAG=env
source "$(dirname "$0")/lib.sh"

env_file="$ROOT/.env"
if [ ! -f "$env_file" ]; then
  cp "$ROOT/.env.example" "$env_file"
  chmod 600 "$env_file"
  log "created .env from .env.example"
fi

tmp="$(mktemp)"
filled=0
while IFS= read -r line || [ -n "$line" ]; do
  if [[ "$line" =~ ^([A-Z_][A-Z0-9_]*(_SECRET|_PASSWORD|_KEY))=$ ]]; then
    line="${BASH_REMATCH[1]}=$(openssl rand -hex 32)"
    filled=$((filled + 1))
  fi
  printf '%s\n' "$line"
done < "$env_file" > "$tmp"
# Variables added to .env.example after .env was created.
while IFS= read -r line; do
  [[ "$line" =~ ^([A-Z_][A-Z0-9_]*)= ]] || continue
  key="${BASH_REMATCH[1]}"
  if ! grep -q "^$key=" "$tmp"; then
    if [[ "$key" =~ (_SECRET|_PASSWORD|_KEY)$ ]] && [[ "$line" == "$key=" ]]; then
      line="$key=$(openssl rand -hex 32)"; filled=$((filled + 1))
    fi
    printf '%s\n' "$line" >> "$tmp"
  fi
done < "$ROOT/.env.example"
cat "$tmp" > "$env_file"; rm -f "$tmp"
chmod 600 "$env_file"
[ "$filled" -gt 0 ] && log "generated $filled secret(s) in .env"
exit 0
