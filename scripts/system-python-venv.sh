#!/usr/bin/env bash
# Build a second virtualenv from the operating system's own python3 (Debian stable:
# 3.11.2), so the suite also runs on the interpreter most servers have.
#   scripts/system-python-venv.sh PYTHON VENV
# Exits 0 without building when PYTHON does not exist (not a Debian-like system).
set -euo pipefail
PY="${1:-/usr/bin/python3}"
VENV="${2:-.venv-system}"
if [ ! -x "$PY" ]; then
    echo "system-python-venv: $PY not found: skipping the system-interpreter run" >&2
    exit 0
fi
if ! "$PY" -c 'import ensurepip, venv' 2>/dev/null; then
    echo "system-python-venv: installing python3-venv (Debian package)" >&2
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
fi
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet -e '.[test,rocksdb]'
touch "$VENV/.installed"
