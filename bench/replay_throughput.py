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

from detectors.cli_replay import replay
from detectors.config import SentinelConfig
from detectors.pipeline import Sentinel
from detectors.simulator import simulate


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", default="launch-day")
    p.add_argument("--days", type=float, default=14)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
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
    print(f"replay throughput ({a.scenario}, {a.days:g} days, scale {a.scale:g}): "
          f"best {max(rates):,.0f}, median {statistics.median(rates):,.0f} events/s per core (CPU time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
