"""The hold set (streams/guard/holds.py): pure logic, explicit clock."""

from __future__ import annotations

from streams.guard.holds import HOLD_REASONS, HoldSet, alert_time, sender_hash

T = 1_700_000_000.0


def alert(sender="care@shop.example", severity="critical", ts=T, template="verify-id", detector="fanout"):
    return {"alert_id": "a1", "detector": detector, "severity": severity, "sender": sender, "template": template,
            "ts": ts, "score": 0.99, "summary": "x", "evidence": {"harm": ["exposed_customers"]}, "event_ids": ["m1"]}


def test_critical_holds_sender_and_template_warning_never():
    h = HoldSet(3600)
    assert h.apply_alert(alert(severity="warning"), T) is None
    assert h.check("care@shop.example", now=T) is None
    assert h.apply_alert(alert(), T + 1) is not None
    assert h.check("Care@Shop.Example", now=T + 2)[0] == "sender"
    assert h.check("care@shop.example", "verify-id", now=T + 2)[0] == "template"
    assert h.check("care@shop.example", "order-shipped", now=T + 2)[0] == "sender"
    assert h.check("orders@shop.example", now=T + 2) is None
    # the From address next to another envelope sender
    assert h.check("bounces@mailer.example", also=("care@shop.example",), now=T + 2)[0] == "sender"


def test_hold_expires_with_the_episode_and_is_extended_by_new_criticals():
    h = HoldSet(3600)
    h.apply_alert(alert(ts=T), T)
    h.apply_alert(alert(ts=T + 3000), T + 3000)
    h.apply_alert(alert(ts=T + 3500, severity="warning"), T + 3500)  # a warning does not extend it
    assert h.check("care@shop.example", now=T + 6599) is not None
    assert h.expire(T + 6599) == []
    assert [x.sender for x in h.expire(T + 6600)] == ["care@shop.example"]
    assert h.check("care@shop.example", now=T + 6600) is None
    assert len(h) == 0


def test_old_and_future_alerts():
    h = HoldSet(3600)
    assert h.apply_alert(alert(ts=T - 3600), T) is None  # its episode is over already
    hold = h.apply_alert(alert(ts=T + 86400), T)  # dated in the future: counted from now
    assert hold.last_critical == T
    assert h.check("care@shop.example", now=T + 3601) is None


def test_rfc3339_ts_and_bad_alerts():
    assert alert_time("2017-08-24T10:00:00Z") == 1503568800.0
    assert alert_time("2017-08-24T12:00:00+02:00") == 1503568800.0
    assert alert_time(5) == 5.0 and alert_time("nonsense") is None and alert_time(None) is None
    h = HoldSet(3600)
    assert h.apply_alert({"severity": "critical"}, T) is None  # no sender
    assert h.apply_alert(alert(ts="2017-08-24T10:00:00Z"), 1503568800.0 + 10) is not None


def test_release_lifts_the_hold_and_shadows_older_alerts():
    h = HoldSet(3600)
    h.apply_alert(alert(ts=T), T)
    assert h.release("CARE@shop.example", T + 10) is True
    assert h.check("care@shop.example", now=T + 11) is None
    # the released mail is delivered, journalled, and raises an alert about itself: dated before the release
    assert h.apply_alert(alert(ts=T + 5), T + 20) is None
    assert h.check("care@shop.example", now=T + 21) is None
    # a new critical after the release holds again
    assert h.apply_alert(alert(ts=T + 30), T + 30) is not None
    assert h.check("care@shop.example", "verify-id", now=T + 31)[0] == "template"
    assert h.release("nobody@shop.example", T) is False


def test_inline_origin_and_reasons():
    h = HoldSet(3600)
    h.apply_alert(alert(), T, origin="inline")
    reason, hold = h.check("care@shop.example", "verify-id", now=T)
    assert reason == "inline" and hold.origin == "inline"
    assert set(HOLD_REASONS) == {"sender", "template", "inline", "fail_closed"}
    d = hold.to_dict(3600)
    assert d["expires"] == T + 3600 and d["templates"] == ["verify-id"]


def test_sender_hash_is_stable_and_not_the_address():
    assert sender_hash("Care@Shop.example") == sender_hash("care@shop.example")
    assert len(sender_hash("x@y.z")) == 12 and "@" not in sender_hash("x@y.z")
