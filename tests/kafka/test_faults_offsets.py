"""Offset reset on the real Apache Kafka broker (KRaft): the input topic deleted and re-created.

A worker learns ``N`` events of a few senders; then the input topic is deleted and created
again, so its offsets start at 0 again, below the offsets the senders' states remember.
``N`` new events (new event ids) follow. They must all be processed and learned: a record
at or below a remembered offset is a re-delivery only if its event id was seen
(``detectors.pipeline.Sentinel.process``). Before that rule, 5,000 of 5,000 such events
were silently counted as duplicates.

Two ways an incident goes:

* the worker is down while the topic is re-created and the producers go on, then it is
  started again on the same data dir: every new event processed, ``mailflow_offset_resets_total``
  > 0, no duplicate (passes);
* the worker keeps running through the delete and re-create: **fails on real Kafka** at times
  (xfail, not strict), see :func:`test_topic_recreated_under_a_running_worker_new_events_all_processed`.
"""

from __future__ import annotations

import time
import uuid

import pytest
from kafka_harness import PARTITIONS, Worker, traffic, value, wait_for

pytestmark = pytest.mark.kafka

SENDERS = [f"news{i}@letters{i}.example.org" for i in range(6)]
PER_SENDER = 100
N = PER_SENDER * len(SENDERS)


def learned(kafka, app_id):
    states = kafka.latest_states(app_id, timeout=10)
    return {s: states[s].n_events if s in states else 0 for s in SENDERS}


def wait_learned(kafka, app_id, want, w, timeout=60):
    try:
        return wait_for(lambda: (got := learned(kafka, app_id)) == want and got, timeout, f"the changelog at {want}", 1.0)
    except AssertionError:
        print(w.tail(60))
        raise


def counters(w) -> str:
    m = w.metrics()
    return (f"processed {value(m, 'mailflow_events_processed_total'):.0f}, duplicates "
            f"{value(m, 'mailflow_events_duplicate_total'):.0f}, resets {value(m, 'mailflow_offset_resets_total'):.0f}")


def learn_first(kafka, tmp, name="first"):
    """A worker on fresh topics that learned ``PER_SENDER`` events of each sender (in the changelog)."""
    app_id = "ko" + uuid.uuid4().hex[:8]
    topics = kafka.make_topics(app_id)
    w = Worker(kafka, app_id, topics, tmp, name=name, data_dir=tmp / "data")
    w.wait_up()
    kafka.produce(topics["input"], traffic(SENDERS, PER_SENDER))
    wait_for(lambda: w.processed() >= N, 60, f"{N} events processed")
    wait_learned(kafka, app_id, {s: PER_SENDER for s in SENDERS}, w)
    assert value(w.metrics(), "mailflow_offset_resets_total") == 0
    return app_id, topics, w


def test_topic_recreated_while_the_worker_is_down_restarted_worker_processes_all(kafka, tmp_path):
    app_id, topics, w = learn_first(kafka, tmp_path)
    w2 = None
    try:
        w.stop()
        assert w.proc.returncode == 0, w.tail()
        # the incident: the topic is re-created (offsets from 0) and producers go on while no worker runs
        kafka.delete_topic(topics["input"])
        wait_for(lambda: topics["input"] not in kafka.list_topics(), 60, "the input topic deleted", 0.2)
        kafka.create_topic(topics["input"], PARTITIONS)
        kafka.produce(topics["input"], traffic(SENDERS, PER_SENDER, start_index=PER_SENDER))  # new event ids
        w2 = Worker(kafka, app_id, topics, tmp_path, name="restarted", data_dir=tmp_path / "data")
        w2.wait_up()
        try:
            wait_for(lambda: w2.processed() >= N, 90, f"the {N} events after the re-create processed")
        except AssertionError:
            print(counters(w2))
            print(w2.tail(60))
            raise
        wait_learned(kafka, app_id, {s: 2 * PER_SENDER for s in SENDERS}, w2)
        time.sleep(1)
        m = w2.metrics()
        assert value(m, "mailflow_events_processed_total") == N
        assert value(m, "mailflow_offset_resets_total") > 0
        assert value(m, "mailflow_events_duplicate_total") == 0
        assert w2.proc.poll() is None, w2.tail()
    finally:
        w.stop()
        if w2 is not None:
            w2.stop()
        kafka.delete_topics_of(app_id)


def test_topic_recreated_under_a_running_worker_new_events_all_processed(kafka, tmp_path):
    app_id, topics, w = learn_first(kafka, tmp_path)
    try:
        kafka.delete_topic(topics["input"])
        t0 = time.monotonic()
        try:  # the operator re-creates it with its partitions; the running worker may have been faster
            wait_for(lambda: topics["input"] not in kafka.list_topics(), 10, "the input topic deleted", 0.05)
            kafka.create_topic(topics["input"], PARTITIONS)
        except Exception as exc:
            from kafka.admin import NewPartitions

            parts = kafka.partitions_of(topics["input"])
            print(f"the input topic re-appeared {time.monotonic() - t0:.2f}s after the delete, not created by the test "
                  f"({type(exc).__name__}), with {len(parts)} partition(s); growing it to {PARTITIONS}")
            if len(parts) < PARTITIONS:
                admin = kafka.admin()
                try:
                    admin.create_partitions({topics["input"]: NewPartitions(PARTITIONS)})
                finally:
                    admin.close()
                wait_for(lambda: len(kafka.partitions_of(topics["input"])) == PARTITIONS, 30, "4 partitions")
        kafka.produce(topics["input"], traffic(SENDERS, PER_SENDER, start_index=PER_SENDER))  # new event ids
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and w.proc.poll() is None and w.processed() < 2 * N:
            time.sleep(0.5)
        assert w.proc.poll() is None, f"the worker died ({w.proc.returncode}):\n{w.tail(30)}"
        assert w.processed() >= 2 * N, f"{counters(w)} (want {2 * N} processed)\n{w.tail(30)}"
        wait_learned(kafka, app_id, {s: 2 * PER_SENDER for s in SENDERS}, w)
        m = w.metrics()
        assert value(m, "mailflow_events_processed_total") == 2 * N
        assert value(m, "mailflow_offset_resets_total") > 0
        assert value(m, "mailflow_events_duplicate_total") == 0
    finally:
        w.stop()
        kafka.delete_topics_of(app_id)
