"""The demo's verdict: which incidents were caught, how soon, and whether the launch ramp alerted.

Alerts are judged by the rule of :mod:`detectors.evaluation.matching`, the one
``mailflow evaluate`` uses: an incident is caught by an alert its own messages
raised; an alert belongs to an incident or a benign window when raised by one
of its messages or sent by its account while it lasts (plus the episode quiet
period); incidents are asked first, then the benign windows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Sequence

from detectors.config import SentinelConfig
from detectors.evaluation.matching import Label, attribute, first_detection

from .console import Style, day_hhmm, hhmm, parse_ts
from .scenario import Scenario

__all__ = ["Verdict", "verdict", "SeenAlert"]


@dataclass(frozen=True)
class SeenAlert:
    """An alert read from the alerts topic, as the matching rule reads it (``raw``: the JSON object)."""

    sender: str
    ts: float
    event_ids: Sequence[str]
    raw: dict[str, Any]

    @classmethod
    def of(cls, alert: dict[str, Any]) -> "SeenAlert":
        """``alert`` (a decoded alert of the contract); an unreadable ``ts`` counts as 0."""
        try:
            ts = parse_ts(alert.get("ts"))
        except (TypeError, ValueError):
            ts = 0.0
        ids = [str(i) for i in alert.get("event_ids") or ()]
        return cls(str(alert.get("sender", "")).lower(), ts, ids, alert)

    @property
    def detector(self) -> str:
        return str(self.raw.get("detector"))


@dataclass
class Verdict:
    """The verdict's lines, and whether every incident was caught and nothing fired on benign traffic."""

    lines: list[str]
    ok: bool


def verdict(scenario: Scenario, alerts: list[dict[str, Any]], style: Style, sent_until: float | None = None,
            quiet: float | None = None) -> Verdict:
    """Judge ``alerts`` against the scenario's labels.

    Parameters
    ----------
    scenario
        The scenario that was played.
    alerts
        The alerts read back, as decoded JSON objects.
    style
        How the lines are styled.
    sent_until
        Event time of the last record sent; incidents after it are "not reached".
    quiet
        The episode quiet period of the worker (default: the detectors' default).

    """
    quiet = SentinelConfig().episode_quiet_seconds if quiet is None else quiet
    seen = [SeenAlert.of(a) for a in alerts]
    incidents = [lb for lb in scenario.labels if not lb.benign]
    benign = [lb for lb in scenario.labels if lb.benign]
    if not benign:
        benign = [Label("launch ramp", scenario.ramp_sender.lower(), scenario.launch_start, float("inf"), benign=True)]
    owner: dict[int, Label | None] = {}
    for i, a in enumerate(seen):
        owner[i] = attribute(incidents, a, quiet) or attribute(benign, a, quiet)

    lines: list[str] = []
    ok = True
    for inc in incidents:
        if sent_until is not None and inc.start > sent_until:
            lines.append(f"  - {inc.name}: not reached (the demo stopped at {day_hhmm(sent_until)})")
            continue
        caught = first_detection(inc, seen)
        if caught is None:
            ok = False
            lines.append(style(f"  ✗ {inc.name}: MISSED", "bold", "red")
                         + (f" ({inc.sender}, from {hhmm(inc.start)})" if inc.sender else ""))
            continue
        first, before = caught
        hits = [a for i, a in enumerate(seen) if owner[i] is inc]
        dets = sorted({a.detector for a in hits})
        # the messages that went out up to and including the one that raised the first alert
        lines.append(style(f"  ✓ {inc.name}: caught at sim {hhmm(first.ts)} by {', '.join(dets)}"
                           f" ({len(hits)} alert{'s' if len(hits) != 1 else ''})"
                           f"; {before + 1} of its {len(inc.event_ids)} messages went out before the first alert",
                           "green"))
    by_sender: dict[str, list[Label]] = defaultdict(list)
    for lb in benign:
        by_sender[lb.sender or "?"].append(lb)
    for sender, labels in by_sender.items():
        hits = [a for i, a in enumerate(seen) if any(owner[i] is lb for lb in labels)]
        name = labels[0].name.replace("-", " ")
        if hits:
            ok = False
            dets = Counter(a.detector for a in hits)
            lines.append(style(f"  ✗ {name} ({sender}): {len(hits)} alert(s) fired on legitimate traffic "
                               f"({', '.join(f'{d} x{n}' for d, n in dets.items())})", "bold", "red"))
        else:
            n = sum(len(lb.event_ids) for lb in labels)
            lines.append(style(f"  ✓ {name} ({sender}): no alert fired on the legitimate launch traffic"
                               + (f" ({n:,} messages)" if n else ""), "green"))
    others = [a for i, a in enumerate(seen) if owner[i] is None]
    if others:
        lines.append(f"  ! {len(others)} other alert(s), not tied to a labelled incident: "
                     + ", ".join(sorted({f"{a.detector}/{a.sender}" for a in others})[:6]))
    return Verdict(lines, ok)
