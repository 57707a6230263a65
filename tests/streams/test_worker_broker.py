"""The streaming worker against the embedded Tansu broker, workers as subprocesses.

Each group of tests uses its own app id and topics. Every wait is a polling loop
with a deadline, so a slow machine makes the tests slower, never stuck.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.broker

ROOT = Path(__file__).resolve().parents[2]
T0 = 1503568800.0
PARTITIONS = 4


# ----------------------------------------------------------------------------- helpers
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


def _status(port: int, path: str) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=3) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def wait_for(predicate, timeout: float, what: str, interval: float = 0.5):
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


class Worker:
    def __init__(self, broker, app_id, topics, port, tmp_path, *extra):
        self.port = port
        self.log = tmp_path / f"worker-{port}.log"
        cmd = [
            sys.executable, "-m", "streams.cli", "worker",
            "--broker", broker.url, "--metrics-port", str(port), "--metrics-host", "127.0.0.1",
            "--app-id", app_id, "--input-topic", topics["input"], "--alerts-topic", topics["alerts"],
            "--dlq-topic", topics["dlq"], "--partitions", str(PARTITIONS), "--data-dir", str(tmp_path / f"data-{port}"),
            "--internal-domain", "shop.example.com", "--session-timeout", "6", "--expire-interval", "1",
            "--lag-interval", "1", "--batch-within", "0.1", *extra,
        ]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT)

    def metrics(self):
        return scrape(self.port)

    def processed(self) -> float:
        return value(self.metrics(), "mailflow_events_processed_total")

    def wait_up(self, timeout=60):
        wait_for(lambda: self.proc.poll() is None and self.metrics(), timeout, f"worker on :{self.port} to serve /metrics")

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


def make_topics(broker, prefix):
    from kafka.admin import KafkaAdminClient, NewTopic

    topics = {"input": f"{prefix}.in", "alerts": f"{prefix}.alerts", "dlq": f"{prefix}.dlq"}
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap, request_timeout_ms=20000)
    try:
        admin.create_topics([NewTopic(t, PARTITIONS, 1) for t in topics.values()])
    finally:
        admin.close()
    return topics


def produce(broker, topic, records):
    """``records``: iterable of (key bytes, value bytes)."""
    from kafka import KafkaProducer

    p = KafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=5, acks=1)
    n = 0
    for k, v in records:
        p.send(topic, key=k, value=v)
        n += 1
    p.flush(30)
    p.close()
    return n


def produce_and_wait(broker, topic, records, worker, timeout=90):
    """Produce ``records`` and wait until ``worker`` processed that many (its log tail on failure)."""
    n = produce(broker, topic, records)
    try:
        wait_for(lambda: worker.processed() >= n, timeout, f"{n} events processed")
    except AssertionError:
        print(worker.tail())
        raise
    return n


def consume_all(broker, topic, expect_at_least=1, timeout=30.0):
    """Every record of ``topic`` (from the beginning); polls until ``expect_at_least`` or the deadline."""
    from kafka import KafkaConsumer

    c = KafkaConsumer(topic, bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest", group_id=None,
                      enable_auto_commit=False, consumer_timeout_ms=1500)
    out = []
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


def latest_states(broker, app_id, timeout=20.0):
    """Sender -> last ``SenderState`` written to the table's changelog topic."""
    from detectors.statecodec import loads as load_state  # the changelog's format (docs/state.md)

    states = {}
    for rec in consume_all(broker, f"{app_id}-sender-state-changelog", 1, timeout):
        if rec.value is not None:
            states[rec.key.decode()] = load_state(rec.value)
    return states


def event(i, sender, ts, template, to, subject="Your order has shipped", body="Your parcel left our warehouse.", kind="automated"):
    return json.dumps({"event_id": f"{sender}-{i}", "ts": ts, "sender": sender, "sender_kind": kind, "template_id": template,
                       "to": to, "subject": subject, "body": body}).encode()


def incident_events(sender="care@shop.example.com"):
    """Normal shipping notices, then an automated blast asking 5 unrelated customers for an ID photo."""
    out = []
    for i in range(40):
        out.append((sender.encode(), event(i, sender, T0 + i * 300, "order-shipped", [f"customer{i}@gmail.com"])))
    t = T0 + 40 * 300
    for j in range(30):
        to = [f"victim{j}-{k}@gmail.com" for k in range(5)]
        out.append((sender.encode(), event(100 + j, sender, t + j * 20, "verify-identity", to, subject="Verify your account",
                                           body="Please reply with a photo of your passport or ID card.")))
    return out


def traffic(senders, per_sender, start_index=0, t_start=T0):
    """Plain shipping notices from ``senders``, interleaved."""
    out = []
    for i in range(start_index, start_index + per_sender):
        for s in senders:
            out.append((s.encode(), event(i, s, t_start + i * 60, "order-shipped", [f"c{i}@{s.split('@')[1]}.customers.example"])))
    return out


# ------------------------------------------------------------------- one worker: (a), (b)
@pytest.fixture(scope="module")
def single(broker, tmp_path_factory, free_port):
    prefix = "t" + uuid.uuid4().hex[:8]
    topics = make_topics(broker, prefix)
    w = Worker(broker, prefix, topics, free_port(), tmp_path_factory.mktemp(prefix))
    try:
        w.wait_up()
        yield broker, topics, w
    finally:
        w.stop()


def test_incident_raises_alert_on_topic_and_in_metrics(single):
    broker, topics, w = single
    produce_and_wait(broker, topics["input"], incident_events(), w)
    alerts = [json.loads(r.value) for r in consume_all(broker, topics["alerts"], 1, 30)]
    assert alerts, "no alert on the alerts topic"
    fields = {"alert_id", "ts", "detector", "severity", "sender", "template", "score", "summary", "evidence", "event_ids"}
    for a in alerts:
        assert set(a) == fields
        assert a["sender"] == "care@shop.example.com"
        assert a["severity"] in ("warning", "critical") and 0 <= a["score"] <= 1
        assert a["ts"].endswith("Z")
    assert {"sensitive_request", "fanout"} & {a["detector"] for a in alerts}
    m = w.metrics()
    total = sum(v for (name, _), v in m.items() if name == "mailflow_alerts_total")
    assert total == len(alerts) > 0
    assert value(m, "mailflow_last_event_timestamp_seconds") >= T0
    # no recipient address in any label, nor in the worker's log (INFO and above)
    assert not [k for k in m if "@gmail.com" in str(k[1])]
    assert "@gmail.com" not in w.log.read_text(errors="replace")


def test_malformed_events_go_to_dlq_and_good_ones_still_processed(single):
    broker, topics, w = single
    before = w.processed()
    base = {"event_id": "x", "ts": T0, "sender": "bad@shop.example.com", "to": ["a@gmail.com"]}
    bad = [
        (b'{"event_id": "x", "ts": ', "invalid_json"),
        (b"\xff\xfe\x00garbage", "invalid_utf8"),
        (json.dumps({k: v for k, v in base.items() if k != "sender"}).encode(), "missing_field"),
        (json.dumps(dict(base, to="a@gmail.com")).encode(), "wrong_type"),
        (json.dumps(dict(base, ts=True)).encode(), "wrong_type"),
        (json.dumps(dict(base, to=[f"r{i}@gmail.com" for i in range(5000)])).encode(), "too_many_recipients"),
    ]
    good = traffic(["after@shop.example.com"], 5)
    n_before_rejected = {r: value(w.metrics(), "mailflow_events_rejected_total", reason=r) for _, r in bad}
    produce(broker, topics["input"], [(b"bad@shop.example.com", v) for v, _ in bad] + good)
    wait_for(lambda: w.processed() >= before + len(good), 60, "good events after the bad ones processed")
    dlq = consume_all(broker, topics["dlq"], len(bad), 30)
    assert sorted(r.value for r in dlq) == sorted(v for v, _ in bad)  # original bytes
    by_value = {r.value: dict(r.headers) for r in dlq}
    for v, reason in bad:
        h = by_value[v]
        assert h["mailflow-reason"].decode() == reason
        assert h["mailflow-source-topic"].decode() == topics["input"]
        assert int(h["mailflow-source-partition"]) in range(PARTITIONS)
        assert int(h["mailflow-source-offset"]) >= 0
        assert "mailflow-detail" in h
    m = w.metrics()
    for reason in {r for _, r in bad}:
        want = n_before_rejected[reason] + sum(1 for _, r in bad if r == reason)
        assert value(m, "mailflow_events_rejected_total", reason=reason) == want, reason
    assert w.proc.poll() is None, "worker crashed"


# ----------------------------------------------------------- two workers: (c)
@pytest.fixture(scope="module")
def pair(broker, tmp_path_factory, free_port):
    prefix = "g" + uuid.uuid4().hex[:8]
    topics = make_topics(broker, prefix)
    tmp = tmp_path_factory.mktemp(prefix)
    workers = [Worker(broker, prefix, topics, free_port(), tmp) for _ in range(2)]
    try:
        for w in workers:
            w.wait_up()
        yield broker, prefix, topics, workers
    finally:
        for w in workers:
            w.stop()


SENDERS = [f"shop{i}@brand{i}.example.com" for i in range(12)]


def _counts(workers):
    tot = {"processed": 0.0, "duplicate": 0.0}
    each = []
    for w in workers:
        m = w.metrics()
        p, d = value(m, "mailflow_events_processed_total"), value(m, "mailflow_events_duplicate_total")
        each.append(p)
        tot["processed"] += p
        tot["duplicate"] += d
    return tot, each


def test_two_workers_share_partitions_and_count_each_event_once(pair):
    broker, app_id, topics, workers = pair
    records = traffic(SENDERS, 20)
    n = produce(broker, topics["input"], records)
    try:
        wait_for(lambda: _counts(workers)[0]["processed"] >= n, 120, f"{n} events processed by the group")
    except AssertionError:
        for w in workers:
            print(w.tail())
        raise
    time.sleep(2)  # nothing more should arrive
    tot, each = _counts(workers)
    assert tot["processed"] == n, tot
    assert all(p > 0 for p in each), f"partitions not shared: {each}"
    # each worker reports its share of the assignment; together, every partition once
    shares = [value(w.metrics(), "mailflow_assigned_partitions") for w in workers]
    assert sum(shares) == PARTITIONS and all(x > 0 for x in shares), shares
    states = wait_for(lambda: (s := latest_states(broker, app_id)) and len(s) == len(SENDERS) and s, 30, "states in changelog")
    assert {s: st.n_events for s, st in states.items()} == {s: 20 for s in SENDERS}


# The kill -9 of one of the two workers (state restored from the changelog, no event lost) runs on
# real Kafka: tests/kafka/test_faults_kill.py (Tansu under-reports end offsets, so restore is partial here).


# ------------------------------------------------- JSON logs, hashed sender labels (issue 13)
def test_worker_logs_json_lines_and_hashes_sender_labels(broker, tmp_path_factory, free_port, monkeypatch):
    """``--log-format json``: every line the worker writes is one JSON object; an incident
    and a dead letter leave no recipient address in them. ``--hash-sender-labels``: no
    label of /metrics holds an address, the alerts topic still does."""
    from streams.labels import SenderLabels

    key = "worker-test-label-key-0123"
    monkeypatch.setenv("MAILFLOW_LABEL_HASH_KEY", key)
    prefix = "j" + uuid.uuid4().hex[:8]
    topics = make_topics(broker, prefix)
    w = Worker(broker, prefix, topics, free_port(), tmp_path_factory.mktemp(prefix), "--log-format", "json",
               "--hash-sender-labels", "true")
    try:
        w.wait_up()
        # /readyz: 200 once the table is recovered after the assignment; /healthz all along
        wait_for(lambda: _status(w.port, "/readyz") == 200, 60, "the worker's /readyz to answer 200")
        assert _status(w.port, "/healthz") == 200
        up = w.metrics()  # the rebalance that made it ready, in its metrics
        assert value(up, "mailflow_assigned_partitions") == PARTITIONS  # the only worker: every partition
        assert value(up, "mailflow_rebalances_total", phase="assigned") >= 1
        assert value(up, "mailflow_rebalances_total", phase="recovered") >= 1
        assert value(up, "mailflow_table_recovering") == 0
        produce(broker, topics["input"], [(b"bad@shop.example.com", b'{"to": ["x@gmail.com"], "ts": ')])
        produce_and_wait(broker, topics["input"], incident_events(), w)
        alerts = [json.loads(r.value) for r in consume_all(broker, topics["alerts"], 1, 30)]
        wait_for(lambda: any(name == "mailflow_active_alert" for name, _ in w.metrics()), 30, "an active alert series")
        m = w.metrics()
    finally:
        w.stop()
    assert {a["sender"] for a in alerts} == {"care@shop.example.com"}
    label_values = [v for _, labels in m for _, v in labels]
    assert not [v for v in label_values if "@" in v]
    assert SenderLabels(key)("care@shop.example.com") in label_values
    lines = [line for line in w.log.read_text(errors="replace").splitlines() if line.strip()]
    assert lines, "the worker logged nothing"
    rows = []
    for line in lines:
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            raise AssertionError(f"not a JSON line: {line!r}\n{w.tail()}") from None
    assert all({"ts", "level", "logger", "message"} <= set(r) for r in rows)
    assert "@gmail.com" not in w.log.read_text(errors="replace")
