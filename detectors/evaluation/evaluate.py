"""``mailflow evaluate``: replay every labelled scenario of every world for several seeds.

Two simulated worlds, written apart from each other:

* ``shop`` (:mod:`detectors.sim.shop`): an online shop, English and French
  customers, UTC, 35 days per run;
* ``bank`` (:mod:`detectors.sim.bank`): a European online bank, English, German
  and Spanish customers, ``Europe/Berlin`` with a summer-time change inside the
  period, re-delivered and late events, legitimate sensitive requests; 28 days.

Seeds 1-3 are the tuning seeds; 4-6 are **held out** (never used to choose a
threshold) and reported beside them. For each world, scenario and seed it
prints every incident (detected or not, messages sent before the first alert and
before the first page, the first detector) and every alert that no incident
explains, as false pages and false warnings per simulated week, attributed to the
labelled benign window or account that caused it.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..alerts import Alert, rfc3339
from ..config import SentinelConfig
from ..events import parse_event
from ..pipeline import Sentinel
from .matching import Label, attribute, first_detection, parse_labels

__all__ = ["main", "evaluate_scenario", "ScenarioResult", "IncidentResult", "FalseEpisode", "WORLDS",
           "TUNING_SEEDS", "HELD_OUT_SEEDS", "world_of"]

TUNING_SEEDS = (1, 2, 3)
HELD_OUT_SEEDS = (4, 5, 6)

_SHOP_SCENARIOS = (
    "id-request-blast", "compromised-account", "mail-merge-cc", "launch-day",
    "launch-ramp", "newsletter", "invoice-run", "all-hands", "baseline",
)


def _shop() -> tuple[dict[str, str], Callable[..., tuple[list[dict], dict]], float]:
    from ..sim.shop import SCENARIOS, generate

    return SCENARIOS, generate, 35.0


def _bank() -> tuple[dict[str, str], Callable[..., tuple[list[dict], dict]], float]:
    from ..sim.bank import SCENARIOS, generate

    return SCENARIOS, generate, 28.0


#: world -> loader of (scenarios, generate, default days)
WORLDS: dict[str, Callable[[], tuple[dict[str, str], Callable[..., tuple[list[dict], dict]], float]]] = {
    "shop": _shop, "bank": _bank,
}


def world_of(scenario: str) -> str | None:
    """The world a scenario belongs to (None: unknown)."""
    for name, load in WORLDS.items():
        if scenario in load()[0]:
            return name
    return None


@dataclass
class IncidentResult:
    name: str
    sender: str
    messages: int
    detected: bool
    before_first_alert: int | None
    first_detector: str | None
    delay_seconds: float | None
    before_first_page: int | None = None
    first_page_detector: str | None = None


@dataclass
class FalseEpisode:
    detector: str
    severity: str
    sender: str
    template: str | None
    ts: float
    cause: str  # the labelled benign window or account, else "unlabelled <sender>"


@dataclass
class ScenarioResult:
    scenario: str
    seed: int
    events: int
    days: float
    seconds: float
    world: str = "shop"
    incidents: list[IncidentResult] = field(default_factory=list)
    negatives_alerted: list[str] = field(default_factory=list)  # hard negatives that raised a page
    negatives_warned: list[str] = field(default_factory=list)  # ... or only a warning
    negatives: list[str] = field(default_factory=list)
    false: list[FalseEpisode] = field(default_factory=list)

    @property
    def weeks(self) -> float:
        return max(self.days / 7.0, 1e-9)

    @property
    def false_pages(self) -> list[FalseEpisode]:
        return [f for f in self.false if f.severity == "critical"]

    @property
    def false_warnings(self) -> list[FalseEpisode]:
        return [f for f in self.false if f.severity != "critical"]

    @property
    def false_episodes(self) -> list[tuple[str, str, str | None, float]]:
        return [(f.detector, f.sender, f.template, f.ts) for f in self.false]

    @property
    def false_per_week(self) -> float:
        return len(self.false) / self.weeks


def evaluate_scenario(scenario: str, seed: int, days: float | None = None, scale: float = 1.0,
                      config: SentinelConfig | None = None) -> ScenarioResult:
    """Replay one scenario of its world through a fresh :class:`Sentinel`; score against its labels.

    Parameters
    ----------
    scenario
        A scenario of one of the :data:`WORLDS`.
    seed
        The simulator's seed.
    days
        Simulated days (default: the world's).
    scale
        Traffic scale.
    config
        Detector settings (default: the world's internal domains and time zone).

    """
    world = world_of(scenario)
    if world is None:
        raise ValueError(f"unknown scenario {scenario!r}")
    _, generate, default_days = WORLDS[world]()
    days = default_days if days is None else days
    events, labels = generate(scenario, seed, days=days, scale=scale)
    cfg = config or SentinelConfig(internal_domains=tuple(labels.get("internal_domains", ())),
                                   timezone=labels.get("timezone", "UTC"))
    sentinel = Sentinel(cfg)
    alerts: list[Alert] = []
    t0 = time.perf_counter()
    for raw in events:
        alerts.extend(sentinel.process_one(parse_event(raw)).alerts)
    elapsed = time.perf_counter() - t0
    res = ScenarioResult(scenario, seed, len(events), float(labels.get("days", days)), elapsed, world)
    _score(res, parse_labels(labels), alerts, cfg.episode_quiet_seconds)
    return res


def _score(res: ScenarioResult, labels: list[Label], alerts: list[Alert], quiet: float) -> None:
    """Fill ``res`` with each incident's detection and the false alert episodes, by the rule of
    :mod:`~detectors.evaluation.matching`."""
    incidents = [lb for lb in labels if not lb.benign]
    negatives = [lb for lb in labels if lb.benign]
    for inc in incidents:
        first = first_detection(inc, alerts)
        page = first_detection(inc, [a for a in alerts if a.severity == "critical"])
        res.incidents.append(IncidentResult(
            inc.name, inc.sender, len(inc.event_ids), first is not None,
            first[1] if first else None,
            first[0].detector if first else None,
            (first[0].ts - inc.start) if first else None,
            page[1] if page else None,
            page[0].detector if page else None,
        ))
    for neg in negatives:
        if neg.name not in res.negatives:
            res.negatives.append(neg.name)

    open_eps: dict[tuple, tuple[float, int]] = {}  # (detector, sender, template) -> (last ts, index in res.false)
    for a in alerts:
        if attribute(incidents, a, quiet) is not None:
            continue  # explained by an incident
        k = (a.detector, a.sender, a.template)
        prev = open_eps.get(k)
        if prev is not None and a.ts - prev[0] <= quiet:
            open_eps[k] = (a.ts, prev[1])
            if a.severity == "critical":  # escalation within the same episode: it paged after all
                res.false[prev[1]].severity = "critical"
            continue
        open_eps[k] = (a.ts, len(res.false))
        neg = attribute(negatives, a, quiet)
        res.false.append(FalseEpisode(a.detector, a.severity, a.sender, a.template, a.ts,
                                      neg.name if neg is not None else f"unlabelled {a.sender}"))
    for f in res.false:
        if not f.cause.startswith("unlabelled "):
            target = res.negatives_alerted if f.severity == "critical" else res.negatives_warned
            if f.cause not in target:
                target.append(f.cause)


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for j, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _n(v: Any) -> str:
    return "-" if v is None else str(v)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="mailflow evaluate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--world", action="append", help=f"world ({', '.join(WORLDS)}); repeatable (default: all)")
    p.add_argument("--scenario", action="append", help="scenario name; repeatable (default: all of the worlds)")
    p.add_argument("--seeds", default="1,2,3,4,5,6",
                   help="comma-separated seeds (default 1-6: 1-3 tuning, 4-6 held out)")
    p.add_argument("--days", type=float, default=None, help="simulated days per scenario (default: the world's)")
    p.add_argument("--scale", type=float, default=1.0, help="traffic scale (default 1.0)")
    p.add_argument("--verbose", action="store_true", help="list every false alert episode")
    args = p.parse_args(argv)

    problems = [f"--world: unknown {w!r} (valid: {', '.join(WORLDS)})" for w in (args.world or []) if w not in WORLDS]
    worlds = [w for w in (args.world or list(WORLDS)) if w in WORLDS]
    scenarios: list[str] = []
    for w in worlds:
        names = WORLDS[w]()[0]
        default = [s for s in _SHOP_SCENARIOS if s in names] if w == "shop" else list(names)
        scenarios += [s for s in (args.scenario or default) if s in names]
    for s in args.scenario or []:
        if world_of(s) is None:
            valid = ", ".join(n for w in WORLDS for n in WORLDS[w]()[0])
            problems.append(f"--scenario: unknown {s!r} (valid: {valid})")
    try:
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError:
        problems.append(f"--seeds: not a comma-separated list of integers: {args.seeds!r}")
        seeds = []
    if args.days is not None and args.days <= 1:
        problems.append(f"--days: must be > 1, got {args.days}")
    if args.scale <= 0:
        problems.append(f"--scale: must be > 0, got {args.scale}")
    if problems:
        print("mailflow evaluate: invalid options:\n" + "\n".join(f"  - {x}" for x in problems), file=sys.stderr)
        return 2

    inc_rows = [["world", "scenario", "seed", "incident", "messages", "detected", "before 1st alert",
                 "before 1st page", "1st detector", "1st page by", "delay"]]
    neg_rows = [["world", "scenario", "seed", "paged on", "warned on", "false pages/wk", "false warnings/wk",
                 "events", "events/s"]]
    totals: dict[tuple[str, bool], list[float]] = {}  # (world, held out) -> [pages, warnings, weeks, missed]
    ok = True
    verbose_lines = []
    for sc in scenarios:
        for seed in seeds:
            r = evaluate_scenario(sc, seed, days=args.days, scale=args.scale)
            held = seed in HELD_OUT_SEEDS
            tag = f"{seed}{'*' if held else ''}"
            tot = totals.setdefault((r.world, held), [0, 0, 0.0, 0])
            for inc in r.incidents:
                inc_rows.append([r.world, sc, tag, inc.name, str(inc.messages), "yes" if inc.detected else "NO",
                                 _n(inc.before_first_alert), _n(inc.before_first_page), inc.first_detector or "-",
                                 inc.first_page_detector or "-",
                                 "-" if inc.delay_seconds is None else f"{inc.delay_seconds / 60:.1f} min"])
                ok &= inc.detected
                tot[3] += not inc.detected
            neg_rows.append([r.world, sc, tag, ",".join(r.negatives_alerted) or "none",
                             ",".join(r.negatives_warned) or "none",
                             f"{len(r.false_pages) / r.weeks:.2f}", f"{len(r.false_warnings) / r.weeks:.2f}",
                             f"{r.events:,}", f"{r.events / max(r.seconds, 1e-9):,.0f}"])
            ok &= not r.false_pages
            tot[0] += len(r.false_pages)
            tot[1] += len(r.false_warnings)
            tot[2] += r.weeks
            for f in r.false:
                verbose_lines.append(f"{r.world} {sc} seed {seed}: false {f.severity} {f.detector} on {f.sender} "
                                     f"template {f.template} at {rfc3339(f.ts)} ({f.cause})")
    print("Incidents (seeds marked * are held out)")
    print(_table(inc_rows))
    print()
    print("False alerts: every alert no incident explains, by what caused it (seeds marked * are held out)")
    print(_table(neg_rows))
    print()
    sum_rows = [["world", "seeds", "incidents missed", "false pages", "false warnings", "simulated weeks",
                 "false pages/wk", "false warnings/wk"]]
    for (w, held), (pages, warns, weeks, missed) in sorted(totals.items()):
        sum_rows.append([w, "held out" if held else "tuning", str(int(missed)), str(int(pages)), str(int(warns)),
                         f"{weeks:.1f}", f"{pages / weeks:.2f}", f"{warns / weeks:.2f}"])
    print("Summary")
    print(_table(sum_rows))
    if args.verbose and verbose_lines:
        print()
        print("\n".join(verbose_lines))
    return 0 if ok else 1
