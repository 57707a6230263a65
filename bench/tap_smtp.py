"""Throughput of ``mailflow tap smtp`` behind a real Postfix, and the latency it adds.

Starts the embedded broker, an SMTP sink, a private Postfix (the harness of
``tests/taps/conftest.py``: recipient_bcc_maps journal to the tap, relayhost = the sink)
and the tap as a subprocess, then

1. **through Postfix**: submits N messages with smtplib over C parallel connections and
   measures how fast Postfix delivers them to the sink (its own rate) and how fast their
   events reach the input topic through the tap (must keep up);
2. **tap alone**: sends M messages straight to the tap on one connection and measures the
   DATA -> 250 reply time per message (what the tap adds to Postfix's journal delivery:
   parse + produce + broker acknowledgement, acks=all).

    python bench/tap_smtp.py                     # N=2000, C=4, M=500
    python bench/tap_smtp.py --messages 5000 --connections 8

Needs root and Debian's postfix (``bash scripts/install-servers.sh``).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import smtplib
import statistics
import sys
import tempfile
import threading
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def load_harness():
    spec = importlib.util.spec_from_file_location("taps_harness", ROOT / "tests" / "taps" / "conftest.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["taps_harness"] = mod
    spec.loader.exec_module(mod)
    return mod


def message(i: int, run: str) -> EmailMessage:
    m = EmailMessage()
    m["From"] = f"Shop {i % 7} <orders{i % 7}@shop.example>"
    m["To"] = f"customer{i}@customers.example"
    m["Subject"] = f"Your order {i} has shipped"
    m["Message-ID"] = f"<b{i}.{run}@shop.example>"
    m["X-Template-Id"] = "shipped-v2"
    m.set_content(f"Dear customer,\nyour order {i} is on its way.\n" + "Details line.\n" * 20)
    return m


def tap_cpu(tap) -> float:
    """CPU seconds (user + system) the tap process used so far."""
    import os

    fields = Path(f"/proc/{tap.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far (/proc/stat)."""
    import os

    v = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    tck = os.sysconf("SC_CLK_TCK")
    return (sum(v) - idle) / tck, sum(v) / tck


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=2000, help="messages through Postfix (default 2000)")
    ap.add_argument("--connections", type=int, default=4, help="parallel SMTP submissions (default 4)")
    ap.add_argument("--direct", type=int, default=500, help="messages straight to the tap (default 500)")
    ap.add_argument("--tap-concurrency", type=int, default=None,
                    help="Postfix mailflow_tap_destination_concurrency_limit (default: the harness's 4)")
    ap.add_argument("--keep-log", metavar="FILE", help="copy the private Postfix's maillog here at the end")
    ap.add_argument("--timeout", type=float, default=300.0, help="give up after this many seconds per phase")
    args = ap.parse_args(argv)

    h = load_harness()
    from kafka import KafkaConsumer

    from streams.demo.broker import TansuBroker, free_port

    broker = TansuBroker().start()
    sink = h.Sink(free_port())
    sink.start()
    base = Path(tempfile.mkdtemp(prefix="mailflow-postfix-bench-"))
    mta = h.PrivatePostfix(base, smtp_port=free_port(), tap_port=free_port(), sink=sink)
    mta.write_config()
    cfg = str(mta.config_dir)
    if args.tap_concurrency:
        h._run([h.POSTCONF, "-c", cfg, "-e", f"mailflow_tap_destination_concurrency_limit = {args.tap_concurrency}"])
    dirs = h._alternate_dirs()
    h._set_alternate_dirs(dirs + [cfg])
    run = uuid.uuid4().hex[:8]
    topic, dlq = f"bench.tap.{run}.in", f"bench.tap.{run}.dlq"
    tap = None
    try:
        mta.start()
        h.create_topics(broker.bootstrap, topic, dlq)
        tap = h.TapProcess(mta.tap_port, broker.url, free_port(), ["--input-topic", topic, "--dlq-topic", dlq],
                           log_path=base / "tap.log").start()
        consumer = KafkaConsumer(topic, bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest",
                                 enable_auto_commit=False, group_id=None)
        seen: set[bytes] = set()
        stop = threading.Event()
        first_event_at: list[float] = []

        def consume() -> None:
            while not stop.is_set():
                for batch in consumer.poll(timeout_ms=200).values():
                    for r in batch:
                        seen.add(r.value[:60])
                        if not first_event_at:
                            first_event_at.append(time.monotonic())

        ct = threading.Thread(target=consume, daemon=True)
        ct.start()

        # 1. through Postfix
        n, c = args.messages, args.connections
        cpu0 = tap_cpu(tap)
        busy0, total0 = machine_busy()
        msgs = [message(i, run) for i in range(n)]
        t0 = time.monotonic()

        def submit(part: list[EmailMessage]) -> None:
            with smtplib.SMTP("127.0.0.1", mta.smtp_port, timeout=60) as s:
                for m in part:
                    s.send_message(m)

        threads = [threading.Thread(target=submit, args=(msgs[k::c],)) for k in range(c)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        t_submitted = time.monotonic() - t0
        sink.wait_for(lambda ms: len(ms) >= n, timeout=args.timeout)
        t_sink = time.monotonic() - t0
        deadline = time.monotonic() + args.timeout
        while len(seen) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        t_events = time.monotonic() - t0
        cpu1 = tap_cpu(tap)
        busy1, total1 = machine_busy()
        conc = h._run([h.POSTCONF, "-c", cfg, "-h", "mailflow_tap_destination_concurrency_limit"]).stdout.strip()
        print(f"through Postfix: {n} messages, {c} submitting connections, "
              f"mailflow_tap_destination_concurrency_limit = {conc}")
        print(f"  submitted in {t_submitted:.2f}s ({n / t_submitted:,.0f} msg/s accepted by Postfix)")
        print(f"  all at the sink after {t_sink:.2f}s ({n / t_sink:,.0f} msg/s delivered by Postfix)")
        print(f"  all {len(seen)} events on the input topic after {t_events:.2f}s "
              f"({len(seen) / t_events:,.0f} events/s through the tap; "
              f"{'keeps up' if t_events <= t_sink * 1.1 + 1 else 'falls behind'} with Postfix)")
        print(f"  tap CPU: {(cpu1 - cpu0) / n * 1000:.2f} ms per message "
              f"({(cpu1 - cpu0) / t_events:.0%} of a core over the run); whole machine "
              f"{(busy1 - busy0) / (total1 - total0):.0%} busy ({os.cpu_count()} cores: Postfix, broker, "
              f"tap and this load generator with the sink), {(busy1 - busy0) / n * 1000:.1f} ms CPU per message in all")

        # 2. the tap alone: DATA -> 250 per message
        lat: list[float] = []
        with smtplib.SMTP("127.0.0.1", mta.tap_port, timeout=60) as s:
            s.ehlo()
            for i in range(args.direct):
                m = message(100_000 + i, run)
                data = m.as_bytes(policy=m.policy.clone(linesep="\r\n"))
                s.mail("orders@shop.example")
                s.rcpt(f"journal+customer{i}=customers.example@{h.JOURNAL_DOMAIN}")
                t = time.perf_counter()
                code, _ = s.data(data)
                lat.append(time.perf_counter() - t)
                assert code == 250, code
        ms = [x * 1000 for x in lat]
        print(f"tap alone: {len(ms)} messages on one connection, DATA to 250 (parse + produce + ack, acks=all):")
        print(f"  p50 {statistics.median(ms):.2f} ms, p90 {pct(ms, 0.9):.2f} ms, p99 {pct(ms, 0.99):.2f} ms, "
              f"max {max(ms):.2f} ms; {len(ms) / sum(lat):,.0f} msg/s sequential")
        stop.set()
        ct.join(2)
        consumer.close()
        produced = tap.metric("mailflow_tap_messages_total", 'result="produced"')
        deferred = tap.metric("mailflow_tap_messages_total", 'result="deferred"')
        print(f"tap metrics: produced {produced:.0f}, deferred {deferred:.0f}")
        return 0
    finally:
        if tap is not None:
            tap.stop()
        mta.stop()
        if args.keep_log:
            Path(args.keep_log).write_text(mta.log_text())
        h._set_alternate_dirs([d for d in h._alternate_dirs() if d != cfg])
        sink.stop()
        broker.stop()
        import shutil

        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
