"""``mailflow demo``: everything on one machine, no set-up.

Starts the embedded Tansu broker (unless ``--broker``), one streaming worker (a
``mailflow worker`` subprocess that serves ``/metrics``), generates the simulator's
``launch-day`` scenario and plays it into the input topic at an accelerated clock:
the warm-up days as fast as the broker takes them, the launch day at one
simulated hour per ten seconds (``--speed`` scales that). Event times stay the
simulated times. Alerts are read back from the alerts topic and printed as they
fire; at the end a short verdict says which incidents were caught, how many of
the blast's messages went out before its first alert, and whether anything
fired on the legitimate launch ramp.

Ctrl-C or SIGTERM stops the worker, then the broker; neither outlives the demo.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

import orjson

from detectors.errors import ConfigError

from .broker import TansuBroker, _pdeathsig_preexec, free_port
from .produce import make_producer, parse_broker_url, sender_key

__all__ = ["main", "Scenario", "load_scenario", "format_alert", "Verdict"]

INPUT_TOPIC = "mail.outbound"
ALERTS_TOPIC = "mail.alerts"
DLQ_TOPIC = "mail.outbound.dlq"
DEFAULT_METRICS_PORT = 9108
RAMP_SENDER = "orders@example.com"
WALL_SECONDS_PER_SIM_HOUR = 10.0


# ---------------------------------------------------------------------------
# output


class Style:
    """ANSI styling, or none."""

    CODES = {
        "bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33",
        "blue": "34", "magenta": "35", "cyan": "36", "reverse": "7",
    }

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles:
            return text
        codes = ";".join(self.CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"


def _hhmm(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%H:%M")


def _day_hhmm(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%a %H:%M")


def _parse_ts(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    s = str(value)
    return datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith("Z") else s).timestamp()


def format_alert(alert: dict[str, Any], style: Style) -> str:
    """One alert as a readable line (two when the summary is long).

    >>> a = {"ts": "2024-03-05T10:42:00.000Z", "severity": "critical", "detector": "sensitive_request",
    ...      "sender": "hr@example.com", "template": "t1", "score": 0.97, "summary": "Asked for passports."}
    >>> format_alert(a, Style(False))
    '[sim 10:42] CRITICAL sensitive_request  hr@example.com  score 0.97  Asked for passports.'
    """
    sev = str(alert.get("severity", "?"))
    sev_style = ("bold", "red") if sev == "critical" else ("bold", "yellow")
    try:
        when = _hhmm(_parse_ts(alert.get("ts")))
    except (TypeError, ValueError):
        when = "?"
    score = alert.get("score")
    score_s = f"{float(score):.2f}" if isinstance(score, (int, float)) else "?"
    return (
        f"{style(f'[sim {when}]', 'dim')} {style(sev.upper(), *sev_style)} "
        f"{style(str(alert.get('detector', '?')), 'cyan')}  {style(str(alert.get('sender', '?')), 'bold')}  "
        f"score {score_s}  {alert.get('summary', '')}"
    )


class Printer:
    """Thread-safe printing to stdout."""

    def __init__(self, style: Style) -> None:
        self.style = style
        self._lock = threading.Lock()

    def __call__(self, text: str = "", *styles: str) -> None:
        with self._lock:
            try:
                sys.stdout.write(self.style(text, *styles) + "\n")
                sys.stdout.flush()
            except (BrokenPipeError, ValueError):
                pass


# ---------------------------------------------------------------------------
# the scenario


@dataclass
class Incident:
    """A labelled incident of the scenario (from the simulator's labels)."""

    name: str
    sender: str | None
    start: float | None
    end: float | None
    kind: str = ""
    event_ids: set[str] = field(default_factory=set)
    detectors: tuple[str, ...] = ()
    benign: bool = False

    def matches(self, alert: dict[str, Any]) -> bool:
        ids = alert.get("event_ids") or []
        if self.event_ids and any(i in self.event_ids for i in ids):
            return True
        if self.sender and str(alert.get("sender", "")).lower() == self.sender:
            if self.event_ids:
                return False  # the sender's normal mail is not the incident
            try:
                ts = _parse_ts(alert.get("ts"))
            except (TypeError, ValueError):
                return True
            lo = (self.start or 0) - 60
            hi = (self.end or float("inf")) + 3600
            return lo <= ts <= hi
        return False


@dataclass
class Scenario:
    """Events to play (sorted by time, as bytes) and what is in them."""

    records: list[tuple[float, bytes | None, bytes]]  # (ts, key, value)
    incidents: list[Incident]
    launch_start: float  # start of the launch day (warm-up before it)
    ramp_sender: str = RAMP_SENDER

    @property
    def end(self) -> float:
        return self.records[-1][0] if self.records else self.launch_start


def _event_bytes(e: Any) -> tuple[float, bytes | None, bytes]:
    if isinstance(e, (bytes, bytearray)):
        raw = bytes(e)
        obj = orjson.loads(raw)
    elif isinstance(e, str):
        raw = e.encode()
        obj = orjson.loads(raw)
    elif isinstance(e, dict):
        obj = e
        raw = orjson.dumps(e)
    elif hasattr(e, "to_dict"):
        obj = e.to_dict()
        raw = orjson.dumps(obj)
    else:
        raise TypeError(f"cannot turn a {type(e).__name__} into an event")
    return _parse_ts(obj["ts"]), sender_key(raw), raw


def _as_incidents(labels: Any, events_by_id: dict[str, tuple[float, str]]) -> list[Incident]:
    """The simulator's labels (``{"incidents": [...], "negatives": [...]}``) as :class:`Incident` s.

    Entries have ``name``, ``sender``, ``start_ts``, ``end_ts`` and ``event_ids``;
    ``negatives`` are legitimate traffic that must not alert (``benign``).
    """
    groups: list[tuple[Any, bool]] = []
    if isinstance(labels, dict):
        groups = [(labels.get("incidents") or [], False), (labels.get("negatives") or [], True)]
    elif isinstance(labels, list):
        groups = [(labels, False)]
    out: list[Incident] = []
    for items, benign in groups:
        for i, d in enumerate(items):
            if not isinstance(d, dict):
                continue
            ids = {str(x) for x in (d.get("event_ids") or [])}
            sender = d.get("sender")
            start = d.get("start_ts", d.get("start"))
            end = d.get("end_ts", d.get("end"))
            if ids and (start is None or end is None or sender is None):
                known = [events_by_id[x] for x in ids if x in events_by_id]
                if known:
                    start = min(t for t, _ in known) if start is None else start
                    end = max(t for t, _ in known) if end is None else end
                    senders = {s for _, s in known}
                    if sender is None and len(senders) == 1:
                        sender = senders.pop()
            out.append(
                Incident(
                    name=str(d.get("name") or f"incident {i + 1}"),
                    sender=str(sender).lower() if sender else None,
                    start=_parse_ts(start) if start is not None else None,
                    end=_parse_ts(end) if end is not None else None,
                    event_ids=ids,
                    benign=benign or bool(d.get("benign")),
                )
            )
    return out


def load_scenario(seed: int, days: float, scale: float) -> Scenario:
    """Generate ``launch-day`` with the simulator and prepare it for playback."""
    from detectors.sim.shop import generate

    events, labels = generate("launch-day", seed, days=days, scale=scale)
    records = sorted((_event_bytes(e) for e in events), key=lambda r: r[0])
    by_id: dict[str, tuple[float, str]] = {}
    for ts, key, raw in records:
        try:
            obj = orjson.loads(raw)
            by_id[str(obj.get("event_id"))] = (ts, (key or b"").decode())
        except orjson.JSONDecodeError:
            pass
    incidents = _as_incidents(labels, by_id)
    benign = sorted((i for i in incidents if i.benign and i.sender), key=lambda i: -len(i.event_ids))
    ramp = RAMP_SENDER if any(i.sender == RAMP_SENDER for i in benign) else (benign[0].sender if benign else RAMP_SENDER)
    # the launch day: the simulator's incident day, else the UTC day of the last event
    launch_start = None
    if isinstance(labels, dict) and labels.get("incident_day"):
        try:
            launch_start = datetime.fromisoformat(str(labels["incident_day"])).replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            launch_start = None
    if launch_start is None:
        last = records[-1][0] if records else time.time()
        launch_start = last - (last % 86400)
    return Scenario(records=records, incidents=incidents, launch_start=launch_start, ramp_sender=ramp)


def ramp_ratios(scenario: Scenario) -> dict[int, float]:
    """Per simulated hour of the launch day: the ramp sender's volume / its normal for that hour."""
    per_hour: Counter[int] = Counter()
    sender = scenario.ramp_sender.encode()
    for ts, key, _ in scenario.records:
        if key == sender:
            per_hour[int(ts // 3600)] += 1
    first_hour = int(scenario.launch_start // 3600)
    warm_days = max(1, int((scenario.launch_start - scenario.records[0][0]) // 86400)) if scenario.records else 1
    normal: dict[int, float] = defaultdict(float)
    for h, n in per_hour.items():
        if h < first_hour:
            normal[h % 24] += n / warm_days
    out = {}
    for h in range(first_hour, first_hour + 24):
        base = normal.get(h % 24, 0.0)
        out[h] = per_hour.get(h, 0) / base if base > 0 else (float("inf") if per_hour.get(h, 0) else 1.0)
    return out


# ---------------------------------------------------------------------------
# processes


class WorkerProcess:
    """A ``mailflow worker`` subprocess in its own process group, killed with its parent."""

    def __init__(self, args: list[str], log_path: str) -> None:
        self.cmd = [sys.executable, "-m", "streams.cli", "worker", *args]
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        kwargs: dict[str, Any] = {}
        if sys.platform.startswith("linux"):
            kwargs["preexec_fn"] = _pdeathsig_preexec(os.getpid())
        if os.name == "posix":
            kwargs["start_new_session"] = True
        env = dict(os.environ)
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         env=env, **kwargs)
        return self

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 8192))
                tail = f.read().decode("utf-8", "replace").splitlines()[-lines:]
        except OSError:
            return "(no worker log)"
        return "\n".join("    " + l for l in tail)

    def stop(self, timeout: float = 20.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        from .broker import _terminate

        _terminate(proc, timeout)


class AlertReader(threading.Thread):
    """Reads the alerts topic from its current end and prints each alert."""

    def __init__(self, bootstrap: list[str], topic: str, on_alert) -> None:
        super().__init__(name="mailflow-demo-alerts", daemon=True)
        from kafka import KafkaConsumer, TopicPartition

        self.consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                      client_id="mailflow-demo-alerts")
        deadline = time.monotonic() + 15
        parts = None
        while time.monotonic() < deadline:
            parts = self.consumer.partitions_for_topic(topic)
            if parts:
                break
            time.sleep(0.2)
        if not parts:
            raise RuntimeError(f"alerts topic {topic!r} not found on the broker")
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        self.consumer.assign(tps)
        self.consumer.seek_to_end(*tps)
        for tp in tps:
            self.consumer.position(tp)  # resolve now: alerts from here on are ours
        self.on_alert = on_alert
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                for records in self.consumer.poll(timeout_ms=200).values():
                    for r in records:
                        try:
                            alert = orjson.loads(r.value)
                        except orjson.JSONDecodeError:
                            continue
                        if isinstance(alert, dict):
                            self.on_alert(alert)
        except BaseException as exc:  # pragma: no cover - reported at the end
            self.error = exc
        finally:
            try:
                self.consumer.close(autocommit=False)
            except Exception:
                pass

    def stop(self) -> None:
        self.stopping.set()
        self.join(5)


class _Stop(Exception):
    """SIGTERM received."""


# ---------------------------------------------------------------------------
# verdict


@dataclass
class Verdict:
    lines: list[str]
    ok: bool


def verdict(scenario: Scenario, alerts: list[dict[str, Any]], style: Style, sent_until: float | None = None) -> Verdict:
    """Which incidents were caught, the blast's messages before its first alert, the ramp."""
    lines: list[str] = []
    ok = True
    ts_by_id: dict[str, float] = {}
    incident_ids = set().union(*(i.event_ids for i in scenario.incidents)) if scenario.incidents else set()
    if incident_ids:
        for ts, _, raw in scenario.records:
            obj = orjson.loads(raw)
            eid = str(obj.get("event_id"))
            if eid in incident_ids:
                ts_by_id[eid] = ts
    for inc in scenario.incidents:
        if inc.benign:
            continue
        if sent_until is not None and inc.start is not None and inc.start > sent_until:
            lines.append(f"  - {inc.name}: not reached (the demo stopped at {_day_hhmm(sent_until)})")
            continue
        hits = sorted((a for a in alerts if inc.matches(a)), key=lambda a: _parse_ts(a.get("ts")))
        if not hits:
            ok = False
            lines.append(style(f"  ✗ {inc.name}: MISSED", "bold", "red")
                         + (f" ({inc.sender}, from {_hhmm(inc.start)})" if inc.sender and inc.start else ""))
            continue
        first = hits[0]
        dets = sorted({str(a.get("detector")) for a in hits})
        text = (f"  ✓ {inc.name}: caught at sim {_hhmm(_parse_ts(first['ts']))} by {', '.join(dets)}"
                f" ({len(hits)} alert{'s' if len(hits) != 1 else ''})")
        if inc.event_ids:
            # messages of this incident that went out up to and including the one that raised the alert
            first_ts = _parse_ts(first["ts"])
            raising = (first.get("event_ids") or [None])[0]
            times = sorted(ts_by_id[i] for i in inc.event_ids if i in ts_by_id)
            if raising in ts_by_id:
                before = sum(1 for t in times if t < ts_by_id[raising]) + 1
            else:
                before = sum(1 for t in times if t <= first_ts)
            text += f"; {before} of its {len(times)} messages went out before the first alert"
        lines.append(style(text, "green"))
    benign = [i for i in scenario.incidents if i.benign]
    if not benign:
        benign = [Incident("launch ramp", scenario.ramp_sender.lower(), scenario.launch_start, None, benign=True)]
    by_sender: dict[str, list[Incident]] = defaultdict(list)
    for inc in benign:
        by_sender[inc.sender or "?"].append(inc)
    for sender, incs in by_sender.items():
        hits = [a for a in alerts if any(i.matches(a) for i in incs)]
        name = incs[0].name.replace("-", " ")
        if hits:
            ok = False
            dets = Counter(str(a.get("detector")) for a in hits)
            lines.append(style(f"  ✗ {name} ({sender}): {len(hits)} alert(s) fired on legitimate traffic "
                               f"({', '.join(f'{d} x{n}' for d, n in dets.items())})", "bold", "red"))
        else:
            n = sum(len(i.event_ids) for i in incs)
            lines.append(style(f"  ✓ {name} ({sender}): no alert fired on the legitimate launch traffic"
                               + (f" ({n:,} messages)" if n else ""), "green"))
    others = [a for a in alerts if not any(i.matches(a) for i in scenario.incidents)]
    if others:
        lines.append(f"  ! {len(others)} other alert(s), not tied to a labelled incident: "
                     + ", ".join(sorted({f"{a.get('detector')}/{a.get('sender')}" for a in others})[:6]))
    return Verdict(lines, ok)


# ---------------------------------------------------------------------------
# the demo


def build_parser() -> argparse.ArgumentParser:
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


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _metrics_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return r.status == 200 and b"mailflow_events_processed_total" in r.read()
    except Exception:
        return False


def _create_topics(bootstrap: list[str], partitions: int) -> None:
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="mailflow-demo-admin", request_timeout_ms=10000)
    try:
        existing = set(admin.list_topics())
        new = [NewTopic(t, partitions, 1) for t in (INPUT_TOPIC, ALERTS_TOPIC, DLQ_TOPIC) if t not in existing]
        if new:
            try:
                admin.create_topics(new)
            except TopicAlreadyExistsError:
                pass
    finally:
        admin.close()


def _group_lag(bootstrap: list[str], group: str, topic: str) -> int | None:
    """Records of ``topic`` not yet committed by consumer group ``group`` (None if unknown)."""
    from kafka import KafkaConsumer, TopicPartition
    from kafka.admin import KafkaAdminClient

    admin = consumer = None
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="mailflow-demo-lag", request_timeout_ms=5000)
        committed = {tp: om.offset for tp, om in admin.list_consumer_group_offsets(group).items() if tp.topic == topic}
        consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, client_id="mailflow-demo-lag")
        parts = consumer.partitions_for_topic(topic) or set()
        ends = consumer.end_offsets([TopicPartition(topic, p) for p in parts])
        return sum(max(0, end - max(0, committed.get(tp, 0))) for tp, end in ends.items())
    except Exception:
        return None
    finally:
        for c in (admin, consumer):
            try:
                if c is not None:
                    c.close()
            except Exception:
                pass


class Demo:
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
        with self._alerts_lock:
            self.alerts.append(alert)
        self.out(format_alert(alert, self.style))

    # -- lifecycle ------------------------------------------------------------
    def shutdown(self) -> None:
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
        args = self.args
        s = self.style
        out = self.out
        atexit.register(self.shutdown)
        previous = signal.getsignal(signal.SIGTERM)

        def on_term(signum, frame):
            raise _Stop()

        signal.signal(signal.SIGTERM, on_term)
        status = 0
        try:
            out("mailflow demo: embedded broker, one worker, the launch-day scenario", "bold")
            # 1. broker
            if args.broker is None:
                self.broker = TansuBroker(log_path=os.path.join(self.tmpdir, "broker.log")).start()
                url, bootstrap = self.broker.url, [self.broker.bootstrap]
                out(f"broker   {url} (embedded Tansu, memory only, pid {self.broker.pid})")
            else:
                bootstrap = args.bootstrap
                url = "kafka://" + ",".join(bootstrap)
                out(f"broker   {url} (external)")
            _create_topics(bootstrap, args.partitions)

            # 2. worker
            port = args.metrics_port or (DEFAULT_METRICS_PORT if _port_free(DEFAULT_METRICS_PORT) else free_port())
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
            out(f"worker   pid {self.worker.pid}, log {wlog}")
            out(f"metrics  {metrics_url}", "bold")

            # 3. scenario (generated while the worker boots)
            t0 = time.monotonic()
            scenario = load_scenario(args.seed, args.days, args.scale)
            n_warm = sum(1 for r in scenario.records if r[0] < scenario.launch_start)
            out(f"scenario launch-day, seed {args.seed}: {len(scenario.records):,} events "
                f"({n_warm:,} warm-up over {args.days - 1} days, then the launch day), "
                f"generated in {time.monotonic() - t0:.1f}s")
            for inc in scenario.incidents:
                tag = "benign" if inc.benign else "incident"
                when = f" from sim {_hhmm(inc.start)}" if inc.start else ""
                out(f"  {tag:<8} {inc.name}" + (f" ({inc.sender}){when}" if inc.sender else when), "dim")

            # 4. wait for the worker
            self.reader = AlertReader(bootstrap, ALERTS_TOPIC, self.on_alert)
            self.reader.start()
            deadline = time.monotonic() + 90
            while not _metrics_up(metrics_url):
                if not self.worker.alive():
                    raise RuntimeError(f"the worker exited (code {self.worker.proc.returncode}) during start-up:\n"
                                       f"{self.worker.log_tail()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the worker did not serve {metrics_url} within 90s:\n{self.worker.log_tail()}")
                time.sleep(0.2)
            out(f"worker ready after {time.monotonic() - t0:.1f}s; playing the scenario "
                f"(launch day at 1 simulated hour per {WALL_SECONDS_PER_SIM_HOUR / args.speed:g}s)", "bold")

            # 5. play
            self.producer = make_producer(bootstrap, timeout=10.0, linger_ms=2)
            self.play(scenario)
            self.producer.flush(timeout=30)

            # 6. let the worker catch up, then the verdict
            out("scenario sent; waiting for the worker to catch up...", "dim")
            deadline = time.monotonic() + max(20.0, 60.0 / args.speed)
            lag = None
            while time.monotonic() < deadline:
                lag = _group_lag(bootstrap, app_id, INPUT_TOPIC)
                if lag == 0:
                    break
                if not self.worker.alive():
                    raise RuntimeError(f"the worker exited (code {self.worker.proc.returncode}):\n{self.worker.log_tail()}")
                time.sleep(1.0)
            time.sleep(2.0)  # last alerts on their way
            with self._alerts_lock:
                alerts = list(self.alerts)
            out("")
            out("verdict", "bold")
            v = verdict(scenario, alerts, s)
            for line in v.lines:
                out(line)
            if lag:
                out(f"  (the worker was still {lag:,} events behind when the verdict was drawn)", "yellow")
            out(f"  {len(alerts)} alert(s) in total; {self.sent:,} events sent")
            if args.stay:
                out(f"still running: {metrics_url}  (Ctrl-C to stop)", "bold")
                while self.worker is not None and self.worker.alive():
                    time.sleep(0.5)
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

    def play(self, scenario: Scenario) -> None:
        """Warm-up as fast as possible, then the launch day on the accelerated clock."""
        args = self.args
        out = self.out
        wall_per_sim = WALL_SECONDS_PER_SIM_HOUR / 3600.0 / args.speed
        ratios = ramp_ratios(scenario)
        producer = self.producer
        records = scenario.records
        # the launch day: quiet early hours go fast, the clock runs from an hour before the first incident
        interesting = [i.start for i in scenario.incidents if i.start is not None and i.start >= scenario.launch_start]
        clock_from = scenario.launch_start + 6.5 * 3600
        if interesting:
            clock_from = min(clock_from, min(interesting) - 1800)
        clock_from = max(clock_from, scenario.launch_start)
        next_day = None
        next_hour = None
        wall0 = sim0 = None
        last_check = time.monotonic()
        for ts, key, value in records:
            if ts < clock_from:
                day = int(ts // 86400)
                if next_day is None or day >= next_day:
                    if next_day is not None:
                        out(f"warm-up: simulated {_day_hhmm(ts)}, {self.sent:,} events sent", "dim")
                    next_day = day + 1
            else:
                if wall0 is None:
                    producer.flush(timeout=30)
                    wall0, sim0 = time.monotonic(), clock_from
                    next_hour = (int(ts // 3600) + 1) * 3600
                    out(f"launch day: simulated clock running from {_hhmm(clock_from)}, {self.sent:,} events sent", "bold")
                while next_hour is not None and ts >= next_hour:
                    # wait for the hour boundary on the wall clock, then report the hour just finished
                    delay = wall0 + (next_hour - sim0) * wall_per_sim - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    r = ratios.get(int(next_hour // 3600) - 1, 1.0)
                    ramp = f"x{r:.1f}" if r != float("inf") else "new"
                    out(f"simulated time {_hhmm(next_hour)}, {self.sent:,} events sent, launch ramp {ramp} of normal")
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
                if self.worker is not None and not self.worker.alive():
                    raise RuntimeError(f"the worker exited (code {self.worker.proc.returncode}):\n{self.worker.log_tail()}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    problems = validate(args)
    if args.metrics_port is not None and not problems and not _port_free(args.metrics_port):
        problems.append(f"--metrics-port: port {args.metrics_port} is already in use")
    if problems:
        print(f"mailflow demo: {ConfigError(problems)}", file=sys.stderr)
        return 2
    return Demo(args).run()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
