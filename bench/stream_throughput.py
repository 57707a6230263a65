"""Stream throughput: a bare Kafka consumer against one worker running the detectors.

    .venv/bin/python bench/stream_throughput.py [--events 200000] [--partitions 8] [--workers 1]
                                                [--profile none|py-spy|cprofile]

1. starts the embedded Tansu broker and fills the input topic with N
   simulator events (a simulated base set, replicated with fresh event ids and
   shifted times so that every sender keeps a realistic history);
2. (a) reads the whole topic with a bare aiokafka consumer that decodes each
   value as JSON: the ceiling the transport allows;
3. (b) runs one ``mailflow worker`` subprocess on the same topic and follows
   ``mailflow_events_processed_total`` on its /metrics, from the first to the
   last processed event;
   It also reports events per CPU-second of the worker process (user + system
   time of all its threads, from /proc): on a busy, shared machine that figure
   is steadier than the wall-clock rate;
4. (c) for reference, the detectors alone in-process (``parse_event`` +
   ``Sentinel.process_one``) on the same events, no Kafka, in events per
   CPU-second of this process, and the ratios worker / detectors-only;
5. prints the figures, the ratios and the ceiling of a one-process worker
   (``1 / (1/bare + 1/detectors-only)``: in one process the fetch and the
   detectors share one interpreter lock, so their per-event times add up); with
   ``--workers N`` several worker processes share the topic in one consumer
   group (their counts summed); with ``--profile`` the worker runs under
   py-spy (``--profile py-spy``, writes a speedscope/flamegraph file and a
   top-functions table) or cProfile (``--profile cprofile``, prints the top
   functions by own and cumulative time).

A script, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from types import SimpleNamespace

import orjson

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from streams.demo.broker import TansuBroker, free_port  # noqa: E402
from streams.produce import make_producer, sender_key  # noqa: E402

TOPIC = "bench.outbound"


def make_events(n: int, seed: int, base_days: float, scale: float) -> list[bytes]:
    """N simulator events: a base scenario replicated with shifted time and fresh ids."""
    from detectors.sim.shop import generate

    base, labels = generate("baseline", seed, days=base_days, scale=scale)
    span = float(labels["end_ts"]) - float(labels["start_ts"])
    out: list[bytes] = []
    k = 0
    while len(out) < n:
        shift = k * span
        for ev in base:
            if len(out) >= n:
                break
            e = dict(ev)
            ts = e["ts"]
            if isinstance(ts, str):
                from datetime import datetime

                ts = datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
            e["ts"] = ts + shift
            e["event_id"] = f"{e['event_id']}#{k}"
            out.append(orjson.dumps(e))
        k += 1
    return out


def fill(bootstrap: str, events: list[bytes], partitions: int) -> float:
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(TOPIC, partitions, 1)])
    admin.close()
    producer = make_producer([bootstrap], linger_ms=5)
    t0 = time.perf_counter()
    for raw in events:
        producer.send(TOPIC, value=raw, key=sender_key(raw))
    producer.flush(timeout=300)
    dt = time.perf_counter() - t0
    producer.close()
    return dt


async def fetched(bootstrap: str, n: int):
    """The topic's records, one fetched partition batch at a time, until ``n`` were
    yielded: a bare aiokafka consumer with big fetches, no group, no commits."""
    from aiokafka import AIOKafkaConsumer

    c = AIOKafkaConsumer(TOPIC, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
                         enable_auto_commit=False, max_poll_records=2000, fetch_max_bytes=50 * 1024 * 1024,
                         max_partition_fetch_bytes=8 * 1024 * 1024)
    await c.start()
    got = 0
    try:
        while got < n:
            batch = await c.getmany(timeout_ms=1000, max_records=2000)
            for records in batch.values():
                yield records
                got += len(records)
    finally:
        await c.stop()


async def _bare_consume(bootstrap: str, n: int) -> tuple[float, int]:
    got = 0
    t_first = t_last = None
    loads = orjson.loads
    async for records in fetched(bootstrap, n):
        if t_first is None:
            t_first = time.perf_counter()
        for r in records:
            loads(r.value)
        got += len(records)
        if got >= n:
            t_last = time.perf_counter()
    if t_first is None or t_last is None:
        return 0.0, got
    return t_last - t_first, got


def bare_consumer(bootstrap: str, n: int) -> tuple[float, int]:
    return asyncio.run(_bare_consume(bootstrap, n))


_METRIC_RE = re.compile(rb"^mailflow_events_processed_total(?:\{\})? ([0-9.e+]+)$", re.M)
_REJ_RE = re.compile(rb"^mailflow_events_(?:rejected|duplicate)_total(?:\{[^}]*\})? ([0-9.e+]+)$", re.M)


def scrape(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            body = r.read()
    except Exception:
        return None
    m = _METRIC_RE.search(body)
    if not m:
        return None
    return int(float(m.group(1))) + sum(int(float(x)) for x in _REJ_RE.findall(body))


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` (all its threads), from /proc; ``None`` if unavailable."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def run_worker(url: str, n: int, partitions: int, profile: str, outdir: str, timeout: float, workers: int = 1,
               trivial: bool = False) -> dict:
    app_id = f"bench-{os.getpid()}-{int(time.time())}{'-trivial' if trivial else ''}"
    ports = [free_port() for _ in range(workers)]
    procs = []
    for i, port in enumerate(ports):
        args = ["worker", "--broker", url, "--metrics-port", str(port), "--metrics-host", "127.0.0.1",
                "--app-id", app_id, "--input-topic", TOPIC, "--alerts-topic", "bench.alerts", "--dlq-topic", "bench.dlq",
                "--partitions", str(partitions), "--data-dir", os.path.join(outdir, f"data{i}"),
                "--internal-domain", "example.com", "--log-level", "warning"]
        procs.append(_start_worker(args, profile if i == 0 else "none", outdir, i, trivial))
    return _follow(procs, ports, n, profile, timeout)


def _start_worker(args: list[str], profile: str, outdir: str, i: int, trivial: bool = False):
    prof_out = None
    if trivial:  # this script's own trivial worker: the same app, detectors replaced by orjson.loads
        cmd = [sys.executable, os.path.abspath(__file__), "--trivial-worker", *args[1:]]
    elif profile == "cprofile":
        prof_out = os.path.join(outdir, "worker.prof")
        cmd = [sys.executable, "-m", "cProfile", "-o", prof_out, "-m", "streams.cli", *args]
    elif profile == "py-spy":
        prof_out = os.path.join(outdir, "worker.speedscope.json")
        spy = os.path.join(os.path.dirname(sys.executable), "py-spy")
        cmd = [spy, "record", "--format", "speedscope", "-o", prof_out, "--rate", "200", "--nonblocking", "--",
               sys.executable, "-m", "streams.cli", *args]
    else:
        cmd = [sys.executable, "-m", "streams.cli", *args]
    log_path = os.path.join(outdir, f"{'trivial' if trivial else 'worker'}{i or ''}.log")
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return SimpleNamespace(proc=proc, log=log, log_path=log_path, prof_out=prof_out)


def _follow(workers: list, ports: list[int], n: int, profile: str, timeout: float) -> dict:
    """Scrape every worker's /metrics until together they processed ``n`` events; then stop them."""
    t_start = time.perf_counter()
    urls = [f"http://127.0.0.1:{port}/metrics" for port in ports]
    last = [0] * len(urls)
    t_first = t_last = None
    first_count = 0
    samples: list[tuple[float, int]] = []
    deadline = time.perf_counter() + timeout
    count = 0
    cpu_first = cpu_last = None

    def cpu() -> float | None:
        if profile != "none":
            return None
        vals = [_cpu_seconds(w.proc.pid) for w in workers]
        return None if any(v is None for v in vals) else sum(vals)

    try:
        while time.perf_counter() < deadline and all(w.proc.poll() is None for w in workers):
            for k, url in enumerate(urls):
                c = scrape(url)
                if c is not None:
                    last[k] = c
            c = sum(last)
            now = time.perf_counter()
            if c > 0 and t_first is None:
                t_first, first_count = now, c
                cpu_first = cpu()
            if c != count:
                samples.append((now, c))
            count = c
            if c >= n:
                t_last = now
                cpu_last = cpu()
                break
            time.sleep(0.5)  # a /metrics scrape costs ~10 ms of worker CPU: do not scrape too often
    finally:
        # SIGINT: Faust shuts down cleanly and py-spy / cProfile write their output
        for w in workers:
            try:
                os.killpg(w.proc.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
        for w in workers:
            try:
                w.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(w.proc.pid, signal.SIGKILL)
                w.proc.wait()
            w.log.close()
    res = {"count": count, "t_start": t_start, "t_first": t_first, "t_last": t_last, "samples": samples,
           "profile": workers[0].prof_out, "log": workers[0].log_path}
    if t_first is not None and t_last is not None and t_last > t_first:
        res["rate"] = (count - first_count) / (t_last - t_first)
        res["startup"] = t_first - t_start
        if cpu_first is not None and cpu_last is not None and cpu_last > cpu_first:
            res["cpu_rate"] = (count - first_count) / (cpu_last - cpu_first)
    return res


def trivial_worker(argv: list[str]) -> int:
    """``mailflow worker`` with the detectors replaced by ``orjson.loads``: the cost of the
    worker's own plumbing (Faust, the bulk reader, acks, commits, metrics) alone."""
    from streams.app import create_app
    from streams.settings import parse_settings
    from streams.worker import serve_metrics

    mapp = create_app(parse_settings(argv, {}))
    processed = mapp.metrics.events_processed
    loads = orjson.loads

    def handle_messages(batch) -> None:
        for m in batch:
            loads(m.value)
        processed.inc(len(batch))

    mapp.processor.handle_messages = handle_messages  # read by the bulk reader when it starts
    serve_metrics(mapp.metrics.registry, mapp.settings)
    try:
        mapp.make_worker().execute_from_commandline()
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) or exc.code is None else 1
    return 0


def detectors_only(events: list[bytes], limit: int) -> float:
    from detectors.config import SentinelConfig
    from detectors.events import parse_event
    from detectors.pipeline import Sentinel

    s = Sentinel(SentinelConfig.from_mapping({"internal_domains": ["example.com"]}))
    sample = events[:limit]
    t0 = time.process_time()
    for raw in sample:
        s.process_one(parse_event(raw))
    return len(sample) / (time.process_time() - t0)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--trivial-worker"]:
        return trivial_worker(argv[1:])
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=200_000)
    p.add_argument("--partitions", type=int, default=8)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--base-days", type=float, default=14)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--workers", type=int, default=1, help="worker processes in one consumer group (default 1)")
    p.add_argument("--profile", choices=("none", "py-spy", "cprofile"), default="none")
    p.add_argument("--timeout", type=float, default=1800.0, help="max seconds for the worker run")
    p.add_argument("--detector-sample", type=int, default=30_000, help="events for the in-process reference (0: skip)")
    p.add_argument("--out", default=None, help="directory for the worker log and profile (default: a temp dir)")
    p.add_argument("--trivial", action="store_true",
                   help="also run (d): the same worker with the detectors replaced by orjson.loads")
    args = p.parse_args(argv)
    outdir = args.out or tempfile.mkdtemp(prefix="mailflow-bench-")
    os.makedirs(outdir, exist_ok=True)

    t0 = time.perf_counter()
    events = make_events(args.events, args.seed, args.base_days, args.scale)
    size = sum(map(len, events)) / len(events)
    print(f"events      {len(events):,} simulator events, mean {size:,.0f} bytes, generated in {time.perf_counter() - t0:.1f}s")

    with TansuBroker() as broker:
        print(f"broker      {broker.url} (Tansu, memory), {args.partitions} partitions")
        dt = fill(broker.bootstrap, events, args.partitions)
        print(f"fill        {len(events) / dt:,.0f} events/s (kafka-python producer)")

        dt, got = bare_consumer(broker.bootstrap, len(events))
        bare = got / dt if dt > 0 else float("inf")
        print(f"(a) bare    {bare:,.0f} events/s  aiokafka consumer + orjson.loads ({got:,} events in {dt:.1f}s)")

        res = run_worker(broker.url, len(events), args.partitions, args.profile, outdir, args.timeout, args.workers)
        if "rate" in res:
            print(f"(b) worker  {res['rate']:,.0f} events/s  {args.workers} worker process(es) in one group, detectors on, first to last processed event "
                  f"({res['count']:,} events in {res['t_last'] - res['t_first']:.1f}s; start-up {res['startup']:.1f}s)")
            print(f"    ratio   worker / bare = {res['rate'] / bare:.3f}  (bare is {bare / res['rate']:.1f}x faster)")
            if "cpu_rate" in res:
                print(f"    worker  {res['cpu_rate']:,.0f} events per CPU-second of the worker process (all threads; "
                      f"robust to a busy machine)")
        else:
            print(f"(b) worker  did not finish: {res['count']:,} of {len(events):,} processed; log {res['log']}")
        if len(res["samples"]) > 4:
            s = res["samples"]
            steady = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(s, s[1:]) if b[0] > a[0]]
            steady.sort()
            print(f"    rate over 0.5s scrapes: median {steady[len(steady) // 2]:,.0f}, p90 {steady[int(len(steady) * 0.9)]:,.0f} events/s")
        if args.trivial:
            tri = run_worker(broker.url, len(events), args.partitions, "none", outdir, args.timeout, args.workers, trivial=True)
            if "rate" in tri:
                print(f"(d) trivial {tri['rate']:,.0f} events/s  the same worker, detectors replaced by orjson.loads "
                      f"({tri['count']:,} events in {tri['t_last'] - tri['t_first']:.1f}s): "
                      f"{tri['rate'] / bare:.3f} of bare")
            else:
                print(f"(d) trivial did not finish: {tri['count']:,} of {len(events):,} processed; log {tri['log']}")
    if args.detector_sample:
        r = detectors_only(events, args.detector_sample)
        print(f"(c) detectors only, in-process, no Kafka: {r:,.0f} events per CPU-second (parse_event + Sentinel.process_one, "
              f"{min(args.detector_sample, len(events)):,} events)")
        if "rate" in res:
            print(f"    worker / detectors-only = {res['rate'] / r:.3f} (wall)"
                  + (f", {res['cpu_rate'] / r:.3f} (CPU)" if "cpu_rate" in res else ""))
        if bare and bare != float("inf"):
            # in one process the fetch (what the bare consumer does) and the detectors share
            # one interpreter lock: per event their times add up, whatever Faust costs on top
            ceiling = 1.0 / (1.0 / bare + 1.0 / r)
            print(f"    ceiling of one worker process = 1 / (1/bare + 1/detectors-only) = {ceiling:,.0f} events/s, "
                  f"{ceiling / bare:.3f} of bare")
    if res.get("profile"):
        print(f"profile     {res['profile']}")
        if args.profile == "cprofile" and os.path.exists(res["profile"]):
            import pstats

            st = pstats.Stats(res["profile"])
            st.sort_stats("tottime").print_stats(25)
            st.sort_stats("cumulative").print_stats(40)
    print(f"worker log  {res['log']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
