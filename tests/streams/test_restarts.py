"""Restarts, event-time "now" and the sender cap, at the batch-processor level (no broker).

A restart is played as Faust plays it: a second app's table is filled from the first
app's changelog records (encoded with the state codec, as on the topic) through the
memory store's ``apply_changelog_batch``, then ``table.on_recovery_completed`` runs the
recovery callbacks -- the worker's rebuild among them.
"""

from __future__ import annotations

import asyncio
import json
import time
from types import SimpleNamespace
from unittest import mock

import pytest
from faust.serializers import codecs
from faust.types import TP
from prometheus_client import CollectorRegistry

from streams.app import create_app
from streams.models import STATE_CODEC
from streams.settings import WorkerSettings

T0 = 1503568800.0
PARTITIONS = 4
FUTURE_2099 = 4070908800.0  # 2099-01-01T00:00:00Z


def blast(sender: str, i: int, ts: float) -> bytes:
    """An automated sender asking five unrelated gmail customers for an ID photo."""
    return json.dumps({
        "event_id": f"{sender}-{i}", "ts": ts, "sender": sender, "sender_kind": "automated",
        "template_id": "verify-id", "to": [f"c{i}-{k}@gmail.com" for k in range(5)],
        "subject": "Verify your account", "body": "Please reply with a photo of your passport or ID card.",
    }).encode()


def plain(sender: str, i: int, ts: float) -> bytes:
    return json.dumps({
        "event_id": f"{sender}-{i}", "ts": ts, "sender": sender, "sender_kind": "automated",
        "template_id": "order-shipped", "to": [f"c{i}@customers.example"],
        "subject": "Your order has shipped", "body": "Your parcel left our warehouse.",
    }).encode()


def msg(value: bytes, partition: int, offset: int, topic: str = "mail.outbound"):
    return SimpleNamespace(value=value, key=None, topic=topic, partition=partition, offset=offset)


def feed(proc, messages) -> None:
    """One fetched batch of the bulk path: process, then write the touched states."""
    proc.handle_messages(messages)
    proc.flush_states()


def make_app(tmp_path, name: str, **settings):
    s = WorkerSettings(app_id=name, data_dir=str(tmp_path / name), internal_domains=("example.com",), **settings)
    m = create_app(s, registry=CollectorRegistry())
    m.app.finalize()
    m.app.conf.store = "memory://"
    m.app.flow_control.resume()
    return m


class Wire:
    """Captures what the processor sends: alerts, and changelog records encoded as on the topic."""

    def __init__(self, m):
        self.alerts: list[dict] = []
        self.changelog: list[tuple[int, str, bytes | None]] = []

        def changelog(partition, key, value, **kw):
            raw = None if value is None else codecs.dumps(STATE_CODEC, value)
            self.changelog.append((partition, key, raw))

        self._patches = [
            mock.patch.object(m.topics.alerts, "send_soon", side_effect=lambda **kw: self.alerts.append(json.loads(kw["value"]))),
            mock.patch.object(m.topics.dlq, "send_soon"),
            mock.patch.object(m.table, "send_changelog", side_effect=changelog),
        ]

    def __enter__(self):
        for p in self._patches:
            p.start()
        return self

    def __exit__(self, *exc):
        for p in self._patches:
            p.stop()


def restart(m2, changelog, partitions=range(PARTITIONS)):
    """Recover ``m2``'s table from ``changelog`` records the way Faust does, then complete recovery."""
    batch = [
        SimpleNamespace(key=key, value=None if raw is None else codecs.loads(STATE_CODEC, raw),
                        message=SimpleNamespace(value=raw, partition=p))
        for p, key, raw in changelog
    ]
    m2.table.apply_changelog_batch(batch)
    topic = m2.table.changelog_topic.get_topic_name()
    with mock.patch.object(m2.processor, "assigned_partitions", return_value=set(partitions)):
        asyncio.run(m2.table.on_recovery_completed({TP(topic, p) for p in partitions}, set()))


def active_series(m, name="mailflow_active_alert") -> dict[tuple, float]:
    fam = [f for f in m.metrics.registry.collect() if f.name == name][0]
    return {tuple(sorted(s.labels.items())): s.value for s in fam.samples}


def sample(m, name, **labels) -> float:
    return m.metrics.registry.get_sample_value(name, labels or None) or 0.0


SENDERS = [f"care{i}@shop{i}.example.net" for i in range(12)]


def incident(senders, start: int, n: int, t: float):
    """``n`` blast messages per sender, at offsets ``start..``; partition = index % PARTITIONS."""
    out = []
    for j in range(n):
        for k, s in enumerate(senders):
            out.append(msg(blast(s, start + j, t + 20 * j), k % PARTITIONS, start + j))
    return out


# ---------------------------------------------------------------------------- restarts
def test_restart_keeps_open_pages_does_not_reraise_and_still_alerts(tmp_path):
    m1 = make_app(tmp_path, "before")
    with Wire(m1) as w1:
        feed(m1.processor, incident(SENDERS, 0, 3, T0))
    before = active_series(m1)
    paged = {(a["detector"], a["sender"]) for a in w1.alerts}
    assert len(before) == len(paged) >= len(SENDERS), "every sender is paged"

    m2 = make_app(tmp_path, "after")
    assert active_series(m2) == {}
    with Wire(m2) as w2:
        restart(m2, w1.changelog)
        # the same series (labels and value), none emitted again, none counted again
        assert active_series(m2) == before
        assert w2.alerts == []
        assert sum(v for (n, _), v in _samples(m2, "mailflow_alerts_total").items()) == 0
        assert set(m2.processor.partition_of) == set(SENDERS)
        assert {m2.processor.partition_of[s] for s in SENDERS} == set(range(PARTITIONS))
        # the incident goes on after the restart: still paging, not re-raised
        feed(m2.processor, incident(SENDERS, 100, 40, T0 + 300))
        reraised = [a for a in w2.alerts if (a["detector"], a["sender"]) in paged]
        assert reraised == []
        assert active_series(m2) == before
        m2.processor.expire()  # the episodes are still going
        assert active_series(m2) == before
        # it ends only when the senders have been quiet for the quiet period
        m2.processor.watermark += 2 * m2.sentinel_config.episode_quiet_seconds
        assert m2.processor.expire() == len(before)
        assert active_series(m2) == {}
        assert m2.processor.partition_of == {}
    # the episode ends were written, so a further restart does not bring them back
    m3 = make_app(tmp_path, "again")
    restart(m3, w1.changelog + w2.changelog)
    assert active_series(m3) == {}


def _samples(m, name):
    fam = [f for f in m.metrics.registry.collect() if f.name + "_total" == name or f.name == name][0]
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for s in fam.samples if s.name == name}


def test_restart_restores_only_the_assigned_partitions_and_forgets_revoked_ones(tmp_path):
    m1 = make_app(tmp_path, "before")
    with Wire(m1) as w1:
        feed(m1.processor, incident(SENDERS, 0, 3, T0))
    m2 = make_app(tmp_path, "after")
    restart(m2, w1.changelog, partitions=[0, 1])
    senders = {dict(k)["sender"] for k in active_series(m2)}
    assert senders == {s for k, s in enumerate(SENDERS) if k % PARTITIONS in (0, 1)}
    m2.processor.revoked([1])
    assert {dict(k)["sender"] for k in active_series(m2)} == {s for k, s in enumerate(SENDERS) if k % PARTITIONS == 0}
    assert set(m2.processor.recent) == {s for k, s in enumerate(SENDERS) if k % PARTITIONS == 0}


def test_restart_of_states_without_noted_summary_still_shows_the_episode(tmp_path):
    m1 = make_app(tmp_path, "before")
    with Wire(m1) as w1, mock.patch.object(m1.sentinel, "note_alert"):
        feed(m1.processor, incident(SENDERS[:1], 0, 3, T0))
    m2 = make_app(tmp_path, "after")
    restart(m2, w1.changelog)
    series = active_series(m2)
    assert len(series) == len(active_series(m1)) >= 1
    info = active_series(m2, "mailflow_active_alert_info")
    assert {tuple(kv for kv in labels if kv[0] != "summary") for labels in info} == set(series)
    for labels in info:
        d = dict(labels)
        assert d["sender"] == SENDERS[0] and "restored after a worker restart" in d["summary"]


def test_restart_sets_event_time_now_so_quiet_episodes_still_end(tmp_path):
    m1 = make_app(tmp_path, "before")
    with Wire(m1) as w1:
        feed(m1.processor, incident(SENDERS[:2], 0, 3, T0))
        # much later, only the first sender writes (plain mail): the second one's episode is quiet
        quiet = m1.sentinel_config.episode_quiet_seconds
        feed(m1.processor, [msg(plain(SENDERS[0], 500, T0 + 3 * quiet), 0, 500)])
    m2 = make_app(tmp_path, "after")
    with Wire(m2):
        restart(m2, w1.changelog)
    assert m2.processor.watermark == T0 + 3 * quiet
    assert active_series(m2) == {}  # both were quiet at the restored "now": ended, not shown


# ------------------------------------------------------------------- event-time "now"
def test_event_from_2099_does_not_close_other_senders_episodes_and_is_counted(tmp_path):
    m = make_app(tmp_path, "skew")
    proc = m.processor
    with Wire(m) as w:
        feed(proc, incident(SENDERS, 0, 3, T0))
        open_before = active_series(m)
        watermark = proc.watermark
        n_alerts = len(w.alerts)
        feed(proc, [msg(plain("clock@unrelated.example.org", 1, FUTURE_2099), 1, 900)])
        assert sample(m, "mailflow_events_future_total") == 1
        assert sample(m, "mailflow_events_processed_total") == 3 * len(SENDERS) + 1  # learned, not dropped
        assert proc.watermark == watermark
        assert proc.expire() == 0
        assert active_series(m) == open_before
        # the incident goes on: no re-page
        feed(proc, incident(SENDERS, 10, 2, T0 + 120))
        assert len(w.alerts) == n_alerts
        assert active_series(m) == open_before
        assert sample(m, "mailflow_last_event_timestamp_seconds") < FUTURE_2099


def test_event_within_the_skew_still_moves_event_time(tmp_path):
    m = make_app(tmp_path, "skew-ok", max_clock_skew_seconds=600)
    proc = m.processor
    with Wire(m):
        feed(proc, [msg(plain("a@shop.example.net", 1, T0), 0, 1)])
        soon = time.time() + 300  # 5 minutes fast: allowed
        feed(proc, [msg(plain("b@shop.example.net", 1, soon), 0, 2)])
        assert proc.watermark == soon
        feed(proc, [msg(plain("b@shop.example.net", 2, time.time() + 1200), 0, 3)])
        assert proc.watermark == soon
    assert sample(m, "mailflow_events_future_total") == 1


def test_max_clock_skew_setting_is_validated():
    from detectors.errors import ConfigError
    from streams.settings import parse_settings

    assert WorkerSettings().max_clock_skew_seconds == 3600.0
    assert parse_settings(["--max-clock-skew-seconds", "60"], {}).max_clock_skew_seconds == 60.0
    assert parse_settings([], {"MAILFLOW_MAX_SENDERS": "1000"}).max_senders == 1000
    with pytest.raises(ConfigError) as exc:
        WorkerSettings(max_clock_skew_seconds=-1, max_senders=0).validate()
    assert {p.split(":")[0] for p in exc.value.problems} == {"max_clock_skew_seconds", "max_senders"}


# ------------------------------------------------------------------------ sender cap
def test_sender_cap_evicts_least_recently_active_and_writes_tombstones(tmp_path):
    m = make_app(tmp_path, "cap", max_senders=5)
    proc = m.processor
    alerting = "alerting@shop.example.net"
    oneoffs = [f"once{i}@shop{i}.example.net" for i in range(10)]
    with Wire(m) as w:
        feed(proc, [msg(blast(alerting, i, T0 + i), 0, i) for i in range(3)])
        assert active_series(m)
        for i, s in enumerate(oneoffs):
            feed(proc, [msg(plain(s, i, T0 + 100 + i), i % PARTITIONS, 100 + i)])
    # 11 senders, cap 5: the six least recently active one-off senders went; the alerting one stayed
    assert sample(m, "mailflow_senders_evicted_total") == 6
    # (the alerting sender was passed over, so it counts as recently active now)
    assert list(proc.recent) == oneoffs[6:] + [alerting]
    tombstones = [(p, k) for p, k, raw in w.changelog if raw is None]
    assert tombstones == [(i % PARTITIONS, s) for i, s in enumerate(oneoffs[:6])]
    kept = set(m.table.data.keys())
    assert kept == {alerting, *oneoffs[6:]}
    assert active_series(m)  # the open page is untouched
    # a restore from this changelog stays bounded: the evicted senders do not come back
    m2 = make_app(tmp_path, "cap-restored", max_senders=5)
    restart(m2, w.changelog)
    assert set(m2.table.data.keys()) == kept


def test_sender_cap_evicts_alerting_senders_only_when_nothing_else_is_left(tmp_path):
    m = make_app(tmp_path, "cap-alerting", max_senders=2)
    proc = m.processor
    with Wire(m) as w:
        for k, s in enumerate(SENDERS[:3]):
            feed(proc, [msg(blast(s, i, T0 + 100 * k + i), 0, 10 * k + i) for i in range(3)])
    assert sample(m, "mailflow_senders_evicted_total") == 1
    assert set(proc.recent) == set(SENDERS[1:3])
    assert {dict(k)["sender"] for k in active_series(m)} == set(SENDERS[1:3])
    assert (0, SENDERS[0], None) in w.changelog


def test_restore_over_the_cap_evicts_the_least_recent_by_event_time(tmp_path):
    m1 = make_app(tmp_path, "big")
    senders = [f"s{i}@shop.example.net" for i in range(8)]
    with Wire(m1) as w1:
        for i, s in enumerate(senders):
            proc_msgs = [msg(plain(s, i, T0 + 1000 * i), 0, i)]
            feed(m1.processor, proc_msgs)
    m2 = make_app(tmp_path, "small", max_senders=3)
    with Wire(m2) as w2:
        restart(m2, w1.changelog)
    assert set(m2.table.data.keys()) == set(senders[-3:])
    assert [k for _, k, raw in w2.changelog if raw is None] == senders[:5]
    assert sample(m2, "mailflow_senders_evicted_total") == 5


def test_pending_states_are_written_at_shutdown(tmp_path):
    m = make_app(tmp_path, "shutdown", state_flush_interval=60)
    proc = m.processor
    with Wire(m) as w, mock.patch.object(type(m.app), "producer", new_callable=mock.PropertyMock) as producer:
        producer.return_value.flush = mock.AsyncMock()
        proc.handle_messages(incident(SENDERS[:3], 0, 3, T0))
        assert proc.dirty and w.changelog == []
        asyncio.run(m.app.on_before_shutdown.send())
        assert {k for _, k, _ in w.changelog} == set(SENDERS[:3])
        assert proc.dirty == {}
        producer.return_value.flush.assert_awaited()


# ------------------------------------------------------------ the episodes' side (pure)
def test_episodes_note_and_list_open_episodes():
    from detectors.episodes import Episodes

    e = Episodes(quiet_seconds=600)
    assert e.trigger("fanout", None, "warning", 100.0, "tpl")
    assert e.note("fanout", None, 0.61, "first")
    assert not e.trigger("fanout", None, "warning", 150.0)
    assert e.trigger("fanout", None, "critical", 200.0)
    assert e.note("fanout", None, 0.93, "escalated")  # the last alert's figures win
    assert e.trigger("template_spike", "t1", "warning", 300.0)  # never noted
    assert not e.note("loop", None, 0.5, "not open")
    eps = e.open_episodes("a@b.c")
    assert [(o.detector, o.template, o.severity, o.score, o.summary, o.triggers) for o in eps] == [
        ("fanout", "tpl", "critical", 0.93, "escalated", 3),
        ("template_spike", "t1", "warning", None, None, 1),
    ]
    assert [o.detector for o in e.open_episodes("a@b.c", now=850.0)] == ["template_spike"]  # fanout quiet since 200
    # a re-opened episode forgets the old note
    e.expire("a@b.c", 10_000.0)
    assert e.trigger("fanout", None, "warning", 20_000.0, "tpl")
    assert e.open_episodes("a@b.c")[0].summary is None
