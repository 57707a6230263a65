#!/usr/bin/env bash
# Regenerates docs/images/report.png, the picture of the backtest report (docs/report.md):
# the top of the `mailflow replay --report` page of the simulated launch-day scenario (its
# incident day only, so the id-request blast spans many 5-minute buckets), screenshotted by
# Debian's headless chromium at 1280 x 1550. Needs the virtualenv (`make venv`) and chromium
# (`make servers`). Usage: scripts/render-report-picture.sh [OUTPUT.png]
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${BIN:-$ROOT/.venv/bin}"
OUT="${1:-$ROOT/docs/images/report.png}"
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac
CHROMIUM="$(command -v chromium || true)"
if [ -z "$CHROMIUM" ]; then
  echo "render-report-picture: chromium is not installed (make servers)" >&2
  exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/mailflow-report-picture.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"  # relative paths: the page names its input "launch-day/events.jsonl", not a temporary path

"$BIN/mailflow" simulate --scenario launch-day --days 0 --seed 1 --out launch-day >/dev/null
"$BIN/mailflow" replay launch-day/events.jsonl --internal-domain example.com --no-progress \
  --report report.html >alerts.jsonl
if ! timeout 180 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
    --disable-extensions --user-data-dir="$work/profile" --window-size=1280,1550 \
    --screenshot="$work/report.png" "file://$work/report.html" >chromium.log 2>&1 \
    || [ ! -s report.png ]; then
  cat chromium.log >&2
  echo "render-report-picture: chromium did not write the screenshot" >&2
  exit 1
fi
mkdir -p "$(dirname "$OUT")"
cp report.png "$OUT"
echo "render-report-picture: $(wc -l <alerts.jsonl) alert(s); wrote $OUT ($(wc -c <"$OUT") bytes)" >&2
