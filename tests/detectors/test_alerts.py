"""Tests of the contract alert (detectors/alerts.py)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from detectors.alerts import DETECTORS, SEVERITIES, Alert, rfc3339

CONTRACT_FIELDS = {"alert_id", "ts", "detector", "severity", "sender", "template", "score", "summary",
                   "evidence", "event_ids"}


def make(**kw) -> Alert:
    d = dict(detector="fanout", severity="warning", sender="care@example.com", template="verify", score=0.7,
             summary="care@example.com sent a message to 5 unrelated customers; usually 1.", ts=1503568800.25,
             evidence={"unrelated_recipients": 5, "usual_unrelated": 1.0}, event_ids=["m1", "m0"])
    d.update(kw)
    return Alert(**d)


def assert_contract(obj: dict) -> None:
    assert set(obj) == CONTRACT_FIELDS
    assert isinstance(obj["alert_id"], str) and obj["alert_id"]
    assert isinstance(obj["ts"], str) and obj["ts"].endswith("Z")
    datetime.fromisoformat(obj["ts"].replace("Z", "+00:00"))
    assert obj["detector"] in DETECTORS
    assert obj["severity"] in SEVERITIES
    assert isinstance(obj["sender"], str)
    assert obj["template"] is None or isinstance(obj["template"], str)
    assert isinstance(obj["score"], (int, float)) and not isinstance(obj["score"], bool)
    assert 0.0 <= obj["score"] <= 1.0
    assert isinstance(obj["summary"], str) and obj["summary"]
    assert isinstance(obj["evidence"], dict)
    assert isinstance(obj["event_ids"], list) and all(isinstance(i, str) for i in obj["event_ids"])


def test_to_json_has_exactly_the_contract_fields_and_types():
    raw = make().to_json()
    assert isinstance(raw, bytes) and not raw.endswith(b"\n")
    obj = json.loads(raw)
    assert_contract(obj)
    assert obj["event_ids"] == ["m1", "m0"]
    assert obj["template"] == "verify"
    assert json.loads(make(template=None).to_json())["template"] is None


def test_ts_is_rfc3339_utc_of_the_event_time():
    obj = json.loads(make(ts=1503568800.25).to_json())
    assert obj["ts"] == "2017-08-24T10:00:00.250Z"
    back = datetime.fromisoformat(obj["ts"].replace("Z", "+00:00"))
    assert back.utcoffset().total_seconds() == 0
    assert back.timestamp() == pytest.approx(1503568800.25)
    assert rfc3339(0.0) == "1970-01-01T00:00:00.000Z"


@pytest.mark.parametrize("score, expected", [(-3.0, 0.0), (0.0, 0.0), (0.5, 0.5), (1.0, 1.0), (7.5, 1.0),
                                             (float("inf"), 1.0), (float("-inf"), 0.0)])
def test_score_clipped(score, expected):
    a = make(score=score)
    assert a.score == expected
    assert json.loads(a.to_json())["score"] == expected


def test_alert_id_stable_and_distinct():
    assert make().alert_id == make().alert_id
    assert make(summary="other words", score=0.9).alert_id == make().alert_id  # same event, same detector
    assert make(event_ids=["m2", "m0"]).alert_id != make().alert_id
    assert make(detector="sensitive_request").alert_id != make().alert_id
    assert make(severity="critical").alert_id != make().alert_id  # an escalation is a new alert
    assert make(sender="other@example.com").alert_id != make().alert_id
    assert make(alert_id="given").alert_id == "given"


def test_constants():
    assert DETECTORS == ("template_spike", "template_novelty", "fanout", "recipient_novelty", "reply_relay",
                         "sensitive_request", "mail_loop")
    assert SEVERITIES == ("warning", "critical")
