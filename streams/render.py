"""``mailflow deploy render``: the deploy/ directory with a company's own URLs and hours.

The shipped ``deploy/`` works as it is with docker-compose.yml. A company that runs its own
Prometheus, Alertmanager and Grafana renders a copy with its settings::

    mailflow deploy render --out /etc/mailflow-deploy \\
        --runbook-url https://wiki.example.com/mailflow/runbook.md \\
        --dashboard-url https://grafana.example.com/d/mailflow-launch/launch-monitoring \\
        --business-hours 08:00-18:00 --business-days monday:friday --timezone Europe/Berlin

* ``--runbook-url``: where docs/runbook.md is published; every alert's ``runbook_url``
  (``<url>#<alert anchor>``) and the rule unit tests that check them point there;
* ``--dashboard-url``: where the "Launch monitoring" dashboard is (Grafana's
  ``/d/mailflow-launch/...``); every alert's ``dashboard_url`` points there, a detector
  alert's with its account selected (``?var-sender=<account>``);
* ``--business-hours``, ``--business-days``, ``--timezone``: Alertmanager's
  ``business-hours`` time interval, in which ``MailflowNoEventsInBusinessHours`` is
  notified (Alertmanager follows the zone's summer time).

Every bad flag is listed and the command exits with status 2; nothing is written then.
The rendered rules and their unit tests still pass ``promtool``, the Alertmanager file
``amtool check-config`` (tests/deploy/test_render.py).

Public API::

    RUNBOOK_URL, DASHBOARD_URL, render(out, *, runbook_url, dashboard_url, hours, days, timezone), main(argv)
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["RUNBOOK_URL", "DASHBOARD_URL", "DEPLOY", "render", "main"]

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
#: the runbook URL the shipped rules carry
RUNBOOK_URL = "https://github.com/mailflow-sentinel/mailflow-sentinel/blob/main/docs/runbook.md"
#: the dashboard URL the shipped rules carry (docker-compose.yml's Grafana)
DASHBOARD_URL = "http://localhost:3000/d/mailflow-launch/launch-monitoring"
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HOURS = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)")
# the business-hours block of deploy/alertmanager/alertmanager.yml, as shipped
_INTERVAL = re.compile(
    r"(      - weekdays: )\[[^\]]*\]\n(        times:\n          - start_time: )'[^']*'\n"
    r"(            end_time: )'[^']*'\n(        location: )'[^']*'"
)


def _problems(out: Path, runbook_url: str, hours: str, days: str, timezone: str,
              dashboard_url: str = DASHBOARD_URL) -> list[str]:
    p = []
    if not re.fullmatch(r"https?://[^\s#]+", runbook_url):
        p.append(f"--runbook-url: {runbook_url!r} is not an http(s) URL without a #fragment")
    if not re.fullmatch(r"https?://[^\s#?\"']+", dashboard_url):
        p.append(f"--dashboard-url: {dashboard_url!r} is not an http(s) URL without a query or #fragment")
    m = _HOURS.fullmatch(hours)
    if m is None:
        p.append(f"--business-hours: {hours!r} is not HH:MM-HH:MM")
    elif (m.group(1), m.group(2)) >= (m.group(3), m.group(4)) or (m.group(3) == "24" and m.group(4) != "00"):
        p.append(f"--business-hours: {hours!r} must end after it starts, on the same day (at most 24:00)")
    for part in days.split(","):
        ends = part.strip().lower().split(":")
        if len(ends) > 2 or not all(d in DAYS for d in ends):
            p.append(f"--business-days: {part.strip()!r} is not a day or a range of days "
                     f"({', '.join(DAYS)}; e.g. monday:friday,saturday)")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        p.append(f"--timezone: {timezone!r} is not an IANA time zone (e.g. Europe/Berlin, UTC)")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        p.append(f"--out: {str(out)!r} exists and is not an empty directory")
    if not (DEPLOY / "alertmanager" / "alertmanager.yml").is_file():
        p.append(f"deploy/ is not next to this installation ({DEPLOY}): render from a source checkout")
    return p


def render(out: Path, *, runbook_url: str = RUNBOOK_URL, hours: str = "08:00-18:00", days: str = "monday:friday",
           timezone: str = "UTC", dashboard_url: str = DASHBOARD_URL) -> list[Path]:
    """Write the rendered copy of deploy/ to ``out``; return the files that changed."""
    problems = _problems(out, runbook_url, hours, days, timezone, dashboard_url)
    if problems:
        raise ValueError("\n".join(problems))
    shutil.copytree(DEPLOY, out, dirs_exist_ok=True)
    changed = []
    for path in sorted(out.rglob("*")):
        if path.suffix not in (".yml", ".yaml", ".json", ".tmpl") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        new = text.replace(RUNBOOK_URL, runbook_url).replace(DASHBOARD_URL, dashboard_url.rstrip("/"))
        if path.parent.name in ("alertmanager", "examples") and "time_intervals:" in text:
            start, end = hours.split("-")
            weekdays = ", ".join(f"'{d.strip().lower()}'" for d in days.split(","))
            new, n = _INTERVAL.subn(
                lambda m: (f"{m.group(1)}[{weekdays}]\n{m.group(2)}'{start}'\n{m.group(3)}'{end}'\n"
                           f"{m.group(4)}'{timezone}'"), new)
            if n != 1:
                raise RuntimeError(f"{path}: the business-hours time interval is not in its shipped form")
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mailflow deploy", description="Deployment files (Prometheus rules, "
                                     "Alertmanager, Grafana) with a company's own settings.")
    sub = parser.add_subparsers(dest="action", required=True)
    r = sub.add_parser("render", help="write deploy/ with your runbook URL and business hours to --out")
    r.add_argument("--out", required=True, type=Path, help="directory to write (new or empty)")
    r.add_argument("--runbook-url", default=RUNBOOK_URL, help="where docs/runbook.md is published (default: %(default)s)")
    r.add_argument("--dashboard-url", default=DASHBOARD_URL,
                   help="the Launch monitoring dashboard in your Grafana (default: %(default)s)")
    r.add_argument("--business-hours", default="08:00-18:00", help="HH:MM-HH:MM local time (default %(default)s)")
    r.add_argument("--business-days", default="monday:friday",
                   help="days or ranges, comma-separated (default %(default)s)")
    r.add_argument("--timezone", default="UTC", help="IANA time zone of the business hours (default %(default)s)")
    args = parser.parse_args(argv)
    try:
        changed = render(args.out, runbook_url=args.runbook_url, hours=args.business_hours,
                         days=args.business_days, timezone=args.timezone, dashboard_url=args.dashboard_url)
    except ValueError as exc:
        print("mailflow deploy render: invalid flags:\n" + "\n".join(f"  - {x}" for x in str(exc).splitlines()),
              file=sys.stderr)
        return 2
    print(f"wrote {args.out} ({len(changed)} file(s) adapted)")
    return 0
