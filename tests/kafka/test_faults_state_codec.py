"""Upgrade on the real Apache Kafka broker (KRaft): a changelog holding a legacy, a forged and a corrupt record.

The Kafka version of the former Tansu test tests/streams/test_state_codec_broker.py.
Before the worker starts, its changelog topic holds what the release before wrote (the
golden legacy pickled state, tests/data/state/care.v0.pickle), a forged pickle that would
run a command when unpickled, and garbage. The worker restores the table from it (memory
store: from the changelog; RocksDB: from the changelog into an empty data dir): the legacy
sender keeps learning, the other two start fresh, ``mailflow_state_restore_failed_total``
is 2, and no code ran. Every state is written back in the new format.
"""

from __future__ import annotations

import pickle
import uuid
from pathlib import Path

import pytest
from kafka_harness import PARTITIONS, Worker, event, value, wait_for

from detectors import statecodec as sc

pytestmark = pytest.mark.kafka

DATA = Path(__file__).resolve().parents[1] / "data" / "state"
LEGACY = "care@example.com"  # the golden legacy state's sender
FORGED, JUNK = "evil@shop.example.com", "junk@shop.example.com"


class _Evil:
    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.path}",))


@pytest.mark.parametrize("store", ["memory://", "rocksdb://"])
def test_worker_restores_legacy_state_refuses_forged_and_corrupt_and_keeps_going(kafka, tmp_path, store):
    if store.startswith("rocksdb"):
        pytest.importorskip("rocksdict", reason="the rocksdb extra (rocksdict) is not installed")
    prefix = "ks" + uuid.uuid4().hex[:8]
    topics = kafka.make_topics(prefix)
    changelog = f"{prefix}-sender-state-changelog"
    kafka.create_topic(changelog, PARTITIONS, **{"cleanup.policy": "compact"})
    marker = tmp_path / "pwned"
    legacy = (DATA / "care.v0.pickle").read_bytes()
    golden = sc.loads(legacy)
    # what the release before wrote, and what an attacker or a broken disk could put there; keyed
    # like the input records (the same default murmur2 partitioner), so each lands on its sender's partition
    kafka.produce(changelog, [(LEGACY.encode(), legacy), (FORGED.encode(), pickle.dumps(_Evil(marker), protocol=5)),
                              (JUNK.encode(), b"\x00 not a state")])
    assert sum(kafka.end_offsets(changelog).values()) == 3
    ts = golden.last_ts + 600
    events = [(s.encode(), event(i, s, ts + 60 * i, "order-shipped", [f"c{i}@gmail.com"]))
              for s in (LEGACY, FORGED, JUNK) for i in range(5)]
    w = Worker(kafka, prefix, topics, tmp_path, extra=("--store", store))
    try:
        w.wait_up()
        n = kafka.produce(topics["input"], events)
        try:
            wait_for(lambda: w.processed() >= n, 90, f"{n} events processed")
        except AssertionError:
            print(w.tail(60))
            raise
        m = wait_for(lambda: (x := w.metrics()) and value(x, "mailflow_state_restore_failed_total") >= 2 and x, 30,
                     "the refusals counted")
        assert value(m, "mailflow_state_restore_failed_total") == 2
        assert value(m, "mailflow_events_processed_total") == 15
        assert value(m, "mailflow_events_failed_total") == 0
        assert value(m, "mailflow_events_duplicate_total") == 0

        def rewritten():
            recs = {r.key.decode(): r.value for r in kafka.read_to_end(changelog) if r.value is not None}
            return recs if all(recs.get(s, b"")[:4] == sc.MAGIC_Z for s in (LEGACY, FORGED, JUNK)) else None

        recs = wait_for(rewritten, 60, "every state written in the new format", interval=1)
        states = {s: sc.loads(recs[s]) for s in (LEGACY, FORGED, JUNK)}
        assert states[LEGACY].n_events == golden.n_events + 5  # the legacy state went on learning
        assert states[LEGACY].first_ts == golden.first_ts and list(golden.templates)[-1] in states[LEGACY].templates
        assert states[FORGED].n_events == 5 and states[JUNK].n_events == 5  # fresh starts
        assert w.proc.poll() is None
        log = w.log.read_text(errors="replace")
        assert "refused" in log and FORGED not in log and JUNK not in log
    finally:
        w.stop()
        kafka.delete_topics_of(prefix)
    assert not marker.exists(), "the forged record ran code"
    assert w.proc.returncode == 0, w.tail()
