#!/usr/bin/env bash
# The contract test's tool: schemathesis, pinned, in a project-local virtualenv
# (.local/venv), created on first use and reused after. Idempotent; prints nothing
# on stdout but the path of the `st` executable.
LOG_TAG=schemathesis
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# Pinned: a new schemathesis release may add checks, so upgrading is a deliberate change.
SCHEMATHESIS_VERSION=4.32.5
VENV="$LOCAL_DIR/venv"

command -v python3 >/dev/null || die "python3 is needed for the contract test"
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  is_root || die "python3's venv module is missing: install python3-venv"
  log "installing python3-venv"
  apt-get install -y -q python3-venv >&2
fi
if [ ! -x "$VENV/bin/python" ]; then
  log "creating the virtualenv $VENV"
  python3 -m venv "$VENV" >&2
fi
if [ "$("$VENV/bin/st" --version 2>/dev/null)" != "st, version $SCHEMATHESIS_VERSION" ]; then
  log "installing schemathesis $SCHEMATHESIS_VERSION"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
fi
echo "$VENV/bin/st"
