"""The Faust seam (streams/seam.py): ack/commit parity with Faust's own bookkeeping, the
start-up check, the transport registration, and that no other module touches Faust's internals."""

from __future__ import annotations

import asyncio
import logging
import pathlib
import re

import pytest
from prometheus_client import CollectorRegistry

from streams import seam
from streams.app import create_app
from streams.settings import WorkerSettings

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def mapp(tmp_path):
    settings = WorkerSettings(app_id="seam-test", data_dir=str(tmp_path), internal_domains=("example.com",))
    m = create_app(settings, registry=CollectorRegistry())
    m.app.finalize()
    m.app.conf.store = "memory://"
    m.app.flow_control.resume()
    m.app.topics.add(m.topics.input)
    asyncio.run(m.app.topics._update_indices())
    return m


def _message(tp, offset):
    from faust.types.tuples import Message

    return Message(tp.topic, tp.partition, offset, 0.0, 0, None, b"k", b"v", None, tp=tp)


def _state(consumer, tp):
    return (list(consumer._acked[tp]), set(consumer._acked_index[tp]), consumer._new_offset(tp))


SEQUENCES = {
    "consecutive": [range(0, 10)],
    "holes": [range(0, 4), [6, 7], [9]],
    "repeats": [range(0, 5), [3, 4, 5], range(0, 7)],
    "out_of_order": [[5, 6], [0, 1, 2], [4, 3], [7]],
    "below_committed": [[0, 1, 2, 3, 4, 5]],
    "empty_batches": [[], range(0, 3), []],
}


@pytest.mark.parametrize("name", sorted(SEQUENCES))
@pytest.mark.parametrize("committed", [None, 3])
def test_bulk_acks_match_faust_per_message_acks(mapp, name, committed):
    """The same record sequences acked by the seam (in bulk) and by Faust's ``Consumer.ack``
    (one message at a time) leave the same acked lists, index, count and commit offset."""
    consumer = mapp.app.consumer
    topic = mapp.topics.input.get_topic_name()
    from faust.types import TP

    bulk, single = TP(topic, 0), TP(topic, 1)
    for tp in (bulk, single):
        consumer._committed_offset[tp] = committed
    batches = SEQUENCES[name]
    n0 = consumer._n_acked
    n_bulk = seam.ack_offsets(consumer, [(bulk, list(b)) for b in batches])
    n_single = sum(consumer.ack(_message(single, o)) for b in batches for o in b)
    assert n_bulk == n_single
    assert consumer._n_acked - n0 == n_bulk + n_single
    assert _state(consumer, bulk) == _state(consumer, single)


def test_gaps_let_the_commit_pass_a_hole_in_both(mapp):
    """A hole recorded as a gap (compacted records) is passed by the commit either way."""
    consumer = mapp.app.consumer
    topic = mapp.topics.input.get_topic_name()
    from faust.types import TP

    bulk, single = TP(topic, 2), TP(topic, 3)
    for tp in (bulk, single):
        asyncio.run(consumer._add_gap(tp, 4, 6))  # offsets 4, 5 compacted away
    seam.ack_offsets(consumer, [(bulk, range(0, 4)), (bulk, range(6, 9))])
    for o in [*range(0, 4), *range(6, 9)]:
        consumer.ack(_message(single, o))
    assert consumer._new_offset(bulk) == consumer._new_offset(single) is not None


def test_revoked_partition_bookkeeping_is_forgotten_alike(mapp):
    """After a revocation Faust drops the partition's acks; the seam's later acks then
    rebuild the same state as Faust's own acks do."""
    consumer = mapp.app.consumer
    topic = mapp.topics.input.get_topic_name()
    from faust.types import TP

    bulk, single = TP(topic, 4), TP(topic, 5)
    seam.ack_offsets(consumer, [(bulk, range(0, 5))])
    for o in range(0, 5):
        consumer.ack(_message(single, o))
    asyncio.run(consumer.on_partitions_revoked({bulk, single}))
    assert _state(consumer, bulk) == _state(consumer, single) == ([], set(), None)
    seam.ack_offsets(consumer, [(bulk, range(2, 6))])  # re-delivered to the next owner
    for o in range(2, 6):
        consumer.ack(_message(single, o))
    assert _state(consumer, bulk) == _state(consumer, single)


def test_a_topic_without_acks_is_left_alone(mapp):
    from faust.types import TP

    assert seam.ack_offsets(mapp.app.consumer, [(TP("not-subscribed", 0), range(5))]) == 0


def test_the_processor_acks_through_the_seam_only_after_its_states_are_written(mapp):
    consumer = mapp.app.consumer
    from faust.types import TP

    tp = TP(mapp.topics.input.get_topic_name(), 6)
    proc = mapp.processor
    proc.flush_interval = 3600.0
    proc.last_flush = proc.clock.monotonic()
    proc.defer_acks([(tp, range(0, 3))])
    assert list(consumer._acked[tp]) == []  # waiting for the state write
    proc.flush_states()
    assert list(consumer._acked[tp]) == [0, 1, 2]


# ------------------------------------------------------------------ registration

def test_the_transport_is_registered_and_selected_for_the_consumer_only(mapp):
    from faust.transport import by_url

    assert by_url(f"{seam.SCHEME}://localhost:9092") is seam.BulkTransport
    assert seam.BulkTransport.Consumer is seam.BulkConsumer
    assert str(mapp.app.conf.broker_consumer[0]).startswith(f"{seam.SCHEME}://")
    assert str(mapp.app.conf.broker_producer[0]).startswith("kafka://")
    assert isinstance(mapp.app.consumer, seam.BulkConsumer)
    assert mapp.app.consumer.bulk_problems == []
    assert mapp.bulk


def test_bulk_read_off_is_faust_unchanged(tmp_path):
    m = create_app(WorkerSettings(app_id="seam-off", data_dir=str(tmp_path), bulk_read=False),
                   registry=CollectorRegistry())
    assert not m.bulk and m.processor.ack is None
    assert not isinstance(m.app.consumer, seam.BulkConsumer)


# ------------------------------------------------------------------ start-up check

def test_the_check_passes_on_the_installed_versions():
    assert seam.check_supported() == seam.Support(True, [])


def test_an_untested_version_falls_back_with_a_warning(caplog, tmp_path, monkeypatch):
    caplog.set_level(logging.WARNING, logger="streams.seam")
    s = seam.check_supported(versions={"faust-streaming": "0.16.0"})
    assert not s.bulk and "faust-streaming 0.16.0 outside the tested range" in s.problems[0]
    assert "bulk read path disabled" in caplog.text and "faust-streaming 0.16.0" in caplog.text
    assert not seam.check_supported(versions={"aiokafka": "0.13.9"}).bulk
    # the app then runs the public path: Faust's consumer, the agent stream acks
    real = seam.check_supported
    monkeypatch.setattr(seam, "check_supported", lambda: real(versions={"faust-streaming": "0.10.0"}))
    m = create_app(WorkerSettings(app_id="seam-old", data_dir=str(tmp_path)), registry=CollectorRegistry())
    assert not m.bulk and m.processor.ack is None
    assert not isinstance(m.app.consumer, seam.BulkConsumer)


def test_a_missing_private_name_falls_back_naming_it(monkeypatch, caplog):
    from faust.transport.consumer import Consumer

    caplog.set_level(logging.WARNING, logger="streams.seam")
    monkeypatch.delattr(Consumer, "_wait_next_records")
    s = seam.check_supported()
    assert not s.bulk and s.problems == ["missing Consumer._wait_next_records"]
    assert "Consumer._wait_next_records" in caplog.text


def test_a_missing_instance_name_falls_back_on_the_live_consumer(mapp, monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="streams.seam")
    monkeypatch.setattr(seam, "PRIVATE_NAMES", seam.PRIVATE_NAMES + (
        ("faust.transport.consumer:Consumer()", "_renamed_in_a_future_faust", "bulk"),))
    consumer = mapp.app.consumer
    assert consumer.bulk_problems == ["faust.transport.consumer:Consumer()._renamed_in_a_future_faust"]
    assert consumer.bulk_sink() is None  # _drain_messages is then Faust's own
    assert "_renamed_in_a_future_faust" in caplog.text


def test_a_missing_store_name_refuses_with_a_clear_message(monkeypatch):
    import faust.streams

    monkeypatch.delattr(faust.streams, "_current_event")
    with pytest.raises(seam.SeamUnsupported, match="faust.streams._current_event"):
        seam.check_supported()


def test_the_fallback_path_processes_events_through_the_agent(tmp_path, monkeypatch):
    """With the check failing, the agent stream (Faust's public path) handles the events."""
    import json

    monkeypatch.setattr(seam, "check_supported", lambda: seam.Support(False, ["test"]))
    m = create_app(WorkerSettings(app_id="seam-fallback", data_dir=str(tmp_path), internal_domains=("example.com",),
                                  batch_within=0.01), registry=CollectorRegistry())
    m.app.finalize()
    m.app.conf.store = "memory://"
    m.app.flow_control.resume()
    from unittest import mock

    async def run():
        with mock.patch.object(m.topics.alerts, "send_soon"), mock.patch.object(m.table, "send_changelog"):
            async with m.agent.test_context() as agent:
                for i in range(3):
                    ev = {"event_id": f"f{i}", "ts": 1503568800.0 + i, "sender": "a@example.com",
                          "sender_kind": "automated", "template_id": "t", "to": ["x@gmail.com"], "subject": "s", "body": "b"}
                    await agent.put(json.dumps(ev).encode(), key=b"a@example.com")
                for _ in range(100):
                    if m.metrics.registry.get_sample_value("mailflow_events_processed_total") >= 3:
                        break
                    await asyncio.sleep(0.02)

    asyncio.run(run())
    assert m.metrics.registry.get_sample_value("mailflow_events_processed_total") == 3


# ------------------------------------------------------------------ the rule: one seam

_PRIVATE = re.compile(
    r"\._(?:wait_next_records|to_message|acked|acked_index|n_acked|committed_offset|read_offset|gap|add_gap|"
    r"buffered_partitions|commit_every|waiting_for_ack|create_worker_consumer|fetch_max_wait_ms|subscription|"
    r"drain_messages|new_consumer|new_consumer_thread|db_for_partition|key_partition|iteritems|decode_key|"
    r"decode_value|buckets|upper_bounds)\b|_current_event|\back_lock\b|consumer\._thread\b|\._sum\.inc")


def test_no_module_but_the_seam_touches_private_names_of_faust_aiokafka_or_prometheus():
    offenders = []
    for path in sorted((ROOT / "streams").glob("*.py")):
        if path.name == "seam.py":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if _PRIVATE.search(line.split("#", 1)[0]) and "``" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []


def test_every_listed_private_name_is_used_by_the_seam():
    text = (ROOT / "streams" / "seam.py").read_text()
    body = text.split("PRIVATE_NAMES: tuple", 1)[1].split("\n)\n", 1)[1]
    unused = [name for _, name, _ in seam.PRIVATE_NAMES if name not in body]
    assert unused == []


def test_only_the_app_imports_the_agents_and_the_agents_import_no_faust():
    importers = [p.name for p in (ROOT / "streams").rglob("*.py")
                 if re.search(r"^\s*from \.agents import|^\s*from streams\.agents import|^\s*import streams\.agents",
                              p.read_text(), re.M)]
    assert importers == ["app.py"]
    src = (ROOT / "streams" / "agents.py").read_text()
    assert not re.search(r"^\s*(from|import) (faust|mode|aiokafka)\b", src, re.M)
    assert not re.search(r"^\s*(from \.app|from streams\.app|import streams\.app)", src, re.M)
