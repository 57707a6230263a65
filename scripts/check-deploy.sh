#!/usr/bin/env bash
# Static checks of the deployment files with the real tools (no servers started):
# Prometheus config and rules, the rule unit tests, the Alertmanager config and its
# routing tree. The same checks run in `make test` (tests/deploy/).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in promtool amtool; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool not found: run scripts/install-servers.sh" >&2; exit 2; }
done
promtool check config deploy/prometheus/prometheus.yml
promtool check rules deploy/prometheus/rules/*.yml
promtool test rules deploy/prometheus/tests/*.yml
amtool check-config deploy/alertmanager/alertmanager.yml
amtool config routes show --config.file=deploy/alertmanager/alertmanager.yml 2>/dev/null
echo "critical -> $(amtool config routes test --config.file=deploy/alertmanager/alertmanager.yml severity=critical 2>/dev/null)"
echo "warning  -> $(amtool config routes test --config.file=deploy/alertmanager/alertmanager.yml severity=warning 2>/dev/null)"
