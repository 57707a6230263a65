"""What overlapping the fetch and the detectors in two processes could give, without Faust.

    .venv/bin/python bench/pipelined_ceiling.py [--events 200000] [--runs 2] [--in-flight 4]

A feasibility figure for a worker design that does not exist (see issue 3): in one
process the fetch and the detectors take turns on one interpreter lock, so a
worker is capped at ``1 / (1/bare + 1/detectors)``. Here a bare aiokafka consumer
reads the topic in this process and hands each fetched partition batch (values,
partitions, offsets; pickled) over a pipe to a forked child that runs
``parse_event`` + ``Sentinel.process`` with a state per sender; a reader thread
takes the child's replies, with at most ``--in-flight`` batches outstanding. No
Faust, no changelog writes, no metrics: an upper bound for such a worker on this
machine. Prints the bare consumer's rate, the pipelined rate and their ratio, and
the detectors alone (events per CPU-second) for reference.

A script, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import pickle
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import stream_throughput as st  # noqa: E402
from streams.demo.broker import TansuBroker  # noqa: E402


def _detector_child(conn) -> None:
    from detectors.config import SentinelConfig
    from detectors.events import parse_event
    from detectors.pipeline import Sentinel

    sentinel = Sentinel(SentinelConfig.from_mapping({"internal_domains": ["example.com"]}))
    states: dict = {}
    while True:
        data = conn.recv_bytes()
        if data == b"stop":
            return
        n = 0
        for value, partition, offset in pickle.loads(data):
            e = parse_event(value)
            state = states.get(e.sender)
            if state is None:
                state = states[e.sender] = sentinel.new_state(e.sender)
            sentinel.process(e, state, (partition, offset))
            n += 1
        conn.send_bytes(pickle.dumps(n))


async def _pipelined(bootstrap: str, n: int, conn, in_flight: int) -> float:
    slots = threading.Semaphore(in_flight)
    done = [0, 0.0]

    def reader() -> None:
        while done[0] < n:
            done[0] += pickle.loads(conn.recv_bytes())
            slots.release()
        done[1] = time.perf_counter()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    t_first = None
    async for recs in st.fetched(bootstrap, n):
        if t_first is None:
            t_first = time.perf_counter()
        while not slots.acquire(blocking=False):
            await asyncio.sleep(0.001)
        conn.send_bytes(pickle.dumps([(r.value, r.partition, r.offset) for r in recs], protocol=5))
    await asyncio.get_running_loop().run_in_executor(None, thread.join)
    return n / (done[1] - t_first)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=200_000)
    p.add_argument("--partitions", type=int, default=8)
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--in-flight", type=int, default=4)
    args = p.parse_args(argv)
    events = st.make_events(args.events, 1, 14, 1.0)
    with TansuBroker() as broker:
        st.fill(broker.bootstrap, events, args.partitions)
        for _ in range(args.runs):
            dt, got = st.bare_consumer(broker.bootstrap, len(events))
            bare = got / dt
            parent, child = mp.get_context("fork").Pipe()
            proc = mp.get_context("fork").Process(target=_detector_child, args=(child,))
            proc.start()
            try:
                rate = asyncio.run(_pipelined(broker.bootstrap, len(events), parent, args.in_flight))
            finally:
                parent.send_bytes(b"stop")
                proc.join(30)
            det = st.detectors_only(events, 30_000)
            print(f"bare {bare:,.0f} events/s   fetch | detectors in two processes {rate:,.0f} events/s = "
                  f"{rate / bare:.3f} of bare   (detectors only: {det:,.0f} per CPU-second)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
