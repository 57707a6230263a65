"""Accuracy of sender-kind inference on the simulator's traffic.

Replays a scenario through the pipeline with every ``sender_kind`` field removed
from the events, and compares the kind the pipeline inferred for each event
(``Outcome.kind``) with the simulator's truth (truth.csv), per event and per
sender (the kind inferred at the sender's last event).

    python bench/sender_kind.py --days 14
"""

from __future__ import annotations

import argparse
import collections
import sys

from detectors.config import SentinelConfig
from detectors.events import parse_event
from detectors.pipeline import Sentinel
from detectors.sim.shop import generate


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", default="baseline")
    p.add_argument("--days", type=float, default=14)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    events, labels = generate(a.scenario, a.seed, days=a.days, scale=a.scale)
    truth_kind = {}
    for e in events:  # the simulator declares the true kind on about half the events
        if e.get("sender_kind"):
            truth_kind[e["sender"].lower()] = e["sender_kind"]
    s = Sentinel(SentinelConfig(internal_domains=tuple(labels.get("internal_domains", ()))))
    per_event = collections.Counter()
    last = {}
    for raw in events:
        raw = dict(raw)
        raw.pop("sender_kind", None)
        ev = parse_event(raw)
        out = s.process_one(ev)
        truth = truth_kind.get(ev.sender)
        if truth is None or out.duplicate:
            continue
        per_event[(truth, out.kind)] += 1
        last[ev.sender] = (truth, out.kind)
    n = sum(per_event.values())
    ok = per_event[("automated", "automated")] + per_event[("human", "human")]
    print(f"{a.scenario}, {a.days:g} days: {n:,} events with a known true kind, sender_kind removed from all")
    print(f"per event: accuracy {ok / n:.4f}  (truth -> inferred: {dict(per_event)})")
    senders = collections.Counter(last.values())
    ns = sum(senders.values())
    oks = senders[("automated", "automated")] + senders[("human", "human")]
    print(f"per sender (at its last event): {oks}/{ns} right  ({dict(senders)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
