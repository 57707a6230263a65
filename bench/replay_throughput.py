"""Throughput of ``mailflow replay`` on the simulator's mixed traffic (one core).

Writes a scenario to a temporary JSON Lines file, then times the replay path
(read line, parse and validate, every detector, alerts to /dev/null) in this one
process, and prints events/s. Repeats and keeps the best and the median, since a
shared machine is noisy.

    python bench/replay_throughput.py                         # launch-day, 14 days, scale 1
    python bench/replay_throughput.py --scenario baseline --days 35 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

from detectors.cli.replay import replay
from detectors.config import SentinelConfig
from detectors.pipeline import Sentinel
from detectors.sim.shop import simulate


def _reference_us() -> float:
    """Best of 5 timings of ``sum(range(1000))``, µs: how fast this (shared, noisy) machine is right now."""
    import timeit

    return min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", default="launch-day")
    p.add_argument("--days", type=float, default=14)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    print(f"machine speed: sum(range(1000)) takes {_reference_us():.1f} µs now (lower is faster; this VM "
          f"was seen between 14 and 26)", flush=True)
    with tempfile.TemporaryDirectory() as d:
        labels = simulate(a.scenario, a.seed, d, days=a.days, scale=a.scale)
        path = os.path.join(d, "events.jsonl")
        size = os.path.getsize(path)
        rates = []
        for i in range(a.repeat):
            sentinel = Sentinel(SentinelConfig(internal_domains=tuple(labels.get("internal_domains", ()))))
            with open(path, "rb") as fh, open(os.devnull, "wb") as out:
                t0 = time.process_time()
                w0 = time.perf_counter()
                stats = replay(fh, sentinel, out)
                cpu = time.process_time() - t0
                wall = time.perf_counter() - w0
            rate = stats["events"] / cpu
            rates.append(rate)
            print(f"run {i + 1}: {stats['events']:,} events ({size / 1e6:.0f} MB) in {cpu:.2f} s CPU "
                  f"({wall:.2f} s wall): {rate:,.0f} events/s per core; alerts {stats['alerts']}", flush=True)
    print(f"machine speed: sum(range(1000)) takes {_reference_us():.1f} µs now", flush=True)
    print(f"replay throughput ({a.scenario}, {a.days:g} days, scale {a.scale:g}): "
          f"best {max(rates):,.0f}, median {statistics.median(rates):,.0f} events/s per core (CPU time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
