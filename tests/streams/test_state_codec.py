"""The state codec in Faust: changelog recovery, store reads, refused records (streams/models.py)."""

from __future__ import annotations

import json
import logging
import os
import pickle
from pathlib import Path
from types import SimpleNamespace

import pytest
from faust.serializers import codecs
from prometheus_client import CollectorRegistry

from detectors import SenderState
from detectors import statecodec as sc
from streams.app import create_app
from streams.metrics import Metrics
from streams.models import LEGACY_STATE_CODEC, STATE_CODEC, RefusedState, StateCodec, restored_state, sender_digest
from streams.settings import WorkerSettings

DATA = Path(__file__).resolve().parents[1] / "data" / "state"
T0 = 1503568800.0
SENDER = "care@example.com"


class _Evil:
    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


@pytest.fixture
def mapp(tmp_path):
    settings = WorkerSettings(app_id="unit-test", data_dir=str(tmp_path), internal_domains=("example.com",), batch_within=0.01)
    m = create_app(settings, registry=CollectorRegistry())
    m.app.finalize()
    m.app.conf.store = "memory://"
    m.app.flow_control.resume()
    return m


def refused(m) -> float:
    return m.metrics.registry.get_sample_value("mailflow_state_restore_failed_total") or 0.0


def event(i: int) -> bytes:
    return json.dumps({"event_id": f"m{i}", "ts": T0 + i, "sender": SENDER, "sender_kind": "automated",
                       "template_id": "verify-id", "to": [f"c{i}-{k}@gmail.com" for k in range(5)],
                       "subject": "Verify your account",
                       "body": "Please reply with a photo of your passport or ID card."}).encode()


def fake_event(value, partition=0, offset=0):
    return SimpleNamespace(message=SimpleNamespace(value=value, key=SENDER.encode(), topic="mail.outbound",
                                                   partition=partition, offset=offset))


def test_both_codec_names_are_the_safe_codec():
    assert STATE_CODEC != LEGACY_STATE_CODEC
    for name in (STATE_CODEC, LEGACY_STATE_CODEC):
        assert isinstance(codecs.get_codec(name), StateCodec)


def test_the_codec_writes_v1_and_reads_v1_and_legacy():
    legacy = (DATA / "care.v0.pickle").read_bytes()
    st = codecs.loads(STATE_CODEC, legacy)
    assert type(st) is SenderState
    out = codecs.dumps(STATE_CODEC, st)
    assert out[:4] == sc.MAGIC_Z
    back = codecs.loads(STATE_CODEC, out)
    assert sc.dumps(back) == out
    assert type(codecs.loads(STATE_CODEC, (DATA / "care.v1.msgpack").read_bytes())) is SenderState


@pytest.mark.parametrize("name", [STATE_CODEC, LEGACY_STATE_CODEC])
def test_the_codec_turns_a_forged_or_corrupt_record_into_refused_state(tmp_path, name):
    marker = tmp_path / "pwned"
    for data in (pickle.dumps(_Evil(marker), protocol=5), b"\x00garbage", sc.MAGIC + b"\xc1"):
        v = codecs.loads(name, data)
        assert isinstance(v, RefusedState) and not v
    assert not marker.exists()


def test_the_table_serializers_give_refused_state_not_an_error(mapp, tmp_path):
    """What Faust calls: the changelog schema during recovery (memory store) and the
    table's value serializer on every read of a serialized store (RocksDB)."""
    marker = tmp_path / "pwned"
    forged = pickle.dumps(_Evil(marker), protocol=5)
    table = mapp.table
    ser = mapp.app.serializers
    for serializer in (table.value_serializer, table.changelog_topic.schema.value_serializer):
        assert serializer == STATE_CODEC
        assert isinstance(ser.loads_value(None, forged, serializer=serializer), RefusedState)
        good = ser.loads_value(None, (DATA / "care.v0.pickle").read_bytes(), serializer=serializer)
        assert type(good) is SenderState
    assert not marker.exists()


def test_changelog_recovery_of_a_refused_record_keeps_going(mapp, tmp_path):
    """The memory store's recovery path: decoded changelog events into table.data."""
    marker = tmp_path / "pwned"
    ser = mapp.app.serializers
    values = {"a@example.com": (DATA / "care.v0.pickle").read_bytes(),
              "b@example.com": pickle.dumps(_Evil(marker), protocol=5),
              "c@example.com": (DATA / "human.v1.msgpack").read_bytes()}
    batch = []
    for k, (key, raw) in enumerate(values.items()):
        v = ser.loads_value(None, raw, serializer=mapp.table.changelog_topic.schema.value_serializer)
        batch.append(SimpleNamespace(key=key, value=v, message=SimpleNamespace(key=key.encode(), value=raw, partition=0,
                                                                              offset=k)))
    mapp.table.data.apply_changelog_batch(batch, to_key=lambda k: k, to_value=lambda v: v)
    data = mapp.table.data
    assert type(data["a@example.com"]) is SenderState and type(data["c@example.com"]) is SenderState
    assert isinstance(data["b@example.com"], RefusedState)
    assert restored_state(data.get("b@example.com"), "b@example.com", mapp.metrics) is None
    assert refused(mapp) == 1
    assert not marker.exists()


def test_a_refused_state_starts_the_sender_fresh_counted_and_logged_without_the_address(mapp, caplog):
    mapp.table.data[SENDER] = RefusedState("forbidden")
    proc = mapp.processor
    mapp.table.send_changelog = lambda *a, **kw: None
    mapp.topics.alerts.send_soon = lambda **kw: None
    with caplog.at_level(logging.WARNING, logger="streams.models"):
        proc.handle([fake_event(event(i), offset=i) for i in range(3)])
    assert refused(mapp) == 1
    st = mapp.table.data[SENDER]
    assert type(st) is SenderState and st.n_events == 3 and st.sender == SENDER
    assert mapp.metrics.registry.get_sample_value("mailflow_events_processed_total") == 3
    warnings = [r.getMessage() for r in caplog.records if r.name == "streams.models"]
    assert len(warnings) == 1 and "refused" in warnings[0] and "forbidden" in warnings[0]
    assert SENDER not in warnings[0] and "example.com" not in warnings[0]
    assert sender_digest(SENDER) in warnings[0]
    # the next batch reads the fresh state: nothing refused again
    proc.handle([fake_event(event(10), offset=10)])
    assert refused(mapp) == 1 and mapp.table.data[SENDER].n_events == 4


def test_expire_skips_a_refused_state(mapp):
    mapp.table.data[SENDER] = RefusedState("corrupt")
    mapp.processor.partition_of[SENDER] = 0  # an open episode, as the index knows it
    mapp.processor.watermark = T0
    assert mapp.processor.expire() == 0
    assert refused(mapp) == 1


def test_restored_state_passes_states_and_none_through():
    m = Metrics(CollectorRegistry())
    st = SenderState(SENDER)
    assert restored_state(st, SENDER, m) is st
    assert restored_state(None, SENDER, m) is None
    assert m.registry.get_sample_value("mailflow_state_restore_failed_total") == 0
