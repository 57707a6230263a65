"""Event-to-page latency of the direct push: broker -> worker -(--alertmanager-url)-> Alertmanager -> webhook.

Starts, in a temporary directory, the embedded Tansu broker, one ``mailflow worker``
subprocess posting its detector alerts to Alertmanager (``--alertmanager-url``),
the real Alertmanager with the project's routing (deploy/alertmanager/alertmanager.yml:
receiver URLs pointed at a webhook recorder of this script, every timer as the
project sets it, so the ``group_wait`` of the ``severity="critical"`` route is in
force unless ``--group-wait`` overrides it), and the recorder. Then

1. normal background traffic: shop senders (``shop<k>@example.com``) each mailing a
   shipping notice to one customer, ``--rate`` events/s, event time = now, for
   ``--warmup`` seconds and on until the end;
2. ``--incidents`` incidents, one every ``--interval`` seconds: each a new automated
   sender mailing a passport-photo request to five unrelated customers (the shape of
   ``passport_burst`` in tests/detectors/test_pipeline.py: a critical
   sensitive_request and fanout alert at its first message), ``--burst`` messages;

and measures, per incident, the webhook receipt time of the first page naming the
sender (``/pager/webhook``) minus the time its first event was handed to the
producer (flushed right after). Prints n, p50, p90, p99, max (linear interpolation
between ranks), the same minus the group_wait, and the worker's
``mailflow_alertmanager_push_seconds`` histogram (alert raised -> Alertmanager
accepted it).

    python bench/page_latency.py                    # 30 incidents, the project's group_wait (10s)
    python bench/page_latency.py --group-wait 0s    # Alertmanager notifies a new group at once

Exits 2 with a message when a server (prometheus-alertmanager, the Tansu broker) is missing.
Everything it starts is stopped by its pid at the end (also on SIGTERM).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSPORT_SUBJECT = "Quixotic verification of your order"
PASSPORT_BODY = ("Hello, to verify your order please reply to this email with a photo of your passport. "
                 "Quixotic regards.")
TOPICS = ("mail.outbound", "mail.alerts", "mail.outbound.dlq")


def load_helpers():
    """tests/deploy/e2e_helpers.py (no pytest in it), the helpers of the end-to-end tests."""
    spec = importlib.util.spec_from_file_location("e2e_helpers", ROOT / "tests" / "deploy" / "e2e_helpers.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["e2e_helpers"] = mod
    spec.loader.exec_module(mod)
    return mod


def quantile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def parse_duration(text: str) -> float:
    """Alertmanager/Prometheus durations (``10s``, ``1m30s``, ``500ms``, ``0s``) in seconds."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)", text)
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 10s, 0s, 1m30s)")
    return sum(float(n) * units[u] for n, u in parts)


def duration_arg(text: str) -> str:
    parse_duration(text)
    return text.strip()


class Background(threading.Thread):
    """Normal shop traffic at ``rate`` events/s until stopped; counts what it sent."""

    def __init__(self, producer, rate: float, senders: int, run: str) -> None:
        super().__init__(name="background-traffic", daemon=True)
        self.producer, self.rate, self.senders, self.run_id = producer, rate, senders, run
        self.stop_event = threading.Event()
        self.sent = 0
        self.error: Exception | None = None

    def run(self) -> None:  # noqa: D102 - thread body
        rng = random.Random(7)
        t0 = time.monotonic()
        try:
            while not self.stop_event.is_set():
                due = int((time.monotonic() - t0) * self.rate) + 1
                while self.sent < due:
                    i = self.sent
                    sender = f"shop{i % self.senders}@example.com"
                    ev = {"event_id": f"bg-{self.run_id}-{i}", "ts": round(time.time(), 3), "sender": sender,
                          "to": [f"cust{rng.randrange(10**9)}@gmail.com"], "sender_kind": "automated",
                          "template_id": "shipping", "subject": f"Your order #{10000 + i} has shipped",
                          "body": f"Hello, your parcel #{10000 + i} left our warehouse today. "
                                  "Thank you for shopping with us."}
                    self.producer.send("mail.outbound", key=sender.encode(), value=json.dumps(ev).encode())
                    self.sent += 1
                self.stop_event.wait(0.02)
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            self.error = exc


def incident_events(i: int, run: str, burst: int) -> tuple[str, list[dict]]:
    sender = f"verify-{run}-{i}@example.com"
    out = []
    for m in range(burst):
        out.append({"event_id": f"inc-{run}-{i}-{m}", "ts": round(time.time(), 3), "sender": sender,
                    "to": [f"victim{i}-{m}-{j}@gmail.com" for j in range(5)], "sender_kind": "automated",
                    "subject": PASSPORT_SUBJECT, "body": PASSPORT_BODY})
    return sender, out


def first_pages(received: list, h) -> dict[str, float]:
    """sender -> receipt time of the first pager-webhook notification naming it."""
    out: dict[str, float] = {}
    for _, alert, got in h.pages(received):
        s = alert["labels"].get("sender")
        if s is not None and (s not in out or got < out[s]):
            out[s] = got
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--incidents", type=int, default=30, help="incidents, each a new sender (default 30)")
    ap.add_argument("--interval", type=float, default=3.0, help="seconds between incidents (default 3)")
    ap.add_argument("--burst", type=int, default=3, help="messages per incident (default 3; the first raises)")
    ap.add_argument("--rate", type=float, default=20.0, help="background events/s (default 20)")
    ap.add_argument("--senders", type=int, default=10, help="background senders (default 10)")
    ap.add_argument("--warmup", type=float, default=10.0, help="seconds of background traffic before the first incident")
    ap.add_argument("--group-wait", type=duration_arg, default=None, metavar="DURATION",
                    help="group_wait of the critical route (default: the project's, deploy/alertmanager/alertmanager.yml)")
    ap.add_argument("--resend-interval", type=float, default=None,
                    help="--alertmanager-resend-interval of the worker (default: the worker's)")
    ap.add_argument("--partitions", type=int, default=2)
    ap.add_argument("--page-timeout", type=float, default=60.0,
                    help="seconds past the group_wait to wait for the last page (default 60)")
    ap.add_argument("--workdir", help="keep the servers' files (logs) here instead of a temporary dir")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per incident")
    args = ap.parse_args(argv)
    # SIGTERM (and SIGINT) end the bench through its `finally`s: the servers are stopped by their pids
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    h = load_helpers()
    am_bin = h.alertmanager_binary()
    if not am_bin:
        print("page_latency: the Alertmanager server is missing: no `prometheus-alertmanager` (or `alertmanager`) "
              "on PATH; install it with `make servers` (scripts/install-servers.sh)", file=sys.stderr)
        return 2
    try:
        import yaml  # noqa: F401
        from kafka import KafkaProducer
        from streams.demo.broker import BrokerError, TansuBroker
    except ImportError as exc:
        print(f"page_latency: a dependency is missing ({exc}); install the project with its test extra "
              "(`pip install -e '.[test]'`)", file=sys.stderr)
        return 2

    try:
        am_version = subprocess.run([am_bin, "--version"], capture_output=True, text=True, timeout=10)
        am_version = (am_version.stdout or am_version.stderr).splitlines()[0].strip()
    except (OSError, subprocess.SubprocessError, IndexError):
        am_version = am_bin

    run = uuid.uuid4().hex[:6]
    override = args.group_wait  # as given (Alertmanager parses it; checked by duration_arg)

    with tempfile.TemporaryDirectory(prefix="page-latency-") as tmp:
        work = Path(args.workdir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        broker = TansuBroker()
        try:
            broker.start()
        except (BrokerError, OSError, FileNotFoundError) as exc:
            print(f"page_latency: the embedded Tansu broker could not start: {exc}", file=sys.stderr)
            return 2
        recorder = worker = am = producer = background = None
        try:
            h.create_topics(broker.bootstrap, TOPICS, args.partitions)
            recorder = h.start_recorder()
            cfg = h.alertmanager_config(f"http://127.0.0.1:{recorder.server_port}", critical_group_wait=override)
            route = h.critical_route(cfg)
            gw = h.effective_group_wait(cfg, route)
            gw_s = parse_duration(gw)
            am = h.Alertmanager(am_bin, cfg, work)
            am.start()  # stopped in the finally even when it never gets ready
            port = h.free_port()
            wlog = work / "worker.log"
            cmd = h.worker_command(sys.executable, broker.url, port, f"page-latency-{run}", work / "worker-data",
                                   args.partitions, [am.url], args.resend_interval)
            t_start = time.monotonic()
            worker = h.spawn(cmd, wlog, h.worker_env())

            def ready():
                if worker.poll() is not None:
                    raise h.WaitTimeout(f"worker exited with {worker.returncode}\n{h.tail(wlog)}")
                return h.http_get(f"http://127.0.0.1:{port}/readyz") is not None

            h.wait_for(ready, 120, "the worker's /readyz", diagnostics=lambda: h.tail(wlog))
            print(f"page latency: Tansu broker, 1 worker (--alertmanager-url, {args.partitions} partitions, "
                  f"up in {time.monotonic() - t_start:.1f} s), {am_version}", flush=True)
            print(f"critical route group_wait in force: {gw} "
                  f"({'--group-wait' if override is not None else 'the project’s deploy/alertmanager/alertmanager.yml'}"
                  f"; root route {cfg['route'].get('group_wait')}, group_by {cfg['route'].get('group_by')})", flush=True)
            print(f"background: {args.rate:g} events/s from {args.senders} senders, {args.warmup:g} s warm-up; "
                  f"incidents: {args.incidents}, one every {args.interval:g} s, {args.burst} message(s) each",
                  flush=True)

            producer = KafkaProducer(bootstrap_servers=broker.bootstrap, client_id="page-latency", linger_ms=5,
                                     acks=1, request_timeout_ms=15000)
            background = Background(producer, args.rate, args.senders, run)
            background.start()
            time.sleep(args.warmup)
            producer.flush(timeout=30)
            if background.error is not None or not background.is_alive():
                raise RuntimeError(f"background producer failed: {background.error!r}")
            sent = background.sent
            h.wait_for(lambda: h.events_handled(h.scrape(port)) >= sent, 60,
                       f"the worker to catch up with {sent} background events", diagnostics=lambda: h.tail(wlog))

            t_first: dict[str, float] = {}
            order: list[str] = []
            next_at = time.monotonic()
            for i in range(args.incidents):
                time.sleep(max(0.0, next_at - time.monotonic()))
                next_at += args.interval
                sender, events = incident_events(i, run, args.burst)
                t0 = time.time()
                producer.send("mail.outbound", key=sender.encode(), value=json.dumps(events[0]).encode())
                producer.flush(timeout=30)
                t_first[sender] = t0
                order.append(sender)
                for ev in events[1:]:
                    producer.send("mail.outbound", key=sender.encode(), value=json.dumps(ev).encode())
                if background.error is not None or not background.is_alive():
                    raise RuntimeError(f"background producer failed: {background.error!r}")

            deadline = time.monotonic() + gw_s + args.page_timeout
            while time.monotonic() < deadline:
                if set(order) <= set(first_pages(recorder.received, h)):
                    break
                time.sleep(0.2)
            background.stop_event.set()
            background.join(5)
            got = first_pages(recorder.received, h)
            samples = h.scrape(port)
            if args.verbose:
                print(f"{'incident':>8} {'sender':<34} {'latency_s':>9}")
                for i, s in enumerate(order):
                    lat = f"{got[s] - t_first[s]:9.3f}" if s in got else "  (none)"
                    print(f"{i:>8} {s:<34} {lat}")

            lat = [got[s] - t_first[s] for s in order if s in got]
            missing = [s for s in order if s not in got]
            if lat:
                print(f"event -> page (pager webhook): n={len(lat)} p50={quantile(lat, .5):.3f} "
                      f"p90={quantile(lat, .9):.3f} p99={quantile(lat, .99):.3f} max={max(lat):.3f} s")
                over = [x - gw_s for x in lat]
                print(f"  minus group_wait {gw}: p50={quantile(over, .5):.3f} p90={quantile(over, .9):.3f} "
                      f"p99={quantile(over, .99):.3f} max={max(over):.3f} s")
            if missing:
                print(f"NO PAGE within {gw_s + args.page_timeout:.0f} s for {len(missing)} incident(s): {missing}")

            buckets, count, total = h.histogram(samples, "mailflow_alertmanager_push_seconds")
            qs = " ".join(f"p{int(q * 100)}≈{h.histogram_quantile(q, buckets):.3f}" for q in (.5, .9, .99)) \
                if count else ""
            print(f"worker mailflow_alertmanager_push_seconds (raise -> Alertmanager accepted): count={count:.0f} "
                  f"sum={total:.3f} mean={(total / count if count else 0):.3f} s {qs} (from buckets)")
            print("  buckets (le: cumulative): " + ", ".join(
                f"{'+Inf' if le == float('inf') else f'{le:g}'}: {c:.0f}" for le, c in buckets))
            posts = {r: h.sample(samples, "mailflow_alertmanager_posts_total", result=r) for r in ("ok", "error")}
            pending = h.sample(samples, "mailflow_alertmanager_pending_alerts")
            incident_senders = set(order)
            other_alerts = [a["labels"] for a in am.alerts() if a["labels"].get("sender") not in incident_senders]
            print(f"  posts ok={posts['ok']:.0f} error={posts['error']:.0f}, pending={pending:.0f}; "
                  f"background events {background.sent}; alerts in Alertmanager for background senders: "
                  f"{len(other_alerts)}{' ' + json.dumps(other_alerts)[:300] if other_alerts else ''}")
            return 1 if missing or not lat else 0
        except h.WaitTimeout as exc:
            print(f"page_latency: {exc}", file=sys.stderr)
            return 1
        finally:
            if background is not None:
                background.stop_event.set()
                background.join(5)
            if producer is not None:
                producer.close(timeout=5)
            if worker is not None:
                h.kill(worker)
            if am is not None:
                am.stop()
            if recorder is not None:
                h.stop_recorder(recorder)
            broker.stop()


if __name__ == "__main__":
    sys.exit(main())
