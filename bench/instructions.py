"""Instructions per event of the per-event paths, next to events/s (issues 11 and 15).

Wall-clock rates on a shared VM move by a factor of two with the neighbours' load;
instruction counts do not. This script writes a simulator scenario once, then, for
each path, runs a child process that processes the first ``--events`` events and a
child that loads and prepares the same events but processes none (the same imports,
files and set-up), and prints the difference divided by the number of events: the
cost of one event, set-up excluded. With valgrind installed the
children run under ``valgrind --tool=callgrind`` (the same count on every run); the
events/s figure comes from a separate run without valgrind (CPU time, best of
``--repeat``).

Paths:

* ``replay``: parse and validate one JSON line, then ``Sentinel.process_one`` (what
  ``mailflow replay`` does per line, without writing alerts);
* ``detect``: ``Sentinel.process_one`` on events parsed beforehand (detection only);
* ``worker``: the worker's in-process path, :class:`streams.agents.BatchProcessor`
  with an in-memory store, batches of 500 records, a changelog write of every touched
  sender's state (the state codec) every 10 batches, alerts to a list.

    python bench/instructions.py                          # all paths, 20,000 launch-day events
    python bench/instructions.py --path worker --events 16000
    python bench/instructions.py --no-callgrind           # events/s only
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATHS = ("replay", "detect", "worker")
BATCH = 500
FLUSH_EVERY = 10  # batches


def _config(labels_path: str):
    import orjson

    from detectors.config import SentinelConfig

    with open(labels_path, "rb") as fh:
        labels = orjson.loads(fh.read())
    return SentinelConfig(internal_domains=tuple(labels.get("internal_domains", ())))


def _lines(events_path: str, n: int) -> list[bytes]:
    out = []
    with open(events_path, "rb") as fh:
        for line in fh:
            if len(out) >= n:
                break
            out.append(line)
    return out


def _run_replay(lines, cfg, go: bool = True) -> None:
    from detectors.events import parse_event
    from detectors.pipeline import Sentinel

    s = Sentinel(cfg)
    process = s.process_one
    mb, mr = cfg.max_event_bytes, cfg.max_recipients
    for line in lines if go else ():
        process(parse_event(line, max_bytes=mb, max_recipients=mr))


def _run_detect(lines, cfg, go: bool = True) -> None:
    from detectors.events import parse_event
    from detectors.pipeline import Sentinel

    events = [parse_event(line, max_bytes=cfg.max_event_bytes, max_recipients=cfg.max_recipients) for line in lines]
    s = Sentinel(cfg)
    process = s.process_one
    for e in events if go else ():
        process(e)


class _Store:
    """The memory table as the batch processor sees it: live objects, a changelog that encodes."""

    copies = False

    def __init__(self) -> None:
        from types import SimpleNamespace

        from detectors.statecodec import dumps

        self.data: dict = {}
        self._dumps, self._ns = dumps, SimpleNamespace

    def get(self, key, count_refused=True):
        return self.data.get(key)

    def contains_object(self, key, obj):
        return self.data.get(key) is obj

    def put(self, key, value, partition):
        self.data[key] = value

    def delete(self, key, partition):
        self.data.pop(key, None)

    def send_changelog(self, partition, key, value, **kw):
        return self._ns(message=self._ns(value=self._dumps(value)))

    def items(self):
        return iter(list(self.data.items())), {}


class _Clock:
    def __init__(self) -> None:
        self.now = time.time()
        self.mono = 0.0

    def time(self):
        return self.now

    def monotonic(self):
        return self.mono


def _run_worker(lines, cfg, go: bool = True) -> None:
    from types import SimpleNamespace

    import orjson
    from prometheus_client import CollectorRegistry

    from detectors.pipeline import Sentinel
    from streams.agents import BatchProcessor, Outputs, ProcessorConfig
    from streams.metrics import Metrics

    msgs = []
    for i, line in enumerate(lines):
        key = str(orjson.loads(line).get("sender", "")).encode()
        msgs.append(SimpleNamespace(value=line, key=key, topic="mail.outbound", partition=0, offset=i))
    alerts: list = []

    async def send_dead_letter(**kw):
        return None

    clock = _Clock()
    proc = BatchProcessor(
        sentinel=Sentinel(cfg), store=_Store(),
        outputs=Outputs(send_alert=lambda **kw: alerts.append(kw), send_dead_letter=send_dead_letter),
        metrics=Metrics(CollectorRegistry()), clock=clock,
        config=ProcessorConfig(max_event_bytes=cfg.max_event_bytes, max_recipients=cfg.max_recipients,
                               state_flush_interval=3600.0),
        ack=lambda pending: None, assigned_partitions=lambda: {0},
    )
    for k, i in enumerate(range(0, len(msgs) if go else 0, BATCH), 1):
        proc.handle_messages(msgs[i : i + BATCH])
        clock.mono += 1.0
        if k % FLUSH_EVERY == 0:
            proc.flush_states()
    proc.flush_states()


_RUN = {"replay": _run_replay, "detect": _run_detect, "worker": _run_worker}


def _child(path: str, events_path: str, labels_path: str, n: int, go: bool) -> None:
    sys.path.insert(0, ROOT)
    cfg = _config(labels_path)
    _RUN[path](_lines(events_path, n), cfg, go)


def _callgrind(path: str, events_path: str, labels_path: str, n: int, go: bool, tmp: str) -> int:
    out = os.path.join(tmp, f"cg.{path}.{int(go)}.out")
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-instr=no",
           sys.executable, os.path.abspath(__file__), "--child", path, events_path, labels_path, str(n), str(int(go))]
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONPATH=ROOT)
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            m = re.match(r"(?:summary|totals):\s+(\d+)", line)
            if m:
                return int(m.group(1))
    raise RuntimeError(f"no instruction total in {out}")


def _rate(path: str, lines, cfg, repeat: int) -> float:
    best = 0.0
    for _ in range(repeat):
        t0 = time.process_time()
        _RUN[path](lines, cfg)
        best = max(best, len(lines) / (time.process_time() - t0))
    return best


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        _child(argv[1], argv[2], argv[3], int(argv[4]), argv[5] == "1")
        return 0
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--path", choices=PATHS + ("all",), default="all")
    p.add_argument("--scenario", default="launch-day")
    p.add_argument("--days", type=float, default=14)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--events", type=int, default=20_000)
    p.add_argument("--repeat", type=int, default=3, help="timed runs per path (best is printed)")
    p.add_argument("--no-callgrind", action="store_true", help="events/s only")
    a = p.parse_args(argv)
    sys.path.insert(0, ROOT)
    from detectors.sim.shop import simulate

    paths = PATHS if a.path == "all" else (a.path,)
    use_cg = not a.no_callgrind and shutil.which("valgrind") is not None
    if not use_cg and not a.no_callgrind:
        print("valgrind not found: events/s only (apt-get install valgrind for instruction counts)")
    with tempfile.TemporaryDirectory() as tmp:
        simulate(a.scenario, a.seed, tmp, days=a.days)
        events_path, labels_path = os.path.join(tmp, "events.jsonl"), os.path.join(tmp, "labels.json")
        lines = _lines(events_path, a.events)
        n = len(lines)
        cfg = _config(labels_path)
        print(f"{a.scenario} seed {a.seed}: first {n:,} events; python {sys.version.split()[0]}")
        for path in paths:
            rate = _rate(path, lines, cfg, a.repeat)
            line = f"{path:7s} {rate:>10,.0f} events/s per core (best of {a.repeat})"
            if use_cg:
                full = _callgrind(path, events_path, labels_path, n, True, tmp)
                empty = _callgrind(path, events_path, labels_path, n, False, tmp)
                line += f"  {(full - empty) / n:>10,.0f} instructions/event (callgrind)"
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
