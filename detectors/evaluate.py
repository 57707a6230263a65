"""``mailflow evaluate``: replay labelled scenarios for several seeds; detection figures as a table."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field

from .config import SentinelConfig
from .events import parse_event
from .pipeline import Sentinel

__all__ = ["main", "evaluate_scenario", "ScenarioResult"]

DEFAULT_SCENARIOS = (
    "id-request-blast", "compromised-account", "mail-merge-cc", "launch-day",
    "launch-ramp", "newsletter", "invoice-run", "all-hands", "baseline",
)


@dataclass
class IncidentResult:
    name: str
    sender: str
    messages: int
    detected: bool
    before_first_alert: int | None
    first_detector: str | None
    delay_seconds: float | None


@dataclass
class ScenarioResult:
    scenario: str
    seed: int
    events: int
    days: float
    seconds: float
    incidents: list[IncidentResult] = field(default_factory=list)
    negatives_alerted: list[str] = field(default_factory=list)
    negatives: list[str] = field(default_factory=list)
    false_episodes: list[tuple[str, str, str | None, float]] = field(default_factory=list)

    @property
    def false_per_week(self) -> float:
        return len(self.false_episodes) / max(self.days / 7.0, 1e-9)


def evaluate_scenario(scenario: str, seed: int, days: float = 35, scale: float = 1.0,
                      config: SentinelConfig | None = None) -> ScenarioResult:
    from .simulator import generate

    events, labels = generate(scenario, seed, days=days, scale=scale)
    cfg = config or SentinelConfig(internal_domains=tuple(labels.get("internal_domains", ())))
    sentinel = Sentinel(cfg)
    alerts = []
    t0 = time.perf_counter()
    for raw in events:
        ev = parse_event(raw)
        alerts.extend(sentinel.process_one(ev).alerts)
    elapsed = time.perf_counter() - t0
    res = ScenarioResult(scenario, seed, len(events), float(labels.get("days", days)), elapsed)

    explained = set()
    for inc in labels.get("incidents", []):
        ids = inc["event_ids"]
        pos = {eid: i for i, eid in enumerate(ids)}
        first = None
        for a in alerts:
            if a.sender == inc["sender"] and a.event_ids and a.event_ids[0] in pos:
                if first is None or pos[a.event_ids[0]] < pos[first.event_ids[0]]:
                    first = a
        for i, a in enumerate(alerts):
            if a.sender == inc["sender"] and inc["start_ts"] - 1 <= a.ts <= inc["end_ts"] + cfg.episode_quiet_seconds:
                explained.add(i)
        res.incidents.append(IncidentResult(
            inc["name"], inc["sender"], len(ids), first is not None,
            pos[first.event_ids[0]] if first else None,
            first.detector if first else None,
            (first.ts - inc["start_ts"]) if first else None,
        ))
    neg_windows = []
    for neg in labels.get("negatives", []):
        res.negatives.append(neg["name"])
        ids = set(neg["event_ids"])
        hit = any(a.event_ids and a.event_ids[0] in ids for a in alerts)
        hit = hit or any(a.sender == neg["sender"] and neg["start_ts"] <= a.ts <= neg["end_ts"] for a in alerts)
        if hit:
            res.negatives_alerted.append(neg["name"])
        neg_windows.append(neg)
    last_seen: dict[tuple, float] = {}
    for i, a in enumerate(alerts):
        if i in explained:
            continue
        k = (a.detector, a.sender, a.template)
        prev = last_seen.get(k)
        last_seen[k] = a.ts
        if prev is not None and a.ts - prev <= cfg.episode_quiet_seconds:
            continue  # escalation within the same episode
        res.false_episodes.append((a.detector, a.sender, a.template, a.ts))
    return res


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for j, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="mailflow evaluate", description=__doc__)
    p.add_argument("--scenario", action="append", help="scenario name; repeatable (default: all)")
    p.add_argument("--seeds", default="1,2,3", help="comma-separated seeds (default 1,2,3)")
    p.add_argument("--days", type=float, default=35.0, help="simulated days per scenario (default 35)")
    p.add_argument("--scale", type=float, default=1.0, help="traffic scale (default 1.0)")
    p.add_argument("--verbose", action="store_true", help="list every false alert episode")
    args = p.parse_args(argv)
    from .simulator import SCENARIOS

    scenarios = args.scenario or [s for s in DEFAULT_SCENARIOS if s in SCENARIOS]
    problems = [f"--scenario: unknown {s!r} (valid: {', '.join(SCENARIOS)})" for s in scenarios if s not in SCENARIOS]
    try:
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError:
        problems.append(f"--seeds: not a comma-separated list of integers: {args.seeds!r}")
        seeds = []
    if args.days <= 1:
        problems.append(f"--days: must be > 1, got {args.days}")
    if args.scale <= 0:
        problems.append(f"--scale: must be > 0, got {args.scale}")
    if problems:
        print("mailflow evaluate: invalid options:\n" + "\n".join(f"  - {x}" for x in problems), file=sys.stderr)
        return 2

    inc_rows = [["scenario", "seed", "incident", "messages", "detected", "sent before 1st alert", "1st detector",
                 "delay"]]
    neg_rows = [["scenario", "seed", "hard negatives", "alerted", "false episodes", "per week", "events", "events/s"]]
    ok = True
    verbose_lines = []
    for sc in scenarios:
        for seed in seeds:
            r = evaluate_scenario(sc, seed, days=args.days, scale=args.scale)
            for inc in r.incidents:
                inc_rows.append([sc, str(seed), inc.name, str(inc.messages), "yes" if inc.detected else "NO",
                                 "-" if inc.before_first_alert is None else str(inc.before_first_alert),
                                 inc.first_detector or "-",
                                 "-" if inc.delay_seconds is None else f"{inc.delay_seconds / 60:.1f} min"])
                ok &= inc.detected
            neg_rows.append([sc, str(seed), ",".join(r.negatives) or "-", ",".join(r.negatives_alerted) or "none",
                             str(len(r.false_episodes)), f"{r.false_per_week:.2f}", f"{r.events:,}",
                             f"{r.events / max(r.seconds, 1e-9):,.0f}"])
            ok &= not r.negatives_alerted
            for d, s, t, ts in r.false_episodes:
                from .alerts import rfc3339
                verbose_lines.append(f"{sc} seed {seed}: false {d} on {s} template {t} at {rfc3339(ts)}")
    print("Incidents")
    print(_table(inc_rows))
    print()
    print("Hard negatives and false alert episodes (all alerts not explained by an incident)")
    print(_table(neg_rows))
    if args.verbose and verbose_lines:
        print()
        print("\n".join(verbose_lines))
    return 0 if ok else 1
