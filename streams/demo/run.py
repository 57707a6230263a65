"""``mailflow demo``: the command -- options, the demo's steps in order, the accelerated playback.

The steps: the broker (embedded unless ``--broker``), the topics, one worker
subprocess, the scenario (generated while the worker boots), the alert reader,
the playback, the catch-up, the verdict; then the worker and the broker are
stopped, in that order, however the demo ends.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from typing import Any

from detectors.errors import ConfigError

from ..produce import make_producer
from ..settings import ALERTS_TOPIC, DLQ_TOPIC, INPUT_TOPIC, parse_broker_url
from .admin import create_topics, group_lag, metrics_up, port_free
from .broker import TansuBroker, free_port
from .console import Printer, Style, day_hhmm, format_alert, hhmm
from .process import WorkerProcess
from .scenario import Scenario, load_scenario, ramp_ratios
from .verdict import verdict
from .watch import AlertReader

__all__ = ["main", "build_parser", "validate", "Demo"]

DEFAULT_METRICS_PORT = 9108
WALL_SECONDS_PER_SIM_HOUR = 10.0


def build_parser() -> argparse.ArgumentParser:
    """The options of ``mailflow demo``."""
    p = argparse.ArgumentParser(
        prog="mailflow demo",
        description="Everything on one machine: embedded broker, a worker with /metrics, the launch-day "
        "scenario played at an accelerated clock, alerts printed as they fire.",
    )
    p.add_argument("--broker", default=None, help="use this Kafka broker instead of starting the embedded one")
    p.add_argument("--metrics-port", type=int, default=None,
                   help=f"port of the worker's /metrics (default {DEFAULT_METRICS_PORT}, or a free one if taken)")
    p.add_argument("--speed", type=float, default=1.0,
                   help="clock acceleration: the launch day plays at one simulated hour per 10/SPEED seconds (default 1)")
    p.add_argument("--seed", type=int, default=7, help="simulator seed (default 7)")
    p.add_argument("--no-color", action="store_true", help="no ANSI colours (also when stdout is not a terminal or NO_COLOR is set)")
    p.add_argument("--days", type=int, default=8, help=argparse.SUPPRESS)  # warm-up days + launch day
    p.add_argument("--scale", type=float, default=0.1, help=argparse.SUPPRESS)
    p.add_argument("--partitions", type=int, default=4, help=argparse.SUPPRESS)
    p.add_argument("--stay", action="store_true",
                   help="keep broker, worker and /metrics running after the verdict until Ctrl-C")
    return p


def validate(args: argparse.Namespace) -> list[str]:
    """Every problem with the options (empty: fine); sets ``args.bootstrap`` from ``--broker``."""
    problems = []
    if args.broker is not None:
        try:
            args.bootstrap = parse_broker_url(args.broker)
        except ValueError as exc:
            problems.append(f"--broker: {exc}")
    if args.metrics_port is not None and not 1 <= args.metrics_port <= 65535:
        problems.append(f"--metrics-port: {args.metrics_port} is not a port number (1-65535)")
    if not (args.speed > 0) or args.speed == float("inf"):
        problems.append(f"--speed: must be a positive number, got {args.speed!r}")
    if args.seed < 0:
        problems.append(f"--seed: must be >= 0, got {args.seed}")
    if not 2 <= args.days <= 60:
        problems.append(f"--days: must be between 2 and 60, got {args.days}")
    if not (0 < args.scale <= 100):
        problems.append(f"--scale: must be in (0, 100], got {args.scale!r}")
    if not 1 <= args.partitions <= 64:
        problems.append(f"--partitions: must be between 1 and 64, got {args.partitions}")
    return problems


def _internal_domain() -> str:
    try:
        from detectors.sim.shop import INTERNAL_DOMAIN
    except ImportError:  # pragma: no cover
        return "example.com"
    return INTERNAL_DOMAIN


class _Stop(Exception):
    """SIGTERM received."""


class Demo:
    """One run of the demo; :meth:`run` returns the exit status.

    Parameters
    ----------
    args
        Validated options (:func:`build_parser`, :func:`validate`).

    """

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        color = not args.no_color and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        self.style = Style(color)
        self.out = Printer(self.style)
        self.broker: TansuBroker | None = None
        self.worker: WorkerProcess | None = None
        self.reader: AlertReader | None = None
        self.producer = None
        self.tmpdir = tempfile.mkdtemp(prefix="mailflow-demo-")
        self.alerts: list[dict[str, Any]] = []
        self._alerts_lock = threading.Lock()
        self.sent = 0
        self.sent_until: float | None = None

    # -- alerts ---------------------------------------------------------------
    def on_alert(self, alert: dict[str, Any]) -> None:
        """Keep ``alert`` for the verdict and print it."""
        with self._alerts_lock:
            self.alerts.append(alert)
        self.out(format_alert(alert, self.style))

    # -- lifecycle ------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop the reader, the producer, the worker, then the broker; idempotent."""
        if self.reader is not None:
            self.reader.stop()
            self.reader = None
        if self.producer is not None:
            try:
                self.producer.close(timeout=2)
            except Exception:
                pass
            self.producer = None
        if self.worker is not None:
            pid = self.worker.pid
            self.worker.stop()
            self.worker = None
            self.out(f"worker stopped (pid {pid})", "dim")
        if self.broker is not None:
            pid = self.broker.pid
            self.broker.stop()
            self.broker = None
            self.out(f"broker stopped (pid {pid})", "dim")
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def run(self) -> int:
        """The whole demo: 0 when it reached its verdict, 130/143 when interrupted, 1 on an error."""
        out = self.out
        atexit.register(self.shutdown)
        previous = signal.getsignal(signal.SIGTERM)

        def on_term(signum, frame):
            raise _Stop()

        signal.signal(signal.SIGTERM, on_term)
        status = 0
        try:
            self._steps()
        except KeyboardInterrupt:
            out("\ninterrupted: stopping the worker, then the broker", "yellow")
            status = 130
        except _Stop:
            out("terminated: stopping the worker, then the broker", "yellow")
            status = 143
        except Exception as exc:
            out(f"mailflow demo: {exc}", "bold", "red")
            status = 1
        finally:
            # a second Ctrl-C during shutdown must not leave processes behind
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            try:
                self.shutdown()
            finally:
                signal.signal(signal.SIGINT, signal.default_int_handler)
                signal.signal(signal.SIGTERM, previous)
        return status

    def _steps(self) -> None:
        args = self.args
        out = self.out
        out("mailflow demo: embedded broker, one worker, the launch-day scenario", "bold")
        url, bootstrap = self._start_broker()
        create_topics(bootstrap, (INPUT_TOPIC, ALERTS_TOPIC, DLQ_TOPIC), args.partitions)
        app_id, metrics_url = self._start_worker(url)
        t0 = time.monotonic()
        scenario = self._load()  # generated while the worker boots
        self.reader = AlertReader(bootstrap, ALERTS_TOPIC, self.on_alert)
        self.reader.start()
        self._wait_ready(metrics_url)
        out(f"worker ready after {time.monotonic() - t0:.1f}s; playing the scenario "
            f"(launch day at 1 simulated hour per {WALL_SECONDS_PER_SIM_HOUR / args.speed:g}s)", "bold")
        self.producer = make_producer(bootstrap, timeout=10.0, linger_ms=2)
        self.play(scenario)
        self.producer.flush(timeout=30)
        out("scenario sent; waiting for the worker to catch up...", "dim")
        lag = self._catch_up(bootstrap, app_id)
        self._verdict(scenario, lag)
        if args.stay:
            out(f"still running: {metrics_url}  (Ctrl-C to stop)", "bold")
            while self.worker is not None and self.worker.alive():
                time.sleep(0.5)

    def _start_broker(self) -> tuple[str, list[str]]:
        """The embedded broker, or the external one: its URL and bootstrap list."""
        if self.args.broker is None:
            self.broker = TansuBroker(log_path=os.path.join(self.tmpdir, "broker.log")).start()
            url, bootstrap = self.broker.url, [self.broker.bootstrap]
            self.out(f"broker   {url} (embedded Tansu, memory only, pid {self.broker.pid})")
        else:
            bootstrap = self.args.bootstrap
            url = "kafka://" + ",".join(bootstrap)
            self.out(f"broker   {url} (external)")
        return url, bootstrap

    def _start_worker(self, url: str) -> tuple[str, str]:
        """Start the worker subprocess: its app id (consumer group) and ``/metrics`` URL."""
        args = self.args
        port = args.metrics_port or (DEFAULT_METRICS_PORT if port_free(DEFAULT_METRICS_PORT) else free_port())
        app_id = "mailflow-demo" if args.broker is None else f"mailflow-demo-{os.getpid()}-{int(time.time())}"
        wlog = os.path.join(self.tmpdir, "worker.log")
        self.worker = WorkerProcess(
            ["--broker", url, "--metrics-port", str(port), "--metrics-host", "127.0.0.1",
             "--partitions", str(args.partitions), "--app-id", app_id,
             "--data-dir", os.path.join(self.tmpdir, "worker-data"),
             "--input-topic", INPUT_TOPIC, "--alerts-topic", ALERTS_TOPIC, "--dlq-topic", DLQ_TOPIC,
             "--expire-interval", "2", "--lag-interval", "2", "--internal-domain", _internal_domain()],
            wlog,
        ).start()
        metrics_url = f"http://127.0.0.1:{port}/metrics"
        self.out(f"worker   pid {self.worker.pid}, log {wlog}")
        self.out(f"metrics  {metrics_url}", "bold")
        return app_id, metrics_url

    def _load(self) -> Scenario:
        """Generate the scenario and list what is in it."""
        args = self.args
        out = self.out
        t0 = time.monotonic()
        scenario = load_scenario(args.seed, args.days, args.scale)
        n_warm = sum(1 for r in scenario.records if r[0] < scenario.launch_start)
        out(f"scenario launch-day, seed {args.seed}: {len(scenario.records):,} events "
            f"({n_warm:,} warm-up over {args.days - 1} days, then the launch day), "
            f"generated in {time.monotonic() - t0:.1f}s")
        for lb in scenario.labels:
            tag = "benign" if lb.benign else "incident"
            when = f" from sim {hhmm(lb.start)}" if lb.start else ""
            out(f"  {tag:<8} {lb.name}" + (f" ({lb.sender}){when}" if lb.sender else when), "dim")
        return scenario

    def _check_worker(self, during: str = "") -> None:
        if self.worker is not None and not self.worker.alive():
            raise RuntimeError(f"the worker exited (code {self.worker.proc.returncode}){during}:\n"
                               f"{self.worker.log_tail()}")

    def _wait_ready(self, metrics_url: str) -> None:
        """Wait (up to 90 s) until the worker serves its metrics."""
        deadline = time.monotonic() + 90
        while not metrics_up(metrics_url):
            self._check_worker(" during start-up")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not serve {metrics_url} within 90s:\n{self.worker.log_tail()}")
            time.sleep(0.2)

    def _catch_up(self, bootstrap: list[str], app_id: str) -> int | None:
        """Wait until the worker committed every record sent (or a deadline); the lag left."""
        deadline = time.monotonic() + max(20.0, 60.0 / self.args.speed)
        lag = None
        while time.monotonic() < deadline:
            lag = group_lag(bootstrap, app_id, INPUT_TOPIC)
            if lag == 0:
                break
            self._check_worker()
            time.sleep(1.0)
        time.sleep(2.0)  # last alerts on their way
        return lag

    def _verdict(self, scenario: Scenario, lag: int | None) -> None:
        out = self.out
        with self._alerts_lock:
            alerts = list(self.alerts)
        out("")
        out("verdict", "bold")
        for line in verdict(scenario, alerts, self.style).lines:
            out(line)
        if lag:
            out(f"  (the worker was still {lag:,} events behind when the verdict was drawn)", "yellow")
        out(f"  {len(alerts)} alert(s) in total; {self.sent:,} events sent")

    def play(self, scenario: Scenario) -> None:
        """Warm-up as fast as possible, then the launch day on the accelerated clock."""
        out = self.out
        wall_per_sim = WALL_SECONDS_PER_SIM_HOUR / 3600.0 / self.args.speed
        ratios = ramp_ratios(scenario)
        producer = self.producer
        # the launch day: quiet early hours go fast, the clock runs from an hour before the first incident
        interesting = [lb.start for lb in scenario.labels if not lb.benign and lb.start >= scenario.launch_start]
        clock_from = scenario.launch_start + 6.5 * 3600
        if interesting:
            clock_from = min(clock_from, min(interesting) - 1800)
        clock_from = max(clock_from, scenario.launch_start)
        next_day = None
        next_hour = None
        wall0 = sim0 = None
        last_check = time.monotonic()
        for ts, key, value in scenario.records:
            if ts < clock_from:
                day = int(ts // 86400)
                if next_day is None or day >= next_day:
                    if next_day is not None:
                        out(f"warm-up: simulated {day_hhmm(ts)}, {self.sent:,} events sent", "dim")
                    next_day = day + 1
            else:
                if wall0 is None:
                    producer.flush(timeout=30)
                    wall0, sim0 = time.monotonic(), clock_from
                    next_hour = (int(ts // 3600) + 1) * 3600
                    out(f"launch day: simulated clock running from {hhmm(clock_from)}, {self.sent:,} events sent",
                        "bold")
                while next_hour is not None and ts >= next_hour:
                    # wait for the hour boundary on the wall clock, then report the hour just finished
                    delay = wall0 + (next_hour - sim0) * wall_per_sim - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    r = ratios.get(int(next_hour // 3600) - 1, 1.0)
                    ramp = f"x{r:.1f}" if r != float("inf") else "new"
                    out(f"simulated time {hhmm(next_hour)}, {self.sent:,} events sent, launch ramp {ramp} of normal")
                    next_hour += 3600
                delay = wall0 + (ts - sim0) * wall_per_sim - time.monotonic()
                if delay > 0.001:
                    time.sleep(delay)
            producer.send(INPUT_TOPIC, value=value, key=key)
            self.sent += 1
            self.sent_until = ts
            now = time.monotonic()
            if now - last_check > 1.0:
                last_check = now
                self._check_worker()


def main(argv: list[str] | None = None) -> int:
    """``mailflow demo``: 2 on invalid options (all of them listed), else the demo's status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    problems = validate(args)
    if args.metrics_port is not None and not problems and not port_free(args.metrics_port):
        problems.append(f"--metrics-port: port {args.metrics_port} is already in use")
    if problems:
        print(f"mailflow demo: {ConfigError(problems)}", file=sys.stderr)
        return 2
    return Demo(args).run()
