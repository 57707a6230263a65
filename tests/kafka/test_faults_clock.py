"""The 2099 event on the real Apache Kafka broker (KRaft): one sender's bad clock must not end the others' pages.

A few senders are under open critical episodes. Then one valid event dated 2099, from an
unrelated sender, arrives. Event-time "now" (the watermark) must not jump to 2099: were it
to, the expiry timer (every second here) would find every episode quiet for 80 years and
close it, and the ``mailflow_active_alert`` series that drive the pages would vanish. The
event is learned and counted in ``mailflow_events_future_total`` instead.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
from kafka_harness import T0, Worker, active_alerts, event, value, wait_for

pytestmark = pytest.mark.kafka

SENDERS = [f"care{i}@shop{i}.example.net" for i in range(3)]
SKEWED = "clock@skewed.example.org"
Y2099 = 4070908800.0  # 2099-01-01T00:00:00Z


def blasts(n: int, t: float):
    """``n`` messages per sender asking five unrelated customers for an ID photo."""
    out = []
    for j in range(n):
        for s in SENDERS:
            to = [f"victim{j}-{k}@gmail.com" for k in range(5)]
            out.append((s.encode(), event(j, s, t + 20 * j, "verify-identity", to, subject="Verify your account",
                                          body="Please reply with a photo of your passport or ID card.")))
    return out


def test_an_event_dated_2099_does_not_close_the_other_senders_episodes(kafka, tmp_path):
    prefix = "kc" + uuid.uuid4().hex[:8]
    topics = kafka.make_topics(prefix)
    w = Worker(kafka, prefix, topics, tmp_path)
    try:
        w.wait_up()
        n = kafka.produce(topics["input"], blasts(4, T0))
        wait_for(lambda: w.processed() >= n, 60, f"{n} events processed")
        before = wait_for(lambda: (a := active_alerts(w.metrics())) and {dict(k)["sender"] for k in a} == set(SENDERS) and a,
                          30, "every sender paged")
        critical = {dict(k)["sender"] for k in before if dict(k)["severity"] == "critical"}
        assert critical == set(SENDERS), sorted(before)
        time.sleep(2)  # a few expiry rounds: the episodes stay open on their own
        assert active_alerts(w.metrics()) == before
        m0 = w.metrics()
        assert value(m0, "mailflow_events_future_total") == 0
        watermark = value(m0, "mailflow_last_event_timestamp_seconds")

        future = json.dumps({"event_id": "skewed-1", "ts": Y2099, "sender": SKEWED, "sender_kind": "automated",
                             "template_id": "order-shipped", "to": ["c1@skewed.customers.example"],
                             "subject": "Your order has shipped", "body": "Your parcel left our warehouse."}).encode()
        kafka.produce(topics["input"], [(SKEWED.encode(), future)])
        wait_for(lambda: w.processed() >= n + 1, 30, "the 2099 event processed")
        time.sleep(4)  # four expiry rounds (--expire-interval 1) with the event read
        m = w.metrics()
        assert active_alerts(m) == before, f"episodes closed by a 2099 event: {sorted(before - active_alerts(m))}"
        assert value(m, "mailflow_events_future_total") == 1
        assert value(m, "mailflow_last_event_timestamp_seconds") == watermark < Y2099
        assert value(m, "mailflow_events_rejected_total", reason="bad_timestamp") == 0
        # it was a valid event: learned like any other
        states = wait_for(lambda: (st := kafka.latest_states(prefix, timeout=10)) and SKEWED in st and st, 30,
                          "the skewed sender's state in the changelog")
        assert states[SKEWED].n_events == 1
        assert w.proc.poll() is None, w.tail()
    finally:
        w.stop()
        kafka.delete_topics_of(prefix)
