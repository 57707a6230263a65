"""Dead-letter policy and failure handling, no broker: truncation, headers, retries, the replay
file's dead letters, and ``internal_error`` with the sender's state restored."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import pickle
from types import SimpleNamespace
from unittest import mock

import pytest
from prometheus_client import CollectorRegistry

from detectors import statecodec
from streams.app import create_app
from streams.deadletter import (
    DEFAULT_MAX_BYTES,
    HEADER_ORIGINAL_KEY_SIZE,
    HEADER_ORIGINAL_SHA256,
    HEADER_ORIGINAL_SIZE,
    HEADER_REASON,
    HEADER_SOURCE_OFFSET,
    HEADER_SOURCE_PARTITION,
    HEADER_SOURCE_TOPIC,
    HEADER_STORED_SIZE,
    HEADER_TRUNCATED,
    DeadLetterWriter,
    is_size_error,
    make_dead_letter,
    record_size,
)
from streams.settings import WorkerSettings, parse_settings

MIB = 1024 * 1024
T0 = 1503568800.0
SENDER = "care@example.com"


def headers(dl) -> dict[str, bytes]:
    return dict(dl.headers)


# ------------------------------------------------------------------ truncation, headers
def test_small_dead_letter_is_kept_whole_with_size_and_digest():
    value = b'{"event_id": "x", "ts": '
    dl = make_dead_letter(value, b"k", "invalid_json", "line 1", "mail.outbound", 3, 42)
    assert dl.value == value and dl.key == b"k" and not dl.truncated
    h = headers(dl)
    assert h[HEADER_REASON] == b"invalid_json"
    assert h[HEADER_SOURCE_TOPIC] == b"mail.outbound"
    assert h[HEADER_SOURCE_PARTITION] == b"3" and h[HEADER_SOURCE_OFFSET] == b"42"
    assert h[HEADER_ORIGINAL_SIZE] == str(len(value)).encode()
    assert h[HEADER_ORIGINAL_SHA256] == hashlib.sha256(value).hexdigest().encode()
    assert HEADER_TRUNCATED not in h and HEADER_STORED_SIZE not in h
    assert all(k.startswith("mailflow-") for k in h)


def test_null_value_stays_null():
    dl = make_dead_letter(None, None, "invalid_json", "empty", "t", None, None)
    assert dl.value is None and dl.key is None and not dl.truncated
    h = headers(dl)
    assert h[HEADER_ORIGINAL_SIZE] == b"0" and h[HEADER_ORIGINAL_SHA256] == hashlib.sha256(b"").hexdigest().encode()
    assert h[HEADER_SOURCE_PARTITION] == b"-1" and h[HEADER_SOURCE_OFFSET] == b"-1"


@pytest.mark.parametrize("mib", [0.9, 1.0, 1.5, 10])
def test_large_dead_letters_are_truncated_to_fit(mib):
    from aiokafka.record.default_records import DefaultRecordBatchBuilder

    value = bytes(range(256)) * (int(mib * MIB) // 256)
    limit = DEFAULT_MAX_BYTES
    dl = make_dead_letter(value, b"care@example.com", "too_large", "event is larger than max_event_bytes",
                          "mail.outbound", 1, 7, limit)
    # what aiokafka's producer checks against max_request_size
    exact = DefaultRecordBatchBuilder.estimate_size_in_bytes(dl.key, dl.value, dl.headers)
    assert exact <= record_size(dl.key, dl.value, dl.headers) <= limit
    h = headers(dl)
    assert h[HEADER_ORIGINAL_SIZE] == str(len(value)).encode()
    assert h[HEADER_ORIGINAL_SHA256] == hashlib.sha256(value).hexdigest().encode()
    if len(value) + 2048 <= limit:
        assert dl.value == value and not dl.truncated
    else:
        assert dl.truncated and h[HEADER_TRUNCATED] == b"true"
        assert value.startswith(dl.value) and len(dl.value) > limit - 4096  # the longest prefix, nearly
        assert h[HEADER_STORED_SIZE] == str(len(dl.value)).encode()


def test_a_huge_key_is_cut_and_its_size_kept():
    dl = make_dead_letter(b"v" * 100, b"k" * (2 * MIB), "too_large", "d", "t", 0, 0, 64 * 1024)
    assert len(dl.key) == 1024 and headers(dl)[HEADER_ORIGINAL_KEY_SIZE] == str(2 * MIB).encode()
    assert record_size(dl.key, dl.value, dl.headers) <= 64 * 1024 and dl.value == b"v" * 100


def test_dlq_headers_reexported_from_models():
    from streams import deadletter, models

    assert models.dlq_headers is deadletter.dlq_headers
    assert models.HEADER_REASON == "mailflow-reason"


def test_dead_letter_max_bytes_setting():
    assert WorkerSettings().dead_letter_max_bytes == DEFAULT_MAX_BYTES < 1_000_000
    assert parse_settings(["--dead-letter-max-bytes", "500000"], {}).dead_letter_max_bytes == 500000
    assert parse_settings([], {"MAILFLOW_DEAD_LETTER_MAX_BYTES": "300000"}).dead_letter_max_bytes == 300000
    for bad in ("100", "2000000"):
        with pytest.raises(Exception, match="dead_letter_max_bytes"):
            parse_settings(["--dead-letter-max-bytes", bad], {})
    with pytest.raises(Exception, match="dead_letter_max_bytes"):
        parse_settings(["--dead-letter-max-bytes", "lots"], {})


# ------------------------------------------------------------------ retries, counting
class FakeMetrics:
    def __init__(self):
        self.dead_letter_failed = SimpleNamespace(n=0)
        self.dead_letters_truncated = SimpleNamespace(n=0)
        for c in (self.dead_letter_failed, self.dead_letters_truncated):
            c.inc = (lambda c: lambda k=1: setattr(c, "n", c.n + k))(c)


def done(result=None, exc=None):
    fut = asyncio.get_running_loop().create_future()
    fut.set_exception(exc) if exc is not None else fut.set_result(result)
    return fut


def test_failing_send_is_retried_then_succeeds():
    calls, sleeps = [], []

    async def send(**kw):
        calls.append(kw)
        if len(calls) == 1:
            raise RuntimeError("broker not reachable")
        if len(calls) == 2:
            return done(exc=RuntimeError("NOT_LEADER_FOR_PARTITION"))
        return done("ok")

    async def sleep(s):
        sleeps.append(s)

    m = FakeMetrics()
    w = DeadLetterWriter(send, m, attempts=5, backoff=0.1, sleep=sleep)
    dl = make_dead_letter(b"x", b"k", "invalid_json", "d", "t", 0, 1)
    assert asyncio.run(w.write([dl])) == 0
    assert len(calls) == 3 and sleeps == [0.1, 0.2]
    assert m.dead_letter_failed.n == 0


def test_failing_send_is_counted_after_the_last_attempt_and_never_raises(caplog):
    calls, sleeps = [], []

    async def send(**kw):
        calls.append(kw)
        raise RuntimeError("broker down")

    async def sleep(s):
        sleeps.append(s)

    m = FakeMetrics()
    w = DeadLetterWriter(send, m, attempts=4, backoff=0.5, max_backoff=1.5, sleep=sleep)
    letters = [make_dead_letter(b"x%d" % i, b"k", "invalid_json", "d", "mail.outbound", 2, i) for i in range(3)]
    assert asyncio.run(w.write(letters)) == 3
    assert len(calls) == 12 and sleeps == [0.5, 1.0, 1.5]
    assert m.dead_letter_failed.n == 3
    text = caplog.text
    assert "NOT written after 4 attempts" in text and "mail.outbound[2]@1" in text


def test_a_size_refusal_shrinks_the_letter_before_the_retry():
    from aiokafka.errors import MessageSizeTooLargeError
    from faust.exceptions import ProducerSendError

    sizes = []

    async def send(key, value, headers):
        sizes.append(record_size(key, value, headers))
        if sizes[-1] > 200_000:  # the topic allows less than the setting says
            try:
                raise MessageSizeTooLargeError("too big")
            except MessageSizeTooLargeError as exc:
                raise ProducerSendError(f"Error while sending: {exc!r}") from exc
        return done("ok")

    async def sleep(s):
        pass

    m = FakeMetrics()
    w = DeadLetterWriter(send, m, attempts=5, sleep=sleep)
    value = b"a" * 700_000
    dl = make_dead_letter(value, b"k", "too_large", "d", "t", 0, 9)
    assert not dl.truncated
    assert asyncio.run(w.write([dl])) == 0
    assert sizes[0] > 700_000 and sizes[-1] <= 200_000 and len(sizes) == 3
    assert m.dead_letters_truncated.n == 1 and m.dead_letter_failed.n == 0


def test_is_size_error():
    from aiokafka.errors import MessageSizeTooLargeError

    assert is_size_error(MessageSizeTooLargeError())
    assert not is_size_error(RuntimeError("x"))


def test_a_delivery_that_never_reports_times_out_and_is_retried():
    calls = []

    async def send(**kw):
        calls.append(kw)
        if len(calls) == 1:
            return asyncio.get_running_loop().create_future()  # never completes
        return done("ok")

    async def sleep(s):
        pass

    w = DeadLetterWriter(send, FakeMetrics(), timeout=0.05, sleep=sleep)
    assert asyncio.run(w.write([make_dead_letter(b"x", None, "invalid_json", "d", "t", 0, 0)])) == 0
    assert len(calls) == 2


# ------------------------------------------------------------------ the replay file
def test_replay_dead_letter_file_keeps_the_original_bytes(tmp_path):
    from detectors.cli.replay import main

    bad_utf8 = b'{"event_id": "\xff\xfe", "ts": 1}'
    padded = b"  not json  "
    good = json.dumps({"event_id": "g", "ts": T0, "sender": SENDER, "to": ["a@gmail.com"]}).encode()
    f = tmp_path / "ev.jsonl"
    f.write_bytes(good + b"\n" + bad_utf8 + b"\r\n" + b"[1, 2]\n" + padded + b"\n")
    dl = tmp_path / "dead.jsonl"
    assert main([str(f), "--dead-letter", str(dl), "--no-progress"]) == 0
    rows = [json.loads(x) for x in dl.read_text().splitlines()]
    assert [r["line"] for r in rows] == [2, 3, 4]
    by_line = {r["line"]: r for r in rows}
    r = by_line[2]
    assert r["reason"] == "invalid_utf8"
    assert base64.b64decode(r["value_base64"]) == bad_utf8  # exact bytes, line ending removed
    assert r["size"] == len(bad_utf8) and r["sha256"] == hashlib.sha256(bad_utf8).hexdigest()
    assert r["value"] == bad_utf8.decode("utf-8", "backslashreplace")  # the old field, unchanged
    r = by_line[3]
    assert r["value"] == "[1, 2]" and "value_base64" not in r  # valid UTF-8: value is exact
    assert r["sha256"] == hashlib.sha256(b"[1, 2]").hexdigest()
    r = by_line[4]
    assert r["value"] == "not json" and base64.b64decode(r["value_base64"]) == padded


# ------------------------------------------------------------------ the worker's batch path
def blast(i: int, sender: str = SENDER, template: str = "verify-id") -> bytes:
    return json.dumps({
        "event_id": f"m{i}", "ts": T0 + 60 * i, "sender": sender, "sender_kind": "automated", "template_id": template,
        "to": [f"c{i}-{k}@gmail.com" for k in range(3)], "subject": "Verify your account",
        "body": "Please reply with a photo of your passport or ID card.",
    }).encode()


def msg(value, offset, partition=0, key=SENDER.encode(), topic="mail.outbound"):
    return SimpleNamespace(value=value, key=key, topic=topic, partition=partition, offset=offset)


def make_mapp(tmp_path, **kw):
    settings = WorkerSettings(app_id="dlq-unit", data_dir=str(tmp_path), internal_domains=("example.com",), **kw)
    m = create_app(settings, registry=CollectorRegistry())
    m.app.finalize()
    m.app.flow_control.resume()
    return m


def sample(m, name, **labels):
    return m.metrics.registry.get_sample_value(name, labels or None) or 0.0


class Capture:
    """Dead letters (Topic.send), alerts and changelog writes of one app, without a broker."""

    def __init__(self, m, fail_dlq: int = 0):
        self.dlq, self.alerts, self.changelog = [], [], []
        self.fail_dlq = fail_dlq

        async def send(force=False, **kw):
            if self.fail_dlq:
                self.fail_dlq -= 1
                raise RuntimeError("dead-letter topic unavailable")
            self.dlq.append(kw)
            return done("ok")

        def changelog(partition, key, value, **kw):
            # the bytes the real changelog write hands to the producer: the state codec's
            fut = SimpleNamespace(message=SimpleNamespace(value=None if value is None else statecodec.dumps(value)))
            self.changelog.append((partition, key))
            return fut

        self._patches = [
            mock.patch.object(m.topics.dlq, "send", side_effect=send),
            mock.patch.object(m.topics.alerts, "send_soon", side_effect=lambda **kw: self.alerts.append(kw)),
            mock.patch.object(m.table, "send_changelog", side_effect=changelog),
        ]

    def __enter__(self):
        for p in self._patches:
            p.start()
        return self

    def __exit__(self, *exc):
        for p in self._patches:
            p.stop()


def crafted_failure(m, bad_id: str, snapshots: list):
    """``Sentinel.process`` that, for the event ``bad_id``, learns half of it and then raises."""
    real = m.sentinel.process

    def process(e, state, offset=None):
        if e.event_id == bad_id:
            snapshots.append(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
            real(e, state, offset)  # the state is changed ...
            state.n_events += 1000  # ... and then some
            raise ZeroDivisionError("crafted")
        return real(e, state, offset)

    return mock.patch.object(m.sentinel, "process", side_effect=process)


def canon(obj, depth=0):
    """A structural, identity-free form of an object graph (pickle bytes also encode which
    equal strings are the same object, which a replay need not reproduce)."""
    if depth > 50:
        return "..."
    if obj is None or isinstance(obj, (bool, int, float, str, bytes)):
        return obj
    if isinstance(obj, type):
        return ("type", obj.__qualname__)
    if isinstance(obj, dict):
        return ("dict", [(canon(k, depth + 1), canon(v, depth + 1)) for k, v in obj.items()])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [canon(v, depth + 1) for v in obj])
    if isinstance(obj, (set, frozenset)):
        return ("set", sorted(repr(canon(v, depth + 1)) for v in obj))
    if hasattr(obj, "tolist"):
        return ("array", obj.tolist())
    if hasattr(obj, "__reduce_ex__"):
        red = obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
        if isinstance(red, tuple):
            return (type(obj).__name__, [canon(v, depth + 1) for v in red[1:3]],
                    canon(list(red[3]), depth + 1) if len(red) > 3 and red[3] is not None else None,
                    canon(list(red[4]), depth + 1) if len(red) > 4 and red[4] is not None else None)
    return repr(obj)


def state_bytes(state):
    """A comparable form of a state (or of its pickle)."""
    if isinstance(state, bytes):
        state = pickle.loads(state)
    return canon(state)


@pytest.mark.parametrize("flush_between", [True, False])
def test_internal_error_restores_the_senders_state_and_later_events_are_processed(tmp_path, flush_between):
    """Memory store: one batch, or two batches without a changelog write between (the bulk path)."""
    m = make_mapp(tmp_path)
    proc = m.processor
    snapshots: list[bytes] = []
    with Capture(m) as cap, crafted_failure(m, "m7", snapshots):
        asyncio.run(proc.handle_reliably([msg(blast(i), i) for i in range(4)]))
        if flush_between:
            proc.flush_states()
        # the crafted event is the sender's last one in its batch: the state after the batch
        # must be the state right before it
        asyncio.run(proc.handle_reliably([msg(blast(i), i) for i in range(4, 8)]))
        assert state_bytes(m.table.data[SENDER]) == state_bytes(snapshots[0])
        assert m.table.data[SENDER].n_events == 7
        # later events are processed, on the restored state
        asyncio.run(proc.handle_reliably([msg(blast(i), i) for i in range(8, 12)]))
        proc.flush_states()
    assert m.table.data[SENDER].n_events == 11
    assert sample(m, "mailflow_events_processed_total") == 11
    assert sample(m, "mailflow_events_failed_total") == 1
    assert sample(m, "mailflow_state_restore_failed_total") == 0
    assert len(cap.dlq) == 1
    h = dict(cap.dlq[0]["headers"])
    assert h[HEADER_REASON] == b"internal_error" and h[HEADER_SOURCE_OFFSET] == b"7"
    assert cap.dlq[0]["value"] == blast(7)


def test_internal_error_mid_batch_equals_a_run_without_the_event(tmp_path):
    """The failing event in the middle of a batch: the final state is that of the same
    events without it (its partial changes are gone, the others' are kept)."""
    events = [msg(blast(i), i) for i in range(10)]
    a = make_mapp(tmp_path / "a")
    with Capture(a), crafted_failure(a, "m5", []):
        asyncio.run(a.processor.handle_reliably(events))
        a.processor.flush_states()
    b = make_mapp(tmp_path / "b")
    with Capture(b):
        asyncio.run(b.processor.handle_reliably([e for e in events if e.offset != 5]))
        b.processor.flush_states()
    assert state_bytes(a.table.data[SENDER]) == state_bytes(b.table.data[SENDER])
    assert a.table.data[SENDER].n_events == 9


class SerializedStore(dict):
    """Stands in for RocksDB: holds pickled values, hands out fresh copies."""

    _db_for_partition = None

    def __setitem__(self, key, value):
        super().__setitem__(key, pickle.dumps(value))

    def __getitem__(self, key):
        return pickle.loads(super().__getitem__(key))

    def get(self, key, default=None):
        return self[key] if key in self else default


def test_internal_error_restore_from_a_serialized_store(tmp_path):
    m = make_mapp(tmp_path)
    m.table._data = SerializedStore()
    proc = m.processor
    snapshots: list[bytes] = []
    with Capture(m) as cap, crafted_failure(m, "m5", snapshots):
        asyncio.run(proc.handle_reliably([msg(blast(i), i) for i in range(3)]))
        asyncio.run(proc.handle_reliably([msg(blast(i), i) for i in range(3, 6)]))
        assert proc._store_copies is True
        assert state_bytes(m.table.data[SENDER]) == state_bytes(snapshots[0])
        asyncio.run(proc.handle_reliably([msg(blast(i), i) for i in range(6, 9)]))
    assert m.table.data[SENDER].n_events == 8
    assert [dict(d["headers"])[HEADER_REASON] for d in cap.dlq] == [b"internal_error"]


def test_a_failing_batch_is_rolled_back_retried_and_not_learned_twice(tmp_path):
    m = make_mapp(tmp_path)
    proc = m.processor
    proc.batch_backoff = 0.01
    import streams.agents as agents

    real_put = agents.store_put
    calls = {"n": 0}

    def flaky_put(*a, **kw):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disk full")
        return real_put(*a, **kw)

    bad = msg(b"{not json", 3)
    with Capture(m) as cap, mock.patch.object(agents, "store_put", side_effect=flaky_put):
        asyncio.run(proc.handle_reliably([msg(blast(i), i) for i in range(3)] + [bad]))
        proc.flush_states()
    st = m.table.data[SENDER]
    assert st.n_events == 3  # rolled back, then learned once
    assert len(cap.dlq) == 1 and cap.dlq[0]["value"] == b"{not json"  # queued once, not per attempt


def test_a_record_that_fails_alone_is_dead_lettered_and_the_rest_processed(tmp_path):
    m = make_mapp(tmp_path)
    proc = m.processor
    proc.batch_backoff = 0.0
    import streams.agents as agents

    real_put = agents.store_put

    def put(data, key, value, partition):
        if key == "poison@example.com":
            raise RuntimeError("cannot store this one")
        return real_put(data, key, value, partition)

    records = [msg(blast(i), i) for i in range(3)] + [msg(blast(9, "poison@example.com"), 3)] + [msg(blast(i), i) for i in range(4, 6)]
    with Capture(m) as cap, mock.patch.object(agents, "store_put", side_effect=put):
        asyncio.run(proc.handle_reliably(records))
        proc.flush_states()
    assert m.table.data[SENDER].n_events == 5
    assert [(dict(d["headers"])[HEADER_REASON], dict(d["headers"])[HEADER_SOURCE_OFFSET]) for d in cap.dlq] == [
        (b"internal_error", b"3")]
    assert sample(m, "mailflow_events_failed_total") == 1


def test_a_dead_letter_that_cannot_be_written_is_counted_and_the_batch_goes_on(tmp_path):
    m = make_mapp(tmp_path)
    proc = m.processor
    proc.dlq_writer.sleep = lambda s: asyncio.sleep(0)
    with Capture(m, fail_dlq=100) as cap:
        asyncio.run(proc.handle_reliably([msg(b"\xff\xfe", 0), msg(blast(1), 1)]))
    assert cap.dlq == []
    assert sample(m, "mailflow_dead_letter_failed_total") == 1
    assert sample(m, "mailflow_events_rejected_total", reason="invalid_utf8") == 1
    assert sample(m, "mailflow_events_processed_total") == 1


def test_a_too_large_event_is_dead_lettered_truncated(tmp_path):
    m = make_mapp(tmp_path, dead_letter_max_bytes=100_000)
    proc = m.processor
    big = b'{"event_id": "big", "pad": "' + b"x" * 600_000 + b'"}'
    with Capture(m) as cap:
        asyncio.run(proc.handle_reliably([msg(big, 0)]))
    (d,) = cap.dlq
    h = dict(d["headers"])
    assert h[HEADER_REASON] == b"too_large" and h[HEADER_TRUNCATED] == b"true"
    assert big.startswith(d["value"]) and record_size(d["key"], d["value"], d["headers"]) <= 100_000
    assert h[HEADER_ORIGINAL_SIZE] == str(len(big)).encode()
    assert h[HEADER_ORIGINAL_SHA256] == hashlib.sha256(big).hexdigest().encode()
    assert sample(m, "mailflow_dead_letters_truncated_total") == 1


def test_internal_error_after_the_table_was_restored_from_the_changelog(tmp_path):
    """Memory store: a rebalance replaces the state objects; the restore point follows."""
    m = make_mapp(tmp_path)
    proc = m.processor
    snapshots: list[bytes] = []
    with Capture(m), crafted_failure(m, "m6", snapshots):
        asyncio.run(proc.handle_reliably([msg(blast(i), i) for i in range(3)]))
        proc.flush_states()
        proc.forget_restore_points()  # what the assignment callback does
        m.table.data[SENDER] = pickle.loads(pickle.dumps(m.table.data[SENDER]))  # the recovery's new object
        asyncio.run(proc.handle_reliably([msg(blast(i), i) for i in range(3, 5)]))
        asyncio.run(proc.handle_reliably([msg(blast(i), i) for i in range(5, 7)]))  # m6 fails, after m5
    assert state_bytes(m.table.data[SENDER]) == state_bytes(snapshots[0])
    assert m.table.data[SENDER].n_events == 6


def test_restore_points_of_idle_senders_expire_and_are_taken_again(tmp_path):
    """Memory store: restore points are kept for recently written senders only (bounded
    memory); a sender that comes back after the expiry still restores exactly."""
    m = make_mapp(tmp_path)
    proc = m.processor
    snapshots: list[bytes] = []
    with Capture(m), crafted_failure(m, "m6", snapshots):
        asyncio.run(proc.handle_reliably([msg(blast(i), i) for i in range(3)]))
        proc.flush_states()
        assert SENDER in proc._bases
        proc.restore_point_seconds = 0.0
        asyncio.run(proc.handle_reliably([msg(blast(3, "other@example.com"), 3)]))
        proc.flush_states()  # the other sender's write expires the idle sender's restore point
        assert SENDER not in proc._bases and SENDER not in proc._bases_at
        proc.restore_point_seconds = 60.0
        asyncio.run(proc.handle_reliably([msg(blast(i), i) for i in range(4, 7)]))  # m6 fails, after m4, m5
    assert state_bytes(m.table.data[SENDER]) == state_bytes(snapshots[0])
    assert m.table.data[SENDER].n_events == 5
