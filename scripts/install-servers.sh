#!/usr/bin/env bash
# Installs the real Prometheus and Alertmanager servers (and promtool/amtool)
# from Debian's packages, for the end-to-end tests. Idempotent; needs root or sudo.
set -euo pipefail

# --- Postfix (issue 12): the taps' tests run a private instance of Debian's postfix per test
# session (tests/taps/conftest.py); no system instance is configured to relay or started.
# debconf "Local only" writes a /etc/postfix/main.cf (the private instances' config directories
# are listed in its alternate_config_directories); a policy-rc.d that exits 101 keeps the
# package scripts from starting the system instance. Idempotent.
if ! command -v postfix >/dev/null 2>&1 && [ ! -x /usr/sbin/postfix ]; then
  PF_SUDO=""
  if [ "$(id -u)" -ne 0 ]; then PF_SUDO="sudo"; fi
  echo "installing postfix (Debian package, no system instance started) ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  $PF_SUDO apt-get update -qq
  printf '%s\n' "postfix postfix/main_mailer_type select Local only" \
    "postfix postfix/mailname string mailflow-sentinel.localdomain" | $PF_SUDO debconf-set-selections
  pf_policy_created=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# installed by mailflow-sentinel scripts/install-servers.sh: start no services\nexit 101\n' \
      | $PF_SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $PF_SUDO chmod 755 /usr/sbin/policy-rc.d
    pf_policy_created=1
  fi
  pf_status=0
  $PF_SUDO apt-get install -y -qq --no-install-recommends postfix >/dev/null || pf_status=$?
  if [ "$pf_policy_created" -eq 1 ]; then $PF_SUDO rm -f /usr/sbin/policy-rc.d; fi
  [ "$pf_status" -eq 0 ] || exit "$pf_status"
fi
# an earlier "No configuration" install leaves no main.cf/master.cf: the private instances need the
# default main.cf (alternate_config_directories) and copy master.cf; nothing here starts a service
if [ -x /usr/sbin/postfix ]; then
  PF_SUDO=""
  if [ "$(id -u)" -ne 0 ]; then PF_SUDO="sudo"; fi
  if [ ! -f /etc/postfix/main.cf ]; then
    printf '%s\n' "# written by mailflow-sentinel scripts/install-servers.sh (no system instance is used)" \
      "compatibility_level = 3.6" "inet_interfaces = loopback-only" "mydestination =" \
      | $PF_SUDO tee /etc/postfix/main.cf >/dev/null
  fi
  if [ ! -f /etc/postfix/master.cf ] && [ -f /usr/share/postfix/master.cf.dist ]; then
    $PF_SUDO cp /usr/share/postfix/master.cf.dist /etc/postfix/master.cf
  fi
fi
# --- Chromium: the report tests (tests/detectors/cli/test_report.py) render the HTML of
# `mailflow replay --report` with Debian's headless chromium (DOM dump and screenshot). It starts
# no service. Idempotent. (Here, not at the end: the Prometheus block below exits early.)
if ! command -v chromium >/dev/null 2>&1; then
  CR_SUDO=""
  if [ "$(id -u)" -ne 0 ]; then CR_SUDO="sudo"; fi
  echo "installing chromium (Debian package, for the report tests) ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  $CR_SUDO apt-get update -qq
  $CR_SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
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
