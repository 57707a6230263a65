"""One ``mailflow worker`` subprocess on the real Apache Kafka broker (KRaft).

The same scenario as the Tansu test ``test_incident_raises_alert_on_topic_and_in_metrics``
in tests/streams/test_worker_broker.py, on the broker production runs.
"""

from __future__ import annotations

import json
import uuid

import pytest
from kafka_harness import T0, Worker, incident_events, value, wait_for

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def single(kafka, tmp_path_factory):
    prefix = "k" + uuid.uuid4().hex[:8]
    topics = kafka.make_topics(prefix)
    w = Worker(kafka, prefix, topics, tmp_path_factory.mktemp(prefix))
    try:
        w.wait_up()
        yield kafka, prefix, topics, w
    finally:
        w.stop()


def test_incident_raises_alert_on_topic_and_in_metrics(single):
    kafka, app_id, topics, w = single
    events = incident_events()
    n = kafka.produce(topics["input"], events)
    assert sum(kafka.end_offsets(topics["input"]).values()) == n  # the real broker reports every record
    try:
        wait_for(lambda: w.processed() >= n, 120, f"{n} events processed")
    except AssertionError:
        print(w.tail())
        raise
    alerts = [json.loads(r.value) for r in kafka.consume_all(topics["alerts"], 1, 30)]
    assert alerts, "no alert on the alerts topic"
    fields = {"alert_id", "ts", "detector", "severity", "sender", "template", "score", "summary", "evidence", "event_ids"}
    for a in alerts:
        assert set(a) == fields
        assert a["sender"] == "care@shop.example.com"
        assert a["severity"] in ("warning", "critical") and 0 <= a["score"] <= 1
        assert a["ts"].endswith("Z")
    assert {"sensitive_request", "fanout"} & {a["detector"] for a in alerts}
    m = w.metrics()
    assert value(m, "mailflow_events_processed_total") == n
    total = sum(v for (name, _), v in m.items() if name == "mailflow_alerts_total")
    assert total == len(alerts) > 0
    assert value(m, "mailflow_last_event_timestamp_seconds") >= T0
    # no recipient address in any label, nor in the worker's log (INFO and above)
    assert not [k for k in m if "@gmail.com" in str(k[1])]
    assert "@gmail.com" not in w.log.read_text(errors="replace")
    # the learned state reached the changelog: every event once
    states = wait_for(lambda: kafka.latest_states(app_id, timeout=5), 30, "the state in the changelog")
    assert states["care@shop.example.com"].n_events == n
    assert w.proc.poll() is None, "worker crashed"
