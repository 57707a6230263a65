"""Encode and decode time and size of one sender's learned state: pickle (before) and v1 (after).

    .venv/bin/python bench/state_codec.py [--repeat 200] [--rounds 3]

States (realistic, see ``tests/data/state/make_golden.py``):

``care``    the golden automated sender: 434 events of the simulator's id-request-blast
            scenario plus a mail loop and a fan-out (32 templates, 3 with a spike
            detector, 87 loop keys, 4 open episodes, 324 remembered event ids);
``human``   the golden human sender (57 events, 27 templates, the recipients filter);
``orders``  a high-volume automated sender: orders@example.com over 3 simulated days
            (about 3,200 events: many remembered event ids);
``busy``    a sender at 40,000 events a day for a day (the dedup memory near its cap
            of the pipeline's ``dedup_max_ids``: the largest states).

For each, the median of ``--repeat`` calls in µs (the lowest of ``--rounds`` such
medians), and the size in bytes:

* ``pickle``: ``pickle.dumps(state, HIGHEST_PROTOCOL)`` / ``pickle.loads`` (what the
  release before wrote and read: ``streams.models.PickleCodec``);
* ``v1``: ``statecodec.dumps(state)`` / ``statecodec.loads``: what the worker writes
  now (zlib level 1 unless event-id digests are most of the record);
* ``v1 zlib``, ``v1 raw``: the same always with, never with zlib;
* ``legacy``: ``statecodec.loads`` of the pickle: the restricted unpickler plus the
  validation through the v1 codec, paid once per sender, on the first read after the
  upgrade.

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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from detectors import Sentinel, SentinelConfig, parse_event  # noqa: E402
from detectors import statecodec as sc  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "state")


ROUNDS = 3


def median_us(fn, repeat: int) -> float:
    """The median of ``repeat`` calls in µs; the lowest such median of ``ROUNDS`` rounds
    (a shared machine only ever adds time)."""
    fn()
    best = float("inf")
    for _ in range(ROUNDS):
        gc.collect()
        xs = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            xs.append(time.perf_counter() - t)
        best = min(best, statistics.median(xs))
    return best * 1e6


def states() -> dict:
    out = {}
    for name in ("care", "human"):
        with open(os.path.join(DATA, f"{name}.v0.pickle"), "rb") as fh:
            out[name] = sc.loads(fh.read())
    from detectors.sim.shop import generate

    events, _ = generate("id-request-blast", 7, days=3, scale=1.0)
    s = Sentinel(SentinelConfig(internal_domains=("example.com",)))
    st = s.new_state("orders@example.com")
    for k, e in enumerate(e for e in events if e["sender"] == "orders@example.com"):
        s.process(parse_event(e), st, (0, k))
    out["orders"] = st
    busy = s.new_state("alerts@example.com")
    t0 = 1_503_532_800
    for i in range(40_000):
        s.process(parse_event({"event_id": f"<{i}.{i * 7919 % 100_003}@mta.example.com>", "ts": t0 + i * 2.16,
                               "sender": "alerts@example.com", "sender_kind": "automated",
                               "template_id": f"alert-{i % 12}", "to": [f"user{i % 5000}@gmail.com"],
                               "subject": "Your alert", "body": "Something happened on your account."}), busy, (0, i))
    out["busy"] = busy
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    global ROUNDS
    ROUNDS = args.rounds
    print(f"{'state':8} {'format':8} {'bytes':>8} {'encode µs':>10} {'decode µs':>10}")
    for name, st in states().items():
        p = pickle.dumps(st, protocol=pickle.HIGHEST_PROTOCOL)
        v1 = sc.dumps(st)
        raw = sc.dumps(st, compress=False)
        z = sc.dumps(st, compress=True)
        assert sc.dumps(sc.loads(v1)) == v1 and sc.dumps(sc.loads(p)) == v1
        rows = [
            ("pickle", len(p), median_us(lambda: pickle.dumps(st, protocol=pickle.HIGHEST_PROTOCOL), args.repeat),
             median_us(lambda: pickle.loads(p), args.repeat)),
            ("v1", len(v1), median_us(lambda: sc.dumps(st), args.repeat), median_us(lambda: sc.loads(v1), args.repeat)),
            ("v1 zlib", len(z), median_us(lambda: sc.dumps(st, compress=True), args.repeat),
             median_us(lambda: sc.loads(z), args.repeat)),
            ("v1 raw", len(raw), median_us(lambda: sc.dumps(st, compress=False), args.repeat),
             median_us(lambda: sc.loads(raw), args.repeat)),
            ("legacy", len(p), float("nan"), median_us(lambda: sc.loads(p), args.repeat)),
        ]
        for fmt, size, enc, dec in rows:
            print(f"{name:8} {fmt:8} {size:8d} {enc:10.0f} {dec:10.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
