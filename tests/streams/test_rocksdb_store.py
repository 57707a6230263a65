"""The RocksDB table store (``--store rocksdb://``, extra ``rocksdb``) against the real broker."""

from __future__ import annotations

import json
import uuid

import pytest

pytest.importorskip("rocksdict", reason="the rocksdb extra (rocksdict) is not installed")

from .test_worker_broker import Worker, consume_all, incident_events, make_topics, produce_and_wait  # noqa: E402

pytestmark = pytest.mark.broker


def test_rocksdb_store_runs_the_incident_and_keeps_state_on_disk(broker, tmp_path, free_port):
    prefix = "r" + uuid.uuid4().hex[:8]
    topics = make_topics(broker, prefix)
    w = Worker(broker, prefix, topics, free_port(), tmp_path, "--store", "rocksdb://")
    try:
        w.wait_up()
        produce_and_wait(broker, topics["input"], incident_events(), w)
        alerts = [json.loads(r.value) for r in consume_all(broker, topics["alerts"], 1, 30)]
        assert {"sensitive_request", "fanout"} & {a["detector"] for a in alerts}
    finally:
        w.stop()
    assert w.proc.returncode == 0, w.tail()
    # the table lives in RocksDB files under the data directory
    db_files = [p for p in tmp_path.rglob("*") if p.is_file() and (p.name == "CURRENT" or p.suffix == ".sst" or p.name.endswith(".log"))]
    assert any(p.name == "CURRENT" for p in db_files), sorted(str(p) for p in tmp_path.rglob("*"))[:50]
