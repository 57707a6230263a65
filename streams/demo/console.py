"""What the demo prints: ANSI styling, alert lines, simulated clock times.

>>> Style(True)("ok", "bold", "green")
'\\x1b[1;32mok\\x1b[0m'
>>> hhmm(parse_ts("2024-03-05T10:42:00.000Z")), day_hhmm(0.0)
('10:42', 'Thu 00:00')
"""

from __future__ import annotations

import sys
import threading
from datetime import datetime, timezone
from typing import Any

__all__ = ["Style", "Printer", "format_alert", "parse_ts", "hhmm", "day_hhmm"]


class Style:
    """ANSI styling, or none.

    Parameters
    ----------
    enabled
        False: text is returned as it is.

    """

    CODES = {
        "bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33",
        "blue": "34", "magenta": "35", "cyan": "36", "reverse": "7",
    }

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles:
            return text
        codes = ";".join(self.CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"


class Printer:
    """Thread-safe printing of styled lines to stdout (a closed or broken stdout is ignored).

    Parameters
    ----------
    style
        How lines are styled.

    """

    def __init__(self, style: Style) -> None:
        self.style = style
        self._lock = threading.Lock()

    def __call__(self, text: str = "", *styles: str) -> None:
        with self._lock:
            try:
                sys.stdout.write(self.style(text, *styles) + "\n")
                sys.stdout.flush()
            except (BrokenPipeError, ValueError):
                pass


def parse_ts(value: Any) -> float:
    """Unix seconds from a number or an ISO 8601 / RFC 3339 string (``Z`` allowed).

    >>> parse_ts(12), parse_ts("1970-01-01T00:01:00Z")
    (12.0, 60.0)
    """
    if isinstance(value, (int, float)):
        return float(value)
    s = str(value)
    return datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith("Z") else s).timestamp()


def hhmm(ts: float) -> str:
    """``HH:MM`` (UTC) of Unix seconds."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%H:%M")


def day_hhmm(ts: float) -> str:
    """``Www HH:MM`` (UTC weekday and time) of Unix seconds."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%a %H:%M")


def format_alert(alert: dict[str, Any], style: Style) -> str:
    """One alert of the alerts topic as a readable line.

    >>> a = {"ts": "2024-03-05T10:42:00.000Z", "severity": "critical", "detector": "sensitive_request",
    ...      "sender": "hr@example.com", "template": "t1", "score": 0.97, "summary": "Asked for passports."}
    >>> format_alert(a, Style(False))
    '[sim 10:42] CRITICAL sensitive_request  hr@example.com  score 0.97  Asked for passports.'
    """
    sev = str(alert.get("severity", "?"))
    sev_style = ("bold", "red") if sev == "critical" else ("bold", "yellow")
    try:
        when = hhmm(parse_ts(alert.get("ts")))
    except (TypeError, ValueError):
        when = "?"
    score = alert.get("score")
    score_s = f"{float(score):.2f}" if isinstance(score, (int, float)) else "?"
    return (
        f"{style(f'[sim {when}]', 'dim')} {style(sev.upper(), *sev_style)} "
        f"{style(str(alert.get('detector', '?')), 'cyan')}  {style(str(alert.get('sender', '?')), 'bold')}  "
        f"score {score_s}  {alert.get('summary', '')}"
    )
