#!/usr/bin/env bash
# Installs the real Prometheus and Alertmanager servers (and promtool/amtool)
# from Debian's packages, for the end-to-end tests. Idempotent; needs root or sudo.
set -euo pipefail
need=()
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v alertmanager >/dev/null 2>&1 || command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing ${need[*]} (Debian packages) ..." >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# The packages' own services are not wanted: the tests start the servers themselves.
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Stop services the package scripts may have started (no systemd here usually).
$SUDO pkill -x prometheus 2>/dev/null || true
$SUDO pkill -x prometheus-alertmanager 2>/dev/null || true
