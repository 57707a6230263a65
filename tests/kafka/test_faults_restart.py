"""Open pages across a worker restart on the real Apache Kafka broker (KRaft), memory and RocksDB stores.

The Kafka version of the former Tansu test tests/streams/test_restart_broker.py, without
its workaround: Tansu under-reports a partition's end offset (the base offset of its last
record batch plus one), so there the first worker had to be fed one sender at a time to
keep one state per changelog batch. Here all senders arrive at once, and their states
share changelog batches, as in production.

A worker pages an incident of eight senders, is stopped (SIGTERM) and a new worker with
the same app id takes over: with the memory store the table comes back from the
changelog, with RocksDB from the files in the same data directory (plus the changelog
tail). The new worker must show the same ``mailflow_active_alert`` series before any new
event (not silently resolved), emit none of those alerts again while the incident goes
on (re-raised = 0), and keep all of them (lost = 0).
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
from kafka_harness import T0, Worker, active_alerts, event, wait_for

pytestmark = pytest.mark.kafka

SENDERS = [f"care{i}@shop{i}.example.net" for i in range(8)]


def blasts(start: int, n: int, t: float):
    """``n`` messages per sender asking five unrelated customers for an ID photo (senders interleaved)."""
    out = []
    for j in range(start, start + n):
        for s in SENDERS:
            to = [f"victim{j}-{k}@gmail.com" for k in range(5)]
            out.append((s.encode(), event(j, s, t + 20 * (j - start), "verify-identity", to, subject="Verify your account",
                                          body="Please reply with a photo of your passport or ID card.")))
    return out


def alert_keys(kafka, topic):
    return [(a["detector"], a["sender"], a["severity"]) for a in (json.loads(r.value) for r in kafka.read_to_end(topic))]


@pytest.mark.parametrize("store", ["memory://", "rocksdb://"])
def test_restart_keeps_open_pages_without_reraising_them(kafka, tmp_path, store):
    if store == "rocksdb://":
        pytest.importorskip("rocksdict", reason="the rocksdb extra (rocksdict) is not installed")
    prefix = "kr" + uuid.uuid4().hex[:8]
    topics = kafka.make_topics(prefix)
    extra = ("--store", store, "--state-flush-interval", "0.2")
    data = tmp_path / "data"
    first = Worker(kafka, prefix, topics, tmp_path, name="first", data_dir=data, extra=extra)
    second = None
    try:
        try:
            first.wait_up()
            n0 = kafka.produce(topics["input"], blasts(0, 3, T0))  # every sender at once: shared changelog batches
            wait_for(lambda: first.processed() >= n0, 60, f"{n0} events processed")
            before = wait_for(lambda: (a := active_alerts(first.metrics()))
                              and len({dict(k)["sender"] for k in a}) == len(SENDERS) and a, 30, "every sender paged")
            # the states reached the changelog before the stop (the flush interval is 0.2 s)
            wait_for(lambda: (st := kafka.latest_states(prefix, timeout=10)) and len(st) == len(SENDERS)
                     and all(x.n_events == 3 for x in st.values()), 30, "every state in the changelog")
        finally:
            first.stop()
        assert first.proc.returncode == 0, first.tail()
        paged = alert_keys(kafka, topics["alerts"])
        assert len(paged) == len(before)  # one alert per episode

        second = Worker(kafka, prefix, topics, tmp_path, name="second", data_dir=data, extra=extra)
        second.wait_up()
        # the open pages are back before any new event arrives: not silently resolved
        try:
            wait_for(lambda: active_alerts(second.metrics()) == before, 60, "the open-episode series restored")
        except AssertionError:
            print(second.tail(60))
            raise
        restored = active_alerts(second.metrics())
        # the incident goes on after the restart
        n = kafka.produce(topics["input"], blasts(100, 10, T0 + 600))
        wait_for(lambda: second.processed() >= n, 60, f"{n} events processed after the restart")
        time.sleep(2)  # any alert raised again would be on the alerts topic by now
        after = alert_keys(kafka, topics["alerts"])
        now = active_alerts(second.metrics())
        reraised = len(after) - len(paged)
        lost = len(before - now)
        print(f"{store}: {len(before)} open pages before the restart, {len(restored)} restored, "
              f"{reraised} re-raised, {lost} lost")
        assert reraised == 0, after[len(paged):]
        assert lost == 0
        assert now == before, second.tail()
        states = kafka.latest_states(prefix)
        assert {s: st.n_events for s, st in states.items()} == {s: 13 for s in SENDERS}  # none learned twice
    finally:
        if second is not None:
            second.stop()
        kafka.delete_topics_of(prefix)
    assert second.proc.returncode == 0, second.tail()
