"""Latency the milters add per message: ``mailflow guard --milter-listen --inline`` and ``mailflow tap milter``.

Starts the embedded broker and both milters as subprocesses (as in production), then

1. **protocol round trip**: speaks the MTA side of the milter protocol
   (:class:`streams.taps.milter.MtaClient`, what Postfix 3.7 offers) on one connection and
   times each message from MAIL to the end-of-message verdict: everything the milter
   costs Postfix per message (the guard scores each message inline with the worker's
   detectors; the tap accepts at once and builds and produces the event afterwards);
2. **through Postfix** (root and Debian's postfix only; skipped otherwise): a private
   Postfix (the harness of ``tests/taps/conftest.py``) without and then with
   ``smtpd_milters = inet:<guard> , inet:<tap>``; each message's submission with smtplib
   (``sendmail``, one connection) is timed, and the difference of the medians and the
   p99s is the latency the milters add as a client sees it.

The mix: 20 shop senders sending order confirmations and shipping notices to one customer
each, every 50th message a new template asking five unrelated customers for an ID photo
(held by the guard: quarantine costs the same round trip).

    python bench/guard_milter.py                  # 2000 messages per phase
    python bench/guard_milter.py --messages 5000 --no-postfix

Target (issue 12): the milter adds < 5 ms p99 per message.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DOMAIN = "shop.example.com"


def load_harness():
    spec = importlib.util.spec_from_file_location("taps_harness", ROOT / "tests" / "taps" / "conftest.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["taps_harness"] = mod
    spec.loader.exec_module(mod)
    return mod


def message(i: int, run: str) -> tuple[str, list[str], EmailMessage]:
    m = EmailMessage()
    if i % 50 == 49:
        sender = f"care{i % 3}@{DOMAIN}"
        rcpts = [f"v{i}-{k}@gmail.com" for k in range(5)]
        m["Subject"] = "Verify your account"
        m["X-Template-Id"] = "verify-id"
        body = "Dear customer,\nplease reply with a photo of your passport or ID card.\n"
    else:
        sender = f"orders{i % 20}@{DOMAIN}"
        rcpts = [f"customer{i}@gmail.com"]
        kind = i % 2
        m["Subject"] = f"Your order #{100000 + i} " + ("is confirmed" if kind else "has shipped")
        m["X-Template-Id"] = "order-confirmation" if kind else "order-shipped"
        body = (f"Thank you for your order #{100000 + i}.\nTotal: {20 + i % 9}.90 EUR.\n" +
                "Order line: one item, standard delivery.\n" * 15)
    m["From"] = f"Shop <{sender}>"
    m["To"] = ", ".join(rcpts)
    m["Message-ID"] = f"<bench-{run}-{i}@{DOMAIN}>"
    m["Date"] = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
    m["Auto-Submitted"] = "auto-generated"
    m.set_content(body)
    return sender, rcpts, m


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def summary(ms: list[float]) -> str:
    return (f"p50 {statistics.median(ms):.2f} ms, p90 {pct(ms, 0.9):.2f} ms, p99 {pct(ms, 0.99):.2f} ms, "
            f"max {max(ms):.2f} ms ({len(ms)} messages)")


def start(cmd: list[str], port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        if p.poll() is not None:
            raise RuntimeError(f"{cmd[3:5]} exited: {log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return p
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{cmd[3:5]} did not listen: {log.read_text()}")
            time.sleep(0.1)


def stop(p: subprocess.Popen) -> None:
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


def round_trip(port: int, n: int, run: str, warm: int = 200) -> list[float]:
    from streams.taps.milter import MtaClient

    c = MtaClient("127.0.0.1", port)
    lat = []
    try:
        for i in range(n + warm):
            sender, rcpts, m = message(i, run)
            raw = m.as_bytes()
            t = time.perf_counter()
            c.send_message(sender, rcpts, raw)
            if i >= warm:
                lat.append((time.perf_counter() - t) * 1000)
    finally:
        c.close()
    return lat


def through_postfix(mta, port_plain: int, port_milter: int, n: int, run: str) -> tuple[list[float], list[float]]:
    """Messages alternately to the smtpd without and the smtpd with the milters (same Postfix,
    same moment, so both sides see the same machine load); per-message submission times."""
    plain, milter = [], []
    with smtplib.SMTP("127.0.0.1", port_plain, timeout=60) as s0, smtplib.SMTP("127.0.0.1", port_milter, timeout=60) as s1:
        for i in range(2 * n):
            sender, rcpts, m = message(i, run)
            data = m.as_bytes()
            s, out = (s0, plain) if i % 2 == 0 else (s1, milter)
            t = time.perf_counter()
            s.sendmail(sender, rcpts, data)
            out.append((time.perf_counter() - t) * 1000)
    return plain, milter


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=2000, help="messages per phase (default 2000)")
    ap.add_argument("--no-postfix", action="store_true", help="skip the through-Postfix phase")
    ap.add_argument("--milters", choices=("both", "guard", "tap"), default="both",
                    help="which milters Postfix uses in the through-Postfix phase (default both)")
    args = ap.parse_args(argv)
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # run the clean-up below on a kill by pid

    from streams.demo.broker import TansuBroker, free_port

    base = Path(tempfile.mkdtemp(prefix="mailflow-guard-bench-"))
    broker = TansuBroker().start()
    run = uuid.uuid4().hex[:8]
    common = ["--broker", broker.url, "--internal-domain", DOMAIN, "--metrics-host", "127.0.0.1",
              "--input-topic", f"bench.{run}.in", "--alerts-topic", f"bench.{run}.alerts",
              "--dlq-topic", f"bench.{run}.dlq", "--data-dir", str(base / "data")]
    gport, tport = free_port(), free_port()
    guard = start([sys.executable, "-m", "streams.cli", "guard", "--policy-listen", "none", "--milter-listen",
                   f"127.0.0.1:{gport}", "--inline", "--metrics-port", str(free_port()), *common], gport,
                  base / "guard.log")
    tap = start([sys.executable, "-m", "streams.cli", "tap", "milter", "--listen", f"127.0.0.1:{tport}",
                 "--metrics-port", str(free_port()), *common], tport, base / "tap.log")
    mta = sink = h = None
    try:
        n = args.messages
        print(f"milter protocol round trip, MAIL to end-of-message verdict, one connection, after 200 warm-up messages:")
        g = round_trip(gport, n, run)
        print(f"  mailflow guard --inline: {summary(g)}")
        t = round_trip(tport, n, run + "t")
        print(f"  mailflow tap milter:     {summary(t)}")
        if args.no_postfix or os.geteuid() != 0 or not os.path.exists("/usr/sbin/postfix"):
            print("through Postfix: skipped (needs root and Debian's postfix)")
            return 0
        h = load_harness()
        sink = h.Sink(free_port())
        sink.start()
        pf_base = Path(tempfile.mkdtemp(prefix="mailflow-postfix-bench-"))  # its own 0755 dir (postfix user)
        mta = h.PrivatePostfix(pf_base, smtp_port=free_port(), tap_port=free_port(), sink=sink)
        mta.write_config()
        cfg = str(mta.config_dir)
        # no journal copies here: only the milters' cost is measured
        h._run([h.POSTCONF, "-c", cfg, "-X", "recipient_bcc_maps"])
        # a second smtpd on its own port with the milters; the harness's smtpd has none
        chosen = {"both": [gport, tport], "guard": [gport], "tap": [tport]}[args.milters]
        milter_port = free_port()
        milters = ",".join(f"inet:127.0.0.1:{p}" for p in chosen)
        with open(mta.config_dir / "master.cf", "a") as f:
            f.write(f"127.0.0.1:{milter_port} inet n - n - - smtpd -o smtpd_milters={milters} "
                    f"-o milter_default_action=accept\n")
        h._set_alternate_dirs(h._alternate_dirs() + [cfg])
        mta.start()
        through_postfix(mta, mta.smtp_port, milter_port, 200, run + "w")
        without, with_m = through_postfix(mta, mta.smtp_port, milter_port, n, run + "p")
        print(f"through Postfix, smtplib sendmail per message (MAIL .. end of DATA), alternating between an "
              f"smtpd without and one with the milters:")
        print(f"  without milters:            {summary(without)}")
        print(f"  with {args.milters + ' milter(s)':<22} {summary(with_m)}")
        print(f"  added by the milters: p50 {statistics.median(with_m) - statistics.median(without):+.2f} ms, "
              f"p90 {pct(with_m, 0.9) - pct(without, 0.9):+.2f} ms, p99 {pct(with_m, 0.99) - pct(without, 0.99):+.2f} ms")
        held = len(mta.hold_queue())
        print(f"  held by the guard (inline): {held} messages of {n + 200} through the milters (every 50th is an ID-request blast "
              f"message; later messages of those senders stay held while their hold is open)")
        return 0
    finally:
        stop(guard)
        stop(tap)
        if mta is not None:
            mta.drop_held()
            mta.stop()
            h._set_alternate_dirs([d for d in h._alternate_dirs() if d != str(mta.config_dir)])
            import shutil

            shutil.rmtree(mta.base, ignore_errors=True)
        if sink is not None:
            sink.stop()
        broker.stop()
        import shutil

        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
