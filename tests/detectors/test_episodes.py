"""Tests of alert episodes (detectors/episodes.py)."""

from __future__ import annotations

import pickle

import pytest

from detectors.episodes import EpisodeEnd, Episodes


def test_one_alert_per_episode():
    e = Episodes(quiet_seconds=600)
    assert e.trigger("fanout", "t1", "warning", 0.0) is True
    assert [e.trigger("fanout", "t1", "warning", float(t)) for t in range(60, 3000, 60)] == [False] * 49
    assert len(e) == 1


def test_escalation_alerts_again_but_not_de_escalation():
    e = Episodes(quiet_seconds=600)
    assert e.trigger("fanout", "t1", "warning", 0.0)
    assert e.trigger("fanout", "t1", "critical", 10.0)
    assert not e.trigger("fanout", "t1", "critical", 20.0)
    assert not e.trigger("fanout", "t1", "warning", 30.0)
    [end] = e.expire("s@x.com", 10_000.0)
    assert end.severity == "critical" and end.triggers == 4


def test_keys_are_detector_and_template():
    e = Episodes()
    assert e.trigger("fanout", "t1", "warning", 0.0)
    assert e.trigger("fanout", "t2", "warning", 0.0)
    assert e.trigger("sensitive_request", "t1", "warning", 0.0)
    assert e.trigger("recipient_novelty", None, "warning", 0.0)
    assert len(e) == 4
    assert e.is_open("fanout", "t2") and not e.is_open("fanout", "t3")


def test_expiry_after_the_quiet_period():
    e = Episodes(quiet_seconds=600)
    e.trigger("fanout", "t1", "warning", 100.0)
    e.trigger("fanout", "t1", "warning", 400.0)
    assert e.expire("s@x.com", 1000.0) == []  # quiet for exactly 600 s: still open
    ended = e.expire("s@x.com", 1000.5)
    assert ended == [EpisodeEnd("fanout", "s@x.com", "t1", "warning", 100.0, 400.0, 2)]
    assert len(e) == 0
    assert e.expire("s@x.com", 99_999.0) == []
    # a new trigger after the end opens a new episode, alerting again
    assert e.trigger("fanout", "t1", "warning", 2000.0)


def test_trigger_after_quiet_gap_without_expire_opens_new_episode():
    e = Episodes(quiet_seconds=600)
    assert e.trigger("fanout", "t1", "critical", 0.0)
    assert e.trigger("fanout", "t1", "warning", 601.0)
    [end] = e.expire("s", 2000.0)
    assert (end.started_ts, end.triggers, end.severity) == (601.0, 1, "warning")


def test_open_episodes_bounded():
    e = Episodes(quiet_seconds=10**9, max_open=5)
    for i in range(100):
        e.trigger("fanout", f"t{i}", "warning", float(i))
        assert len(e) <= 5
    assert len(e) == 5
    assert e.is_open("fanout", "t99") and not e.is_open("fanout", "t0")


def test_evicted_episodes_are_reported_as_ended():
    e = Episodes(quiet_seconds=100, max_open=2)
    for i, t in enumerate(("a", "b", "c")):
        e.trigger("fanout", t, "warning", 10.0 + i)
    ended = e.expire("s", 10_000.0)
    assert sorted(x.template for x in ended) == ["a", "b", "c"]


def test_pickle_round_trip():
    e = Episodes(quiet_seconds=600, max_open=4)
    e.trigger("fanout", "t1", "warning", 0.0)
    back = pickle.loads(pickle.dumps(e))
    assert not back.trigger("fanout", "t1", "warning", 100.0)
    assert back.trigger("fanout", "t1", "critical", 100.0)
    assert back.max_open == 4 and back.quiet_seconds == 600
