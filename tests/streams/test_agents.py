"""Agent unit tests: no broker; Faust's ``agent.test_context()`` and the batch processor."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from unittest import mock

import pytest
from prometheus_client import CollectorRegistry

from streams.app import create_app
from streams.models import HEADER_REASON, HEADER_SOURCE_OFFSET, HEADER_SOURCE_PARTITION, HEADER_SOURCE_TOPIC
from streams.settings import WorkerSettings

T0 = 1503568800.0


def blast_event(i: int, ts: float | None = None) -> bytes:
    """An automated sender asking five unrelated gmail customers for an ID photo."""
    return json.dumps(
        {
            "event_id": f"m{i}",
            "ts": T0 + i if ts is None else ts,
            "sender": "care@example.com",
            "sender_kind": "automated",
            "template_id": "verify-id",
            "to": [f"c{i}-{k}@gmail.com" for k in range(5)],
            "subject": "Verify your account",
            "body": "Please reply with a photo of your passport or ID card.",
        }
    ).encode()


@pytest.fixture
def mapp(tmp_path):
    settings = WorkerSettings(app_id="unit-test", data_dir=str(tmp_path), internal_domains=("example.com",), batch_within=0.01)
    m = create_app(settings, registry=CollectorRegistry())
    m.app.finalize()
    m.app.conf.store = "memory://"
    m.app.flow_control.resume()
    return m


def sample(m, name, **labels):
    return m.metrics.registry.get_sample_value(name, labels or None) or 0.0


def fake_event(value, partition=0, offset=0, key=b"care@example.com", topic="mail.outbound"):
    return SimpleNamespace(message=SimpleNamespace(value=value, key=key, topic=topic, partition=partition, offset=offset))


class Sent:
    """Captures ``send_soon`` calls of the alerts and DLQ topics and the changelog."""

    def __init__(self, m):
        self.alerts, self.dlq, self.changelog = [], [], []
        self._patches = [
            mock.patch.object(m.topics.alerts, "send_soon", side_effect=lambda **kw: self.alerts.append(kw)),
            mock.patch.object(m.topics.dlq, "send_soon", side_effect=lambda **kw: self.dlq.append(kw)),
            # dead letters are sent with Topic.send and their delivery awaited (streams.deadletter)
            mock.patch.object(m.topics.dlq, "send", side_effect=self._send_dlq),
            mock.patch.object(m.table, "send_changelog", side_effect=lambda *a, **kw: self.changelog.append(a)),
        ]

    async def _send_dlq(self, force=False, **kw):
        self.dlq.append(kw)
        fut = asyncio.get_running_loop().create_future()
        fut.set_result(None)
        return fut

    def __enter__(self):
        for p in self._patches:
            p.start()
        return self

    def __exit__(self, *exc):
        for p in self._patches:
            p.stop()


def test_agent_test_context_valid_event_alerts_and_counts(mapp):
    async def run():
        with Sent(mapp) as sent:
            async with mapp.agent.test_context() as agent:
                for i in range(5):
                    await agent.put(blast_event(i), key=b"care@example.com")
                for _ in range(100):
                    if sample(mapp, "mailflow_events_processed_total") >= 5:
                        break
                    await asyncio.sleep(0.02)
            return sent

    sent = asyncio.run(run())
    assert sample(mapp, "mailflow_events_processed_total") == 5
    assert sent.alerts, "a fan-out / sensitive-request alert is emitted"
    alert = json.loads(sent.alerts[0]["value"])
    assert sent.alerts[0]["key"] == b"care@example.com"
    assert {"alert_id", "ts", "detector", "severity", "sender", "template", "score", "summary", "evidence", "event_ids"} <= set(alert)
    total = sum(
        sample(mapp, "mailflow_alerts_total", detector=a["detector"], severity=a["severity"])
        for a in {(json.loads(x["value"])["detector"], json.loads(x["value"])["severity"]): json.loads(x["value"]) for x in sent.alerts}.values()
    )
    assert total == len(sent.alerts)
    # the sender's learned state was written once per batch, not per event
    assert 1 <= len(sent.changelog) <= 5
    assert mapp.table.data["care@example.com"].n_events == 5


def test_agent_test_context_bad_bytes_go_to_dlq(mapp):
    async def run():
        with Sent(mapp) as sent:
            async with mapp.agent.test_context() as agent:
                await agent.put(b"\xff\xfe not utf-8", key=b"x")
                await agent.put(b"{not json", key=b"x")
                await agent.put(blast_event(1), key=b"care@example.com")
                for _ in range(100):
                    if sample(mapp, "mailflow_events_processed_total") >= 1:
                        break
                    await asyncio.sleep(0.02)
            return sent

    sent = asyncio.run(run())
    assert [d["value"] for d in sent.dlq] == [b"\xff\xfe not utf-8", b"{not json"]
    reasons = [dict(d["headers"])[HEADER_REASON] for d in sent.dlq]
    assert reasons == [b"invalid_utf8", b"invalid_json"]
    assert sample(mapp, "mailflow_events_rejected_total", reason="invalid_utf8") == 1
    assert sample(mapp, "mailflow_events_rejected_total", reason="invalid_json") == 1
    assert sample(mapp, "mailflow_events_processed_total") == 1


def test_batch_processor_rejects_every_reason_and_keeps_going(mapp):
    bad = {
        b'{"event_id": "a", "ts": 1503568800, "sender": "care@example.com"}': "no_recipients",
        b'{"ts": 1503568800, "sender": "care@example.com", "to": ["a@b.com"]}': "missing_field",
        b'{"event_id": 5, "ts": 1503568800, "sender": "care@example.com", "to": ["a@b.com"]}': "wrong_type",
        b"[1, 2]": "not_an_object",
        json.dumps({"event_id": "r", "ts": T0, "sender": "care@example.com", "to": [f"u{i}@x.com" for i in range(5000)]}).encode(): "too_many_recipients",
    }
    events = [fake_event(v, partition=3, offset=i) for i, v in enumerate(bad)] + [fake_event(blast_event(9), partition=3, offset=99)]
    with Sent(mapp) as sent:
        mapp.processor.handle(events)
        asyncio.run(mapp.processor.write_dead_letters())
    assert [d["value"] for d in sent.dlq] == list(bad)
    for d, reason in zip(sent.dlq, bad.values()):
        h = dict(d["headers"])
        assert h[HEADER_REASON] == reason.encode()
        assert h[HEADER_SOURCE_TOPIC] == b"mail.outbound" and h[HEADER_SOURCE_PARTITION] == b"3"
    assert dict(sent.dlq[1]["headers"])[HEADER_SOURCE_OFFSET] == b"1"
    for reason in bad.values():
        assert sample(mapp, "mailflow_events_rejected_total", reason=reason) == 1
    assert sample(mapp, "mailflow_events_processed_total") == 1
    assert sent.changelog == [(3, "care@example.com", mapp.table.data["care@example.com"])]


def test_redelivered_events_are_counted_as_duplicates(mapp):
    events = [fake_event(blast_event(i), offset=i) for i in range(4)]
    with Sent(mapp):
        mapp.processor.handle(events)
        mapp.processor.handle(events[2:])  # re-delivery after a crash
    assert sample(mapp, "mailflow_events_processed_total") == 4
    assert sample(mapp, "mailflow_events_duplicate_total") == 2
    assert sample(mapp, "mailflow_sender_events_total", sender="care@example.com") == 4


def test_redeliveries_under_new_offsets_and_late_events_are_counted(mapp):
    events = [fake_event(blast_event(i, T0 + 600 * i), offset=i) for i in range(4)]
    with Sent(mapp):
        mapp.processor.handle(events)
        # the same events again at new offsets (an upstream producer retried): not learned twice
        mapp.processor.handle([fake_event(blast_event(i, T0 + 600 * i), offset=10 + i) for i in range(4)])
        # a new event 20 minutes late: its bucket has closed; counted, not dropped
        mapp.processor.handle([fake_event(blast_event(99, T0 + 600 * 3 - 1200), offset=20)])
    assert sample(mapp, "mailflow_events_duplicate_total") == 4
    assert sample(mapp, "mailflow_events_late_total") == 1
    assert sample(mapp, "mailflow_events_processed_total") == 5


def test_episode_end_removes_active_alert(mapp):
    with Sent(mapp) as sent:
        mapp.processor.handle([fake_event(blast_event(i), offset=i) for i in range(3)])
        assert sent.alerts
        active = [s for s in mapp.metrics.registry.collect() if s.name == "mailflow_active_alert"][0].samples
        assert active and all("@gmail.com" not in str(s.labels) for s in active)
        # event time moves far past the quiet period
        mapp.processor.watermark += 10 * mapp.sentinel_config.episode_quiet_seconds
        assert mapp.processor.expire() >= 1
    active = [s for s in mapp.metrics.registry.collect() if s.name == "mailflow_active_alert"][0].samples
    assert active == []


def test_detector_failure_goes_to_dlq_not_crash(mapp):
    with Sent(mapp) as sent, mock.patch.object(mapp.sentinel, "process", side_effect=RuntimeError("boom")):
        mapp.processor.handle([fake_event(blast_event(1))])
        asyncio.run(mapp.processor.write_dead_letters())
    assert dict(sent.dlq[0]["headers"])[HEADER_REASON] == b"internal_error"
    assert sample(mapp, "mailflow_events_failed_total") == 1


def test_an_event_that_cannot_be_decoded_fails_alone(mapp, caplog):
    """A contract rejection is dead-lettered with its reason; a parser bug as ``internal_error``
    (logged, counted as failed); the batch's other events are processed."""
    from detectors import events as detector_events
    from streams import agents
    from streams.models import HEADER_DETAIL

    real = detector_events.parse_event

    def parse(value, **kw):
        if value == b"parser-bug":
            raise ValueError("boom")
        return real(value, **kw)

    batch = [fake_event(b"not json", offset=0), fake_event(b"parser-bug", offset=1), fake_event(blast_event(2), offset=2)]
    with Sent(mapp) as sent, mock.patch.object(agents, "parse_event", parse), caplog.at_level("WARNING", agents.__name__):
        mapp.processor.handle(batch)
        asyncio.run(mapp.processor.write_dead_letters())
    headers = [dict(d["headers"]) for d in sent.dlq]
    assert [h[HEADER_SOURCE_OFFSET] for h in headers] == [b"0", b"1"]
    assert headers[0][HEADER_REASON] != b"internal_error"
    assert headers[1][HEADER_REASON] == b"internal_error" and headers[1][HEADER_DETAIL] == b"parser raised ValueError"
    assert sample(mapp, "mailflow_events_failed_total") == 1
    assert sample(mapp, "mailflow_events_processed_total") == 1
    assert "parsing failed on event at mail.outbound[0]@1: ValueError" in caplog.text


def test_bulk_acks_commit_the_same_offsets_as_faust_per_message_acks(mapp):
    """The bulk path acks offsets per partition; Faust must then commit exactly what
    per-message ``Consumer.ack`` would: below-committed and repeated offsets ignored,
    the commit stopping at the first hole."""
    from faust.types import TP
    from faust.types.tuples import Message

    from streams.seam import BulkConsumer, ack_offsets

    consumer = mapp.app.consumer
    assert isinstance(consumer, BulkConsumer)  # the seam's consumer, chosen by its transport
    assert consumer.bulk_sink() is not None and consumer.bulk_sink()[0] is mapp.processor
    mapp.app.topics.add(mapp.topics.input)
    asyncio.run(mapp.app.topics._update_indices())
    topic = mapp.topics.input.get_topic_name()
    bulk, single = TP(topic, 0), TP(topic, 1)
    batches = [range(0, 10), [12, 13], [5, 6]]  # 5 and 6 twice; 10-11 missing
    for tp in (bulk, single):
        consumer._committed_offset[tp] = 3  # 0-2 were committed before

    n_bulk = ack_offsets(consumer, [(bulk, offsets) for offsets in batches])
    n_single = sum(
        consumer.ack(Message(topic, 1, o, 0.0, 0, None, b"k", b"v", None, tp=single)) for b in batches for o in b
    )

    assert n_bulk == n_single == 9  # 3-9, 12, 13
    assert consumer._acked[bulk] == consumer._acked[single]
    assert consumer._n_acked == 18
    assert consumer._new_offset(bulk) == consumer._new_offset(single) == 10
    # a topic without acks (not subscribed) is left alone
    assert ack_offsets(consumer, [(TP("other", 0), range(5))]) == 0


def test_offset_reset_events_are_processed_and_counted_not_dropped(mapp):
    # the input topic was re-created: the same partition's offsets start again at 0
    proc = mapp.processor
    with Sent(mapp):
        proc.handle([fake_event(blast_event(i), offset=5000 + i) for i in range(20)])
        assert sample(mapp, "mailflow_events_processed_total") == 20
        proc.handle([fake_event(blast_event(100 + i), offset=i) for i in range(30)])
        # a re-read of the new topic's records after a restart is still recognised
        proc.handle([fake_event(blast_event(100 + i), offset=i) for i in range(5)])
    assert sample(mapp, "mailflow_events_processed_total") == 50
    assert sample(mapp, "mailflow_events_duplicate_total") == 5
    assert sample(mapp, "mailflow_offset_resets_total") == 1
    assert mapp.table.data["care@example.com"].n_events == 50


# ---------------------------------------------------------------- plain Python, fakes only

class FakeStore:
    """A dict-backed :class:`streams.agents.Store`."""

    copies = False

    def __init__(self):
        self.data, self.changelog = {}, []

    def get(self, key, count_refused=True):
        return self.data.get(key)

    def contains_object(self, key, obj):
        return self.data.get(key) is obj

    def put(self, key, value, partition):
        self.data[key] = value

    def delete(self, key, partition):
        self.data.pop(key, None)

    def send_changelog(self, partition, key, value, **kw):
        self.changelog.append((partition, key))
        return None

    def items(self):
        return iter(list(self.data.items())), {}


class FakeClock:
    def __init__(self):
        self.now = T0 + 100.0
        self.mono = 0.0

    def time(self):
        return self.now

    def monotonic(self):
        return self.mono


def test_the_batch_processor_is_plain_python_with_fakes():
    from detectors.config import SentinelConfig
    from detectors.pipeline import Sentinel
    from streams.agents import BatchProcessor, Outputs, ProcessorConfig
    from streams.metrics import Metrics

    cfg = SentinelConfig.from_mapping({"internal_domains": ["example.com"]})
    store, clock, alerts, dlq, acked, failures = FakeStore(), FakeClock(), [], [], [], []

    async def send_dead_letter(**kw):
        dlq.append(kw)

    proc = BatchProcessor(
        sentinel=Sentinel(cfg), store=store, outputs=Outputs(send_alert=lambda **kw: alerts.append(kw),
                                                             send_dead_letter=send_dead_letter),
        metrics=Metrics(CollectorRegistry()), clock=clock,
        config=ProcessorConfig(max_event_bytes=cfg.max_event_bytes, max_recipients=cfg.max_recipients,
                               state_flush_interval=10.0),
        ack=acked.extend, on_failure=lambda msgs, exc: failures.append(exc), assigned_partitions=lambda: {0},
    )
    msgs = [fake_event(blast_event(i), offset=i).message for i in range(6)] + [fake_event(b"{bad", offset=6).message]
    asyncio.run(proc.handle_reliably(msgs))
    proc.defer_acks([("tp0", range(0, 7))])
    assert acked == [] and store.changelog == []  # not due yet: the flush interval has not passed
    clock.mono += 11.0
    assert proc.flush_due()
    proc.flush_states()
    assert acked == [("tp0", range(0, 7))] and store.changelog == [(0, "care@example.com")]
    assert store.data["care@example.com"].n_events == 6
    assert alerts and alerts[0]["key"] == b"care@example.com"
    assert len(dlq) == 1 and failures == []
    # open episodes come from the sentinel: after the quiet period they end and the index empties
    assert proc.partition_of == {"care@example.com": 0}
    proc.watermark += 10 * cfg.episode_quiet_seconds
    assert proc.expire() >= 1
    assert proc.partition_of == {}
    assert proc.rebuild() == 0  # nothing open any more


def test_the_agents_module_imports_no_faust():
    import subprocess
    import sys

    code = ("import sys, streams.agents; bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('faust', 'mode', 'aiokafka', 'streams.app')); assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))


def test_a_scrape_before_the_first_assignment_builds_nothing_of_faust(mapp):
    """/metrics is served from its own thread before the worker's loop starts the tables.
    Reading ``app.tables.recovery`` there would build Faust's recovery bound to a new loop of
    that thread, and the worker would never subscribe (``/readyz`` 503 for ever): a scrape
    must not touch it until the first assignment handed the recovery over."""
    import threading
    from unittest import mock

    from prometheus_client import generate_latest

    out: dict = {}
    touched: list = []
    with mock.patch.object(type(mapp.app.tables), "recovery", new_callable=mock.PropertyMock,
                           side_effect=lambda: touched.append(threading.current_thread().name)):
        t = threading.Thread(target=lambda: out.setdefault("text", generate_latest(mapp.metrics.registry)),
                             name="scrape")
        t.start()
        t.join(10)
    assert touched == []
    assert b'mailflow_table_recovery_remaining_messages{kind="active"} 0.0' in out["text"]

    # the first assignment (a signal on the worker's loop) hands the recovery over; scrapes then read it
    import asyncio
    from types import SimpleNamespace

    rec = SimpleNamespace(active_remaining_total=lambda: 1234, standby_remaining_total=lambda: 5)
    with mock.patch.object(type(mapp.app.tables), "recovery", new_callable=mock.PropertyMock,
                           side_effect=lambda: touched.append(threading.current_thread().name) or rec):
        asyncio.run(mapp.app.on_partitions_assigned.send(set()))
        t = threading.Thread(target=lambda: out.update(text=generate_latest(mapp.metrics.registry)), name="scrape")
        t.start()
        t.join(10)
    assert touched == [threading.current_thread().name]  # once, on the loop's thread, not in the scrape
    assert b'mailflow_table_recovery_remaining_messages{kind="active"} 1234.0' in out["text"]  # recovering
    assert b'mailflow_table_recovery_remaining_messages{kind="standby"} 5.0' in out["text"]
