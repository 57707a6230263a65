"""Poison records on the real Apache Kafka broker (KRaft): 0.9, 1.0, 1.5 and 10 MiB values.

The Kafka version of the former Tansu test tests/streams/test_deadletter_broker.py. The
defect it guards against: a record just under 1 MiB was rejected as ``too_large``, its
dead-letter copy (value + headers) was over the producer's request limit, and
``MessageSizeTooLargeError`` crashed the worker before it committed, so the same record
crashed every restart. Now each is dead-lettered (truncated where needed, with its
original size and SHA-256 in headers), the worker stays up, the events after them are
processed, their offsets are committed, and a restarted worker does not see them again.

The input topic accepts 16 MiB records (``max.message.bytes``) and the test producer
sends requests up to 32 MiB, so that a 10 MiB record can be produced at all; the
dead-letter topic keeps Kafka's default limit (1,048,588 bytes), the one the worker's
960 KiB cap is made for.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid

import pytest
from kafka_harness import PARTITIONS, Worker, traffic, value, wait_for

pytestmark = pytest.mark.kafka

MIB = 1024 * 1024
SIZES_MIB = (0.9, 1.0, 1.5, 10)
#: the worker's default dead_letter_max_bytes (streams.deadletter.DEFAULT_MAX_BYTES)
DLQ_MAX = 960 * 1024
BIG = {"max_request_size": 32 * MIB, "request_timeout_ms": 60000}
KEY = b"big@shop.example.com"


def big_event(mib: float, i: int) -> bytes:
    """A record of exactly ``mib`` MiB: JSON-looking, far over max_event_bytes (512 KiB)."""
    n = int(mib * MIB)
    head = json.dumps({"event_id": f"big-{i}", "ts": 1503568800.0, "sender": "big@shop.example.com", "pad": ""})[:-2].encode()
    body = (b"%08d" % i) * (n // 8 + 1)
    return (head + body)[: n - 2] + b'"}'


def big_topics(kafka, prefix):
    topics = {"input": f"{prefix}.in", "alerts": f"{prefix}.alerts", "dlq": f"{prefix}.dlq"}
    kafka.create_topic(topics["input"], PARTITIONS, **{"max.message.bytes": str(16 * MIB)})
    kafka.create_topic(topics["alerts"], PARTITIONS)
    kafka.create_topic(topics["dlq"], PARTITIONS)  # Kafka's default max.message.bytes
    return topics


def headers(rec) -> dict[str, str]:
    return {k: v.decode() for k, v in rec.headers}


@pytest.fixture(scope="module")
def dl(kafka, tmp_path_factory):
    prefix = "kd" + uuid.uuid4().hex[:8]
    topics = big_topics(kafka, prefix)
    tmp = tmp_path_factory.mktemp(prefix)
    w = Worker(kafka, prefix, topics, tmp, name="first")
    try:
        w.wait_up()
        yield kafka, prefix, topics, tmp, w
    finally:
        w.stop()
        kafka.delete_topics_of(prefix)


def test_records_of_0_9_to_10_mib_are_dead_lettered_and_the_worker_stays_up(dl):
    kafka, app_id, topics, _, w = dl
    bigs = [big_event(mib, i) for i, mib in enumerate(SIZES_MIB)]
    assert [len(b) for b in bigs] == [int(m * MIB) for m in SIZES_MIB]
    # all on one partition (one key), the good events after them on the same partition
    kafka.produce(topics["input"], [(KEY, b) for b in bigs], **BIG)
    good = [(KEY, rec) for _, rec in traffic(["big@shop.example.com"], 5)]
    kafka.produce(topics["input"], good)
    assert sum(kafka.end_offsets(topics["input"]).values()) == len(bigs) + len(good)
    try:
        wait_for(lambda: w.processed() >= len(good), 120, "the good events after the big ones processed")
    except AssertionError:
        print(w.tail(60))
        raise
    assert w.proc.poll() is None, w.tail(60)

    dlq = kafka.read_to_end(topics["dlq"])
    by_source = {int(headers(r)["mailflow-source-offset"]): r for r in dlq}
    assert len(dlq) == len(by_source) == len(bigs), sorted(by_source)
    for r, original in zip((by_source[o] for o in sorted(by_source)), bigs):
        h = headers(r)
        assert h["mailflow-reason"] == "too_large"
        assert h["mailflow-source-topic"] == topics["input"]
        assert int(h["mailflow-original-size"]) == len(original)
        assert h["mailflow-original-sha256"] == hashlib.sha256(original).hexdigest()
        assert r.key == KEY
        stored = r.value
        if len(original) + 4096 < DLQ_MAX:  # 0.9 MiB: fits whole
            assert stored == original and "mailflow-truncated" not in h
        else:
            assert h["mailflow-truncated"] == "true"
            assert int(h["mailflow-stored-size"]) == len(stored)
            assert original.startswith(stored) and DLQ_MAX - 8192 < len(stored) < DLQ_MAX
    m = w.metrics()
    assert value(m, "mailflow_events_rejected_total", reason="too_large") == len(bigs)
    assert value(m, "mailflow_dead_letters_truncated_total") == sum(1 for b in bigs if len(b) + 4096 >= DLQ_MAX)
    assert value(m, "mailflow_dead_letter_failed_total") == 0
    assert value(m, "mailflow_events_processed_total") == len(good)
    # the partition moved on: its committed offset passes the big records (Faust commits every 3 s)
    total = len(bigs) + len(good)
    wait_for(lambda: sum(kafka.committed(app_id, topics["input"]).values()) >= total, 60,
             "the input offsets committed past the big records", interval=1.0)


def test_a_restarted_worker_does_not_crash_loop_nor_dead_letter_them_again(dl):
    """The offsets were committed: a new worker of the same group starts after them, and stays up."""
    kafka, app_id, topics, tmp, w = dl
    before = len(kafka.read_to_end(topics["dlq"]))
    w.stop()
    assert w.proc.returncode == 0, w.tail(60)
    w2 = Worker(kafka, app_id, topics, tmp, name="restarted")
    try:
        w2.wait_up()
        more = [(KEY, rec) for _, rec in traffic(["big@shop.example.com"], 3, start_index=5)]
        kafka.produce(topics["input"], more)
        wait_for(lambda: w2.processed() >= len(more), 60, "the restarted worker processing new events")
        time.sleep(2)
        assert w2.proc.poll() is None, w2.tail(60)
        m = w2.metrics()
        assert value(m, "mailflow_events_rejected_total", reason="too_large") == 0
        assert value(m, "mailflow_events_processed_total") == len(more)
        assert len(kafka.read_to_end(topics["dlq"])) == before
    finally:
        w2.stop()
    assert w2.proc.returncode == 0, w2.tail(60)


def test_the_agent_path_dead_letters_a_big_record_too(kafka, tmp_path):
    """``--bulk-read false`` (Faust's per-event stream): the same policy."""
    prefix = "ka" + uuid.uuid4().hex[:8]
    topics = big_topics(kafka, prefix)
    w = Worker(kafka, prefix, topics, tmp_path, extra=("--bulk-read", "false"))
    original = big_event(10, 0)
    try:
        w.wait_up()
        kafka.produce(topics["input"], [(KEY, original)], **BIG)
        good = [(KEY, rec) for _, rec in traffic(["big@shop.example.com"], 3)]
        kafka.produce(topics["input"], good)
        try:
            wait_for(lambda: w.processed() >= len(good), 120, "the good events after the big one processed")
        except AssertionError:
            print(w.tail(60))
            raise
        (r,) = kafka.read_to_end(topics["dlq"])
        h = headers(r)
        assert h["mailflow-truncated"] == "true" and h["mailflow-original-sha256"] == hashlib.sha256(original).hexdigest()
        assert int(h["mailflow-original-size"]) == len(original)
        assert original.startswith(r.value) and len(r.value) < DLQ_MAX
        assert w.proc.poll() is None
    finally:
        w.stop()
        kafka.delete_topics_of(prefix)
