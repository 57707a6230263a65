"""Cost per call of ``MailLoop.observe`` and ``Redeliveries.seen_or_add`` (ns), and their sizes.

    .venv/bin/python bench/dedup_loop.py [--n 200000] [--repeat 7]

Each case replays a prepared list of (key, ts) calls through the bound method
(as the pipeline would call it) and prints the median and the best of
``--repeat`` runs in ns per call, less the cost of the bare loop over the same
list (measured the same way and printed first). Cases:

MailLoop (one sender, default parameters):
    ``one-off``   every message to a new recipient (an order-confirmation sender:
                  a miss and an insert each time, the common case for automated mail);
    ``repeat``    60 recipients x 3 templates in turn, each a few times in the window
                  (hits, but 180 keys for 128 entries: some evictions);
    ``churn``     900 keys in turn, each twice in a row: every new key evicts an entry
                  that has repeated (the slow case: a scan of the bucket), every
                  second message is a hit;
    ``loop``      one key over and over (the loop itself).
Redeliveries (one sender, default parameters):
    ``fresh``     increasing ts (the fast path: one set add);
    ``equal-ts``  batches of events sharing one ts (lookups in three generations);
    ``late``      every event a little late (ts below the max: lookups);
    ``redeliver`` re-deliveries of earlier events (hits);
    ``restored``  late new events after a restore from a pickle (a digest per lookup).

Then the memory and pickle sizes: MailLoop after 100,000 distinct keys, and
Redeliveries per id (in memory, restored, pickled).

A script, not a test.
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import statistics
import sys
import time
import tracemalloc
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from detectors.dedup import Redeliveries  # noqa: E402
from detectors.loop import MailLoop  # noqa: E402

T0 = 1_500_000_000.0


def _time(fn, calls, setup, repeat: int) -> list[float]:
    """ns per call for ``fn`` over ``calls`` (a list of argument pairs), ``repeat`` times."""
    out = []
    for _ in range(repeat):
        obj = setup()
        f = fn(obj) if fn else None
        gc.collect()
        gc.disable()
        t = time.perf_counter_ns()
        if f is None:
            for a, b in calls:
                pass
        else:
            for a, b in calls:
                f(a, b)
        out.append((time.perf_counter_ns() - t) / len(calls))
        gc.enable()
    return out


def _row(name: str, runs: list[float], base: float) -> None:
    med, best = statistics.median(runs), min(runs)
    print(f"  {name:<12} median {med - base:7.0f} ns   best {best - base:7.0f} ns   (raw median {med:5.0f})")


def bench_loop(n: int, repeat: int) -> None:
    print("MailLoop.observe, ns per call")
    oneoff = [(f"customer{i}@gmail.com\x1ftpl-order-confirmation", T0 + i * 0.06) for i in range(n)]
    repeat_calls = [(f"user{i % 60}@corp.example\x1ftpl-{i % 3}", T0 + i * 0.5) for i in range(n)]
    churn_calls = [(f"user{(i // 2) % 900}@corp.example\x1ftpl-1", T0 + i * 0.5) for i in range(n)]
    loop_calls = [("bob@example.org\x1fauto-reply", T0 + i * 3.0) for i in range(n)]
    base = statistics.median(_time(None, oneoff, MailLoop, repeat))
    print(f"  {'(bare loop)':<12} median {base:7.0f} ns")
    for name, calls in (("one-off", oneoff), ("repeat", repeat_calls), ("churn", churn_calls), ("loop", loop_calls)):
        _row(name, _time(lambda d: d.observe, calls, MailLoop, repeat), base)


def bench_dedup(n: int, repeat: int) -> None:
    print("Redeliveries.seen_or_add, ns per call")
    ids = [str(uuid.uuid4()) for _ in range(n)]
    fresh = [(ids[i], T0 + i * 0.5) for i in range(n)]
    equal = [(ids[i], T0 + (i // 20) * 10.0) for i in range(n)]
    late = [(ids[i], T0 + i * 0.5 - (1.0 if i % 2 else 0.0)) for i in range(n)]

    def primed():  # the first half seen; re-deliver it
        r = Redeliveries()
        for e, ts in fresh[: n // 2]:
            r.seen_or_add(e, ts)
        return r

    redeliver = fresh[: n // 2]
    blob = pickle.dumps(primed())
    late_after = [(ids[i] + "-x", T0 + i * 0.0001) for i in range(n // 2)]  # all below the max
    base = statistics.median(_time(None, fresh, Redeliveries, repeat))
    print(f"  {'(bare loop)':<12} median {base:7.0f} ns")
    for name, calls, setup in (
        ("fresh", fresh, Redeliveries),
        ("equal-ts", equal, Redeliveries),
        ("late", late, Redeliveries),
        ("redeliver", redeliver, primed),
        ("restored", late_after, lambda: pickle.loads(blob)),
    ):
        _row(name, _time(lambda d: d.seen_or_add, calls, setup, repeat), base)


def _traced(build):
    gc.collect()
    tracemalloc.start()
    obj = build()
    gc.collect()
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return obj, size


def sizes() -> None:
    print("sizes")
    keys = [f"customer{i:06d}@gmail.com\x1ftpl-123456" for i in range(100_000)]  # 35 characters

    def loop_full():
        d = MailLoop()
        for i, k in enumerate(keys):
            d.observe(k, T0 + i * 0.01)  # 100,000 keys in 1000 s: all in the window
        return d

    det, mem = _traced(loop_full)
    print(f"  MailLoop after 100,000 distinct 35-char keys: {len(det)} entries, "
          f"{mem / 1024:.1f} KiB in memory (keys included), pickle {len(pickle.dumps(det))} bytes")

    blob = pickle.dumps(det)
    runs = []
    for _ in range(20):
        d = pickle.loads(blob)
        t = time.perf_counter_ns()
        d._advance(d._next + 3 * d.window_seconds)  # a generation change that drops every entry
        runs.append(time.perf_counter_ns() - t)
    print(f"  MailLoop generation change on a full table (once per window / 2): "
          f"{statistics.median(runs) / 1000:.1f} µs median")

    def loop_quiet():
        d = MailLoop()
        for i in range(10):
            d.observe(f"customer{i:06d}@gmail.com\x1ftpl-12345", T0 + i * 60)
        return d

    det, mem = _traced(loop_quiet)
    print(f"  MailLoop with 10 keys in the window: {mem} bytes in memory, pickle {len(pickle.dumps(det))} bytes")

    n = 150_000

    def dedup_full():
        r = Redeliveries()
        for i in range(n):
            r.seen_or_add(str(uuid.uuid4()), T0 + i * 0.5)
        return r

    r, mem = _traced(dedup_full)
    blob = pickle.dumps(r)
    back, mem_back = _traced(lambda: pickle.loads(blob))
    print(f"  Redeliveries with {len(r)} UUID ids: {mem / len(r):.0f} bytes/id in memory (ids included), "
          f"{mem_back / len(back):.0f} bytes/id restored, pickle {len(blob) / len(r):.2f} bytes/id "
          f"({len(blob)} bytes); coverage {r.coverage_seconds / 3600:.1f} h")
    t = time.perf_counter()
    pickle.dumps(r)
    t1 = time.perf_counter()
    r.seen_or_add("one-more", r.newest_ts + 1)
    pickle.dumps(r)
    t2 = time.perf_counter()
    print(f"  pickling it again: {1e3 * (t1 - t):.0f} ms; after one more event "
          f"(current generation re-hashed, older ones cached): {1e3 * (t2 - t1):.0f} ms")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=200_000, help="calls per run (default 200,000)")
    p.add_argument("--repeat", type=int, default=7, help="runs per case (default 7)")
    a = p.parse_args()
    print(f"Python {sys.version.split()[0]}, {a.n} calls per run, {a.repeat} runs")
    bench_loop(a.n, a.repeat)
    bench_dedup(a.n, a.repeat)
    sizes()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
