"""A real Apache Kafka broker (KRaft, single node) and ``mailflow worker`` subprocesses, for tests and benches.

No pytest in here: ``tests/kafka/conftest.py`` wraps :class:`KafkaBroker` in the
session fixture ``kafka``, and ``bench/kafka_failover.py`` uses the same classes
and the same :func:`run_failover` scenario as ``tests/kafka/test_failover_kafka.py``.

The broker runs from the jars that ``make kafka`` (``scripts/install-kafka.sh``)
copies from Maven Central into ``.kafka/lib``; see ``docs/kafka.md``. Every wait is
a polling loop with a deadline: a slow machine makes things slower, never stuck.
"""

from __future__ import annotations

import base64
import json
import os
import pickle
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Callable, Iterable

ROOT = Path(__file__).resolve().parents[2]
KAFKA_HOME = Path(os.environ.get("KAFKA_HOME", ROOT / ".kafka"))
KAFKA_LIB = KAFKA_HOME / "lib"
LOG4J = ROOT / "scripts" / "kafka" / "log4j.properties"
T0 = 1503568800.0
PARTITIONS = 4


class KafkaMissing(RuntimeError):
    """The Kafka jars (or Java) are not installed."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable, timeout: float, what: str, interval: float = 0.5):
    """``predicate()``'s first truthy value, polled until ``timeout`` seconds (AssertionError then)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except Exception as exc:  # a client hiccup on a busy machine: retry until the deadline
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


def decode_state(raw: bytes):
    """A changelog value as a ``SenderState``: the release's state codec where there is one, else pickle."""
    try:
        from detectors import statecodec
    except ImportError:
        return pickle.loads(raw)
    return statecodec.loads(raw)


# ----------------------------------------------------------------------------- the broker
def kafka_version(lib: Path = KAFKA_LIB) -> str | None:
    jars = sorted(lib.glob("kafka_2.13-*.jar"))
    return jars[-1].name[len("kafka_2.13-"):-len(".jar")] if jars else None


class KafkaBroker:
    """One Apache Kafka process in KRaft mode, broker and controller at once, on loopback ports.

    ``start()`` formats a fresh log dir under ``workdir`` (random cluster id) and
    waits until the broker answers metadata requests; ``stop()`` ends the JVM by its
    pid (SIGTERM, SIGKILL after ``timeout``).
    """

    def __init__(self, workdir: Path, *, lib: Path = KAFKA_LIB, heap: str = "512m", java: str | None = None):
        self.workdir = Path(workdir)
        self.lib = Path(lib)
        self.heap = heap
        self.java = java or shutil.which("java")
        self.port = self.controller_port = 0
        self.proc: subprocess.Popen | None = None
        self.log = self.workdir / "kafka.log"
        self.version = kafka_version(self.lib)

    # ------------------------------------------------------------------ addresses
    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"kafka://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ lifecycle
    def check_installed(self) -> None:
        if self.version is None:
            raise KafkaMissing(f"Apache Kafka jars not found in {self.lib}: run `make kafka` (bash scripts/install-kafka.sh)")
        if not self.java:
            raise KafkaMissing("no `java` on PATH (Java 17 is needed): run `make kafka`, which installs it")

    def _java(self, main: str, *args: str, heap: str) -> list[str]:
        return [
            self.java, f"-Xmx{heap}", "-Xms64m", "-XX:+UseSerialGC", "-Xss512k", "-Djava.awt.headless=true",
            f"-Dlog4j.configuration=file:{LOG4J}", f"-Dkafka.logs.dir={self.workdir / 'logs'}",
            "-cp", str(self.lib / "*"), main, *args,
        ]

    def properties(self) -> dict[str, object]:
        return {
            "process.roles": "broker,controller",
            "node.id": 1,
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": str(self.workdir / "data"),
            # light: one node, one partition and one replica by default, few internal partitions
            "num.partitions": 1,
            "default.replication.factor": 1,
            "min.insync.replicas": 1,
            "offsets.topic.replication.factor": 1,
            "offsets.topic.num.partitions": 4,
            "transaction.state.log.replication.factor": 1,
            "transaction.state.log.min.isr": 1,
            "transaction.state.log.num.partitions": 4,
            "group.initial.rebalance.delay.ms": 0,
            "num.network.threads": 2,
            "num.io.threads": 2,
            "num.recovery.threads.per.data.dir": 1,
            "background.threads": 2,
            "log.cleaner.threads": 1,
            "log.cleaner.dedupe.buffer.size": 8 * 1024 * 1024,
            "log.segment.bytes": 64 * 1024 * 1024,
            "auto.create.topics.enable": "true",
            "delete.topic.enable": "true",
        }

    def start(self, timeout: float = 90.0) -> "KafkaBroker":
        self.check_installed()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port, self.controller_port = free_port(), free_port()
        while self.controller_port == self.port:
            self.controller_port = free_port()
        props = self.workdir / "server.properties"
        props.write_text("".join(f"{k}={v}\n" for k, v in self.properties().items()))
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        fmt = subprocess.run(
            # "--cluster-id=ID" in one argument: a base64 id may start with "-" (1 in 64), which the
            # tool's argument parser would read as an option
            self._java("kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", "-c", str(props), heap="256m"),
            capture_output=True, text=True, timeout=120,
        )
        if fmt.returncode != 0:
            raise RuntimeError(f"kafka storage format failed ({fmt.returncode}): {fmt.stdout}{fmt.stderr}")
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                self._java("kafka.Kafka", str(props), heap=self.heap),
                stdout=out, stderr=subprocess.STDOUT, cwd=self.workdir, start_new_session=True,
            )
        try:
            wait_for(self._ready, timeout, f"Kafka {self.version} on {self.bootstrap}", interval=0.3)
        except BaseException:
            tail = self.tail()
            self.stop()
            raise RuntimeError(f"Kafka did not start; its log:\n{tail}") from None
        return self

    def _ready(self) -> bool:
        if self.proc is None or self.proc.poll() is not None:
            raise RuntimeError(f"kafka exited with {self.proc.returncode if self.proc else None}: {self.tail()}")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        from kafka import KafkaAdminClient

        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=5000)
        try:
            admin.list_topics()
            return True
        finally:
            admin.close()

    def stop(self, timeout: float = 30.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)  # our own JVM, by its pid
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

    def tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    # ------------------------------------------------------------------ clients (kafka-python)
    def admin(self):
        from kafka import KafkaAdminClient

        return KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=20000)

    def create_topic(self, name: str, partitions: int = 1, replication: int = 1, **config: str) -> str:
        from kafka.admin import NewTopic

        admin = self.admin()
        try:
            admin.create_topics([NewTopic(name, partitions, replication, topic_configs=config or {})])
        finally:
            admin.close()
        wait_for(lambda: len(self.partitions_of(name)) == partitions, 30, f"topic {name} with {partitions} partitions", 0.2)
        return name

    def delete_topic(self, name: str) -> None:
        admin = self.admin()
        try:
            admin.delete_topics([name])
        finally:
            admin.close()

    def list_topics(self) -> list[str]:
        admin = self.admin()
        try:
            return admin.list_topics()
        finally:
            admin.close()

    def partitions_of(self, topic: str) -> set[int]:
        from kafka import KafkaConsumer

        c = KafkaConsumer(bootstrap_servers=self.bootstrap)
        try:
            return c.partitions_for_topic(topic) or set()
        finally:
            c.close()

    def end_offsets(self, topic: str) -> dict[int, int]:
        from kafka import KafkaConsumer, TopicPartition

        c = KafkaConsumer(bootstrap_servers=self.bootstrap)
        try:
            tps = [TopicPartition(topic, p) for p in sorted(c.partitions_for_topic(topic) or ())]
            return {tp.partition: off for tp, off in c.end_offsets(tps).items()}
        finally:
            c.close()

    def producer(self, **config):
        """A kafka-python producer (acks=all); ``config`` overrides, e.g. ``max_request_size`` for big records."""
        from kafka import KafkaProducer

        return KafkaProducer(**{"bootstrap_servers": self.bootstrap, "linger_ms": 5, "acks": "all", **config})

    def produce(self, topic: str, records: Iterable[tuple[bytes | None, bytes]], **config) -> int:
        """Send ``records`` ((key, value) pairs) and wait for every ack; returns how many.
        ``config``: producer settings (:meth:`producer`)."""
        p = self.producer(**config)
        n = 0
        try:
            futures = [p.send(topic, key=k, value=v) for k, v in records]
            p.flush(60)
            for f in futures:
                f.get(30)
                n += 1
        finally:
            p.close()
        return n

    def consume_all(self, topic: str, expect_at_least: int = 1, timeout: float = 30.0) -> list:
        """Every record of ``topic`` from the beginning; polls until ``expect_at_least`` or the deadline."""
        from kafka import KafkaConsumer

        c = KafkaConsumer(topic, bootstrap_servers=self.bootstrap, auto_offset_reset="earliest", group_id=None,
                          enable_auto_commit=False, consumer_timeout_ms=1500)
        out: list = []
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                out.extend(c)
                if len(out) >= expect_at_least:
                    out.extend(c)  # drain what is left
                    break
        finally:
            c.close()
        return out

    def read_to_end(self, topic: str, timeout: float = 30.0) -> list:
        """Every record of ``topic``, from the beginning up to the end offsets taken at the start
        (a real broker reports them exactly); AssertionError if that is not reached in ``timeout``."""
        from kafka import KafkaConsumer, TopicPartition

        c = KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False)
        out: list = []
        try:
            tps = [TopicPartition(topic, p) for p in sorted(c.partitions_for_topic(topic) or ())]
            if not tps:
                return out
            c.assign(tps)
            c.seek_to_beginning(*tps)
            end = c.end_offsets(tps)
            deadline = time.monotonic() + timeout
            while any(c.position(tp) < end[tp] for tp in tps):
                if time.monotonic() > deadline:
                    raise AssertionError(f"{topic}: not read to its end offsets {end} in {timeout:.0f}s")
                for recs in c.poll(timeout_ms=500).values():
                    out.extend(recs)
        finally:
            c.close()
        return out

    def latest_states(self, app_id: str, timeout: float = 20.0) -> dict:
        """Sender -> last ``SenderState`` written to the worker table's changelog topic (read to its end)."""
        states = {}
        for rec in self.read_to_end(f"{app_id}-sender-state-changelog", timeout):
            if rec.value is not None:
                states[rec.key.decode()] = decode_state(rec.value)
        return states

    def committed(self, group: str, topic: str) -> dict[int, int]:
        """The consumer group's committed offset of each partition of ``topic`` (those it committed)."""
        admin = self.admin()
        try:
            if hasattr(admin, "list_consumer_group_offsets"):  # kafka-python < 3
                offs = admin.list_consumer_group_offsets(group)
            else:
                offs = admin.list_group_offsets({group: None})[group]
        finally:
            admin.close()
        return {tp.partition: o.offset for tp, o in offs.items() if tp.topic == topic and o.offset >= 0}

    def delete_topics_of(self, prefix: str) -> None:
        """Delete every topic whose name starts with ``prefix`` (a test's topics, Faust's changelog included)."""
        try:
            for t in self.list_topics():
                if t.startswith(prefix):
                    self.delete_topic(t)
        except Exception:
            pass

    def make_topics(self, prefix: str, partitions: int = PARTITIONS) -> dict[str, str]:
        topics = {"input": f"{prefix}.in", "alerts": f"{prefix}.alerts", "dlq": f"{prefix}.dlq"}
        for t in topics.values():
            self.create_topic(t, partitions)
        return topics


# ----------------------------------------------------------------------------- workers
def scrape(port: int) -> dict[tuple[str, tuple], float]:
    """``/metrics`` as {(sample name, sorted labels): value}; {} when not up."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=3).read().decode()
    except OSError:
        return {}
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def active_alerts(samples) -> set[tuple]:
    """The label sets of the ``mailflow_active_alert`` series (the open episodes shown)."""
    return {labels for (name, labels), v in samples.items() if name == "mailflow_active_alert"}


def by_sender(samples) -> dict[str, float]:
    """``mailflow_sender_events_total`` per sender label."""
    return {dict(lbl)["sender"]: v for (name, lbl), v in samples.items() if name == "mailflow_sender_events_total"}


class Worker:
    """``mailflow worker`` as a subprocess against ``broker``, its log in ``tmp``.

    ``session_timeout=None`` leaves the worker's default (the setting under test in
    the failover tests); ``data_dir`` can be shared with a previous worker (a restart).
    """

    def __init__(self, broker, app_id, topics, tmp: Path, *, port: int | None = None, partitions: int = PARTITIONS,
                 session_timeout: float | None = None, data_dir: Path | None = None, name: str | None = None, extra=()):
        self.port = port or free_port()
        self.name = name or f"worker-{self.port}"
        self.log = Path(tmp) / f"{self.name}.log"
        self.data_dir = data_dir or Path(tmp) / f"data-{self.name}"
        cmd = [
            sys.executable, "-m", "streams.cli", "worker",
            "--broker", broker.url, "--metrics-port", str(self.port), "--metrics-host", "127.0.0.1",
            "--app-id", app_id, "--input-topic", topics["input"], "--alerts-topic", topics["alerts"],
            "--dlq-topic", topics["dlq"], "--partitions", str(partitions), "--data-dir", str(self.data_dir),
            "--internal-domain", "shop.example.com", "--expire-interval", "1",
            "--lag-interval", "1", "--batch-within", "0.1", *extra,
        ]
        if session_timeout is not None:
            cmd += ["--session-timeout", str(session_timeout)]
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT)

    def metrics(self):
        return scrape(self.port)

    def processed(self) -> float:
        return value(self.metrics(), "mailflow_events_processed_total")

    def seen(self) -> float:
        """Events processed or recognised as re-delivered."""
        m = self.metrics()
        return value(m, "mailflow_events_processed_total") + value(m, "mailflow_events_duplicate_total")

    def assigned(self) -> set[int]:
        """The input partitions this worker reports a consumer lag for (its active assignment)."""
        return {int(dict(lbl)["partition"]) for (name, lbl) in self.metrics() if name == "mailflow_consumer_lag_messages"}

    def wait_up(self, timeout=90):
        wait_for(lambda: self.proc.poll() is None and self.metrics(), timeout, f"{self.name} on :{self.port} to serve /metrics")

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def tail(self, n=40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


# ----------------------------------------------------------------------------- events
def event(i, sender, ts, template, to, subject="Your order has shipped", body="Your parcel left our warehouse.", kind="automated"):
    return json.dumps({"event_id": f"{sender}-{i}", "ts": ts, "sender": sender, "sender_kind": kind, "template_id": template,
                       "to": to, "subject": subject, "body": body}).encode()


def incident_events(sender="care@shop.example.com"):
    """Normal shipping notices, then an automated blast asking 5 unrelated customers for an ID photo
    (the same events as the Tansu test in tests/streams/test_worker_broker.py)."""
    out = []
    for i in range(40):
        out.append((sender.encode(), event(i, sender, T0 + i * 300, "order-shipped", [f"customer{i}@gmail.com"])))
    t = T0 + 40 * 300
    for j in range(30):
        to = [f"victim{j}-{k}@gmail.com" for k in range(5)]
        out.append((sender.encode(), event(100 + j, sender, t + j * 20, "verify-identity", to, subject="Verify your account",
                                           body="Please reply with a photo of your passport or ID card.")))
    return out


def shipping(sender: str, i: int) -> tuple[bytes, bytes]:
    """The ``i``-th plain shipping notice of ``sender`` (event id ``sender-i``)."""
    return sender.encode(), event(i, sender, T0 + i * 60, "order-shipped", [f"c{i}@{sender.split('@')[1]}.customers.example"])


def traffic(senders, per_sender: int, start_index: int = 0) -> list[tuple[bytes, bytes]]:
    """Plain shipping notices of ``senders``, interleaved: indexes ``start_index .. start_index + per_sender - 1``
    (the same records as ``traffic`` in tests/streams/test_worker_broker.py)."""
    return [shipping(s, i) for i in range(start_index, start_index + per_sender) for s in senders]


SENDERS = [f"shop{i}@brand{i}.example.com" for i in range(24)]


class SteadyProducer(threading.Thread):
    """Produces shipping notices round-robin over ``senders`` at ``rate`` events/s until ``stop()``.

    ``sent[sender]`` counts the acknowledged events of each sender (their indexes are
    ``start .. start + sent - 1``).
    """

    def __init__(self, broker, topic, senders, rate: float = 100.0, start: int = 0):
        super().__init__(daemon=True)
        self.broker, self.topic, self.senders, self.rate, self.start_index = broker, topic, list(senders), rate, start
        self.sent = {s: 0 for s in self.senders}
        self.error: BaseException | None = None
        self._halt = threading.Event()

    def run(self):
        try:
            p = self.broker.producer()
            tick = 0.1
            per_tick = max(1, round(self.rate * tick))
            k = 0
            next_t = time.monotonic()
            while not self._halt.is_set():
                futures = []
                for _ in range(per_tick):
                    s = self.senders[k % len(self.senders)]
                    i = self.start_index + k // len(self.senders)
                    key, val = shipping(s, i)
                    futures.append((s, p.send(self.topic, key=key, value=val)))
                    k += 1
                p.flush(30)
                for s, f in futures:
                    f.get(30)
                    self.sent[s] += 1
                next_t += tick
                self._halt.wait(max(0.0, next_t - time.monotonic()))
            p.close()
        except BaseException as exc:  # reported by stop()
            self.error = exc

    @property
    def total(self) -> int:
        return sum(self.sent.values())

    def stop(self) -> dict[str, int]:
        self._halt.set()
        self.join(60)
        if self.error is not None:
            raise RuntimeError(f"producer failed: {self.error!r}")
        return dict(self.sent)


# ----------------------------------------------------------------------------- the kill -9 scenario
def run_failover(broker: KafkaBroker, tmp: Path, *, rate: float = 100.0, warm_per_sender: int = 5, kill_after: float = 4.0,
                 tail_after: float = 3.0, session_timeout: float | None = None, senders=SENDERS, deadline: float = 180.0,
                 immediate_restart: bool = True, restart_delay: float = 1.0, settle: float = 60.0,
                 log: Callable[[str], None] = lambda s: None) -> dict:
    """Two workers share the input's partitions; one is killed with SIGKILL while events keep flowing.

    Measures (seconds, wall clock, polled every 0.2 s):

    * ``takeover_s``: SIGKILL to the survivor's first processed event of a sender the
      killed worker was processing (its partitions reassigned, table recovered, reading);
    * ``restart_to_first_event_s``: ``Popen`` of a new worker (same data dir) to its first
      processed event; ``restart_metrics_up_s``: to its /metrics answering (process start);
    * with ``immediate_restart``, the restarted worker is then killed with SIGKILL too and a
      new one started ``restart_delay`` s later, as a supervisor would:
      ``immediate_restart_to_first_event_s`` (its start to its first processed event) and
      ``kill_to_first_event_immediate_s`` (the kill to that event);

    and counts: ``produced`` events, ``learned`` (sum of ``n_events`` of the last state of
    each sender in the changelog), per-sender mismatches, and the workers'
    processed/duplicate counters. Every worker is stopped at the end.
    """
    tmp = Path(tmp)
    tmp.mkdir(parents=True, exist_ok=True)
    app_id = "f" + uuid.uuid4().hex[:8]
    topics = broker.make_topics(app_id)
    workers: list[Worker] = []
    result: dict = {"app_id": app_id}
    prod = None
    try:
        a = Worker(broker, app_id, topics, tmp, name="a", session_timeout=session_timeout)
        b = Worker(broker, app_id, topics, tmp, name="b", session_timeout=session_timeout)
        workers += [a, b]
        a.wait_up()
        b.wait_up()
        # warm up: the group is stable (the partitions split between both workers), both read events
        def split():
            pa, pb = a.assigned(), b.assigned()
            return pa and pb and not (pa & pb) and pa | pb == set(range(PARTITIONS))

        warm = [shipping(s, i) for i in range(warm_per_sender) for s in senders]
        broker.produce(topics["input"], warm)  # (the lag gauges need records to report the assignment)
        wait_for(split, deadline, "the partitions split between both workers", 0.3)
        warm2 = [shipping(s, i) for i in range(warm_per_sender, 2 * warm_per_sender) for s in senders]
        broker.produce(topics["input"], warm2)
        wait_for(lambda: a.processed() + b.processed() >= len(warm) + len(warm2) and a.processed() > 0 and b.processed() > 0,
                 deadline, "both workers processing the warm-up events", 0.3)
        log(f"warm-up done: a={a.processed():.0f} b={b.processed():.0f}")
        prod = SteadyProducer(broker, topics["input"], senders, rate=rate, start=2 * warm_per_sender)
        prod.start()
        time.sleep(kill_after)
        # what ``a`` owns right now: its partitions (lag gauges) and the senders it is processing
        # (its per-sender counts growing), not what it read before the group settled
        wait_for(split, deadline, "the partitions split between both workers", 0.3)
        a_parts = a.assigned()
        first = by_sender(a.metrics())
        time.sleep(1.5)
        before = a.metrics()
        a_senders = {s for s, v in by_sender(before).items() if s != "other" and v > first.get(s, 0)}
        # the survivor's counts of those senders now (it may have read them before the split)
        b_base = by_sender(b.metrics())
        b_base = sum(b_base.get(s, 0) for s in a_senders)
        if not a_senders:
            raise AssertionError(f"worker a processed no sender before the kill: {before}")
        result["killed_processed_last_scrape"] = value(before, "mailflow_events_processed_total")
        result["killed_duplicates_last_scrape"] = value(before, "mailflow_events_duplicate_total")
        result["killed_senders"] = len(a_senders)
        result["killed_partitions"] = sorted(a_parts)
        a.kill9()
        t_kill = time.monotonic()
        log(f"killed a (pid {a.proc.pid}) with partitions {sorted(a_parts)}, {len(a_senders)} senders")

        def survivor_took_over():
            counts = by_sender(b.metrics())
            return sum(counts.get(s, 0) for s in a_senders) > b_base

        wait_for(survivor_took_over, deadline, "the survivor to process the killed worker's partitions", 0.2)
        result["takeover_s"] = round(time.monotonic() - t_kill, 2)
        dups = result["survivor_duplicates_by_phase"] = {}
        dups["takeover"] = value(b.metrics(), "mailflow_events_duplicate_total")
        log(f"takeover after {result['takeover_s']} s")

        c = Worker(broker, app_id, topics, tmp, name="a-restarted", data_dir=a.data_dir, session_timeout=session_timeout)
        workers.append(c)
        wait_for(lambda: c.proc.poll() is None and c.metrics(), deadline, "the restarted worker's /metrics", 0.2)
        result["restart_metrics_up_s"] = round(time.monotonic() - c.started, 2)
        wait_for(lambda: c.processed() > 0, deadline, "the restarted worker's first processed event", 0.2)
        result["restart_to_first_event_s"] = round(time.monotonic() - c.started, 2)
        dups["restart"] = value(b.metrics(), "mailflow_events_duplicate_total")
        log(f"restarted worker: /metrics after {result['restart_metrics_up_s']} s, "
            f"first event after {result['restart_to_first_event_s']} s")
        time.sleep(tail_after)
        if immediate_restart:
            # phase 2: kill -9 the restarted worker and start another one right away, as a supervisor
            # would: the dead member still holds its place in the group until its session times out
            mc = c.metrics()
            result["killed2_processed_last_scrape"] = value(mc, "mailflow_events_processed_total")
            c.kill9()
            t_kill2 = time.monotonic()
            time.sleep(restart_delay)
            d = Worker(broker, app_id, topics, tmp, name="a-restarted-2", data_dir=a.data_dir, session_timeout=session_timeout)
            workers.append(d)
            wait_for(lambda: d.processed() > 0, deadline, "the immediately restarted worker's first processed event", 0.2)
            now = time.monotonic()
            result["immediate_restart_to_first_event_s"] = round(now - d.started, 2)
            result["kill_to_first_event_immediate_s"] = round(now - t_kill2, 2)
            dups["immediate_restart"] = value(b.metrics(), "mailflow_events_duplicate_total")
            log(f"kill -9 + restart {restart_delay} s later: first event {result['immediate_restart_to_first_event_s']} s "
                f"after the restart ({result['kill_to_first_event_immediate_s']} s after the kill)")
            c = d
            time.sleep(tail_after)
        sent = prod.stop()
        prod = None
        expected = {s: 2 * warm_per_sender + n for s, n in sent.items()}
        result["produced"] = sum(expected.values())

        def caught_up():
            st = broker.latest_states(app_id, timeout=5)
            done = len(st) == len(senders) and all(st[s].n_events >= expected[s] for s in senders if s in st)
            return st if done else None

        try:
            states = wait_for(caught_up, settle, "every sender's state to reach its produced count", 1.0)
        except AssertionError:
            states = broker.latest_states(app_id, timeout=5)
        time.sleep(2)  # let the counters settle
        states = broker.latest_states(app_id, timeout=5) or states
        learned = {s: states[s].n_events if s in states else 0 for s in senders}
        result["learned"] = sum(learned.values())
        result["mismatched_senders"] = {s: (learned[s], expected[s]) for s in senders if learned[s] != expected[s]}
        mb, mc = b.metrics(), c.metrics()
        result["survivor_processed"] = value(mb, "mailflow_events_processed_total")
        result["survivor_duplicates"] = value(mb, "mailflow_events_duplicate_total")
        result["restarted_processed"] = value(mc, "mailflow_events_processed_total")
        result["restarted_duplicates"] = value(mc, "mailflow_events_duplicate_total")
        result["counted_processed"] = (result["killed_processed_last_scrape"] + result.get("killed2_processed_last_scrape", 0)
                                       + result["survivor_processed"] + result["restarted_processed"])
        result["alive"] = b.proc.poll() is None and c.proc.poll() is None
        return result
    except BaseException:
        for w in workers:
            log(f"--- {w.name} log tail ---\n{w.tail()}")
        raise
    finally:
        if prod is not None:
            try:
                prod.stop()
            except Exception:
                pass
        for w in workers:
            w.stop()
        try:  # the run's topics, Faust's changelog and leader topics included
            for t in broker.list_topics():
                if t.startswith(app_id):
                    broker.delete_topic(t)
        except Exception:
            pass


def median(xs):
    xs = [x for x in xs if x is not None]
    return round(statistics.median(xs), 2) if xs else None
