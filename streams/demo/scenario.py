"""The demo's scenario: the simulator's ``launch-day``, as records to play and labels to judge by.

The labels are read by :func:`detectors.evaluation.matching.parse_labels`, the
reader ``mailflow evaluate`` uses, so the demo and the evaluation judge the same
incidents the same way.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import orjson

from detectors.evaluation.matching import Label, parse_labels

from ..produce import sender_key
from .console import parse_ts

__all__ = ["Scenario", "load_scenario", "ramp_ratios", "RAMP_SENDER"]

#: The launch ramp's sender, unless the labels name another benign account.
RAMP_SENDER = "orders@example.com"


@dataclass
class Scenario:
    """Events to play and what is in them.

    Parameters
    ----------
    records
        ``(event time, Kafka key, JSON value)``, sorted by time.
    labels
        The incidents and the benign windows (``Label.benign``), as the simulator labelled them.
    launch_start
        Start of the launch day (the warm-up days come before it).
    ramp_sender
        The account of the legitimate launch ramp.

    """

    records: list[tuple[float, bytes | None, bytes]]
    labels: list[Label]
    launch_start: float
    ramp_sender: str = RAMP_SENDER

    @property
    def end(self) -> float:
        """Event time of the last record."""
        return self.records[-1][0] if self.records else self.launch_start


def _record(event: dict[str, Any]) -> tuple[float, bytes | None, bytes]:
    raw = orjson.dumps(event)
    return parse_ts(event["ts"]), sender_key(raw), raw


def load_scenario(seed: int, days: float, scale: float) -> Scenario:
    """Generate ``launch-day`` with the simulator and prepare it for playback.

    Parameters
    ----------
    seed
        The simulator's seed.
    days
        Simulated days: the warm-up days and the launch day.
    scale
        Traffic scale.

    """
    from detectors.sim.shop import generate

    events, labels = generate("launch-day", seed, days=days, scale=scale)
    records = sorted((_record(e) for e in events), key=lambda r: r[0])
    parsed = parse_labels(labels)
    benign = sorted((lb for lb in parsed if lb.benign and lb.sender), key=lambda lb: -len(lb.event_ids))
    if any(lb.sender == RAMP_SENDER for lb in benign) or not benign:
        ramp = RAMP_SENDER
    else:
        ramp = benign[0].sender or RAMP_SENDER
    # the launch day: the simulator's incident day, else the UTC day of the last event
    launch_start = None
    if labels.get("incident_day"):
        try:
            launch_start = datetime.fromisoformat(str(labels["incident_day"])).replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            launch_start = None
    if launch_start is None:
        last = records[-1][0] if records else time.time()
        launch_start = last - (last % 86400)
    return Scenario(records=records, labels=parsed, launch_start=launch_start, ramp_sender=ramp)


def ramp_ratios(scenario: Scenario) -> dict[int, float]:
    """Per simulated hour of the launch day: the ramp sender's volume / its normal for that hour.

    Hours are keyed by ``int(ts // 3600)``; an hour with mail but no normal is ``inf``.
    """
    per_hour: Counter[int] = Counter()
    sender = scenario.ramp_sender.encode()
    for ts, key, _ in scenario.records:
        if key == sender:
            per_hour[int(ts // 3600)] += 1
    first_hour = int(scenario.launch_start // 3600)
    warm_days = max(1, int((scenario.launch_start - scenario.records[0][0]) // 86400)) if scenario.records else 1
    normal: dict[int, float] = defaultdict(float)
    for h, n in per_hour.items():
        if h < first_hour:
            normal[h % 24] += n / warm_days
    out = {}
    for h in range(first_hour, first_hour + 24):
        base = normal.get(h % 24, 0.0)
        out[h] = per_hour.get(h, 0) / base if base > 0 else (float("inf") if per_hour.get(h, 0) else 1.0)
    return out
