"""Mailgun webhooks: conversion from the fixture, HMAC signature, stale timestamps, replayed tokens."""

from __future__ import annotations

import time

import orjson
import pytest

from detectors.events import parse_event
from streams.taps import mailgun
from streams.taps.http import PayloadError, SignatureError

from .test_esp_common import MAILGUN_KEY, load, mailgun_payload, settings

MID = "20170824100000.1.ABCDEF0123456789@mg.shop.example"


def _convert(event_data, s=None):
    s = s or settings()
    body = mailgun_payload(event_data)
    return mailgun.convert(mailgun.parse_payload(body), body, s.mailgun, s.mime)


def test_accepted_events_become_records_of_one_message():
    events = load("mailgun_events.json")
    recs = [r for ed in events for r in _convert(ed).records]
    assert len(recs) == 4 and {r.group_key for r in recs} == {MID}
    e0 = parse_event(recs[0].event)
    assert e0.event_id == MID and e0.sender == "billing@shop.example"  # From, not the bounce envelope
    assert e0.to == ("ann.lee@customer-one.example", "bo@customer-two.example")  # the To header
    assert e0.bcc == () and e0.subject == "Your invoice - August"
    assert e0.template_id == "invoice-v3"  # first tag
    assert [(a.filename, a.content_type, a.size) for a in e0.attachments] == [("invoice-A-1001.pdf", "application/pdf", 48213)]
    assert e0.ts == pytest.approx(1503568800.118) and e0.body is None
    e2 = parse_event(recs[2].event)
    assert e2.bcc == ("audit@customer-three.example",)  # recipient in neither To nor Cc
    assert _convert(events[4]).ignored == 1  # opened


def test_template_from_user_variable():
    ed = load("mailgun_events.json")[0]
    ed["user-variables"]["template_id"] = "invoice-v4"
    assert _convert(ed).records[0].event["template_id"] == "invoice-v4"


def test_malformed():
    with pytest.raises(PayloadError) as exc:
        mailgun.parse_payload(b"token=abc&signature=def")  # the legacy form post
    assert exc.value.reason == "invalid_json"
    with pytest.raises(PayloadError):
        mailgun.parse_payload(b'{"event-data": {}}')
    ed = load("mailgun_events.json")[0]
    del ed["message"]["headers"]["message-id"]
    with pytest.raises(PayloadError) as exc:
        _convert(ed)
    assert exc.value.reason == "bad_payload"
    ed = load("mailgun_events.json")[0]
    ed["message"]["headers"]["from"] = "not an address"
    ed["envelope"]["sender"] = ""
    res = _convert(ed)
    assert not res.records and res.dead[0][1] == "bad_address"


def _verify(body, s=None, tokens=None, now=None):
    s = s or settings()
    tokens = tokens if tokens is not None else mailgun.TokenCache(s.mailgun.max_age, 100)
    return mailgun.verify(mailgun.parse_payload(body), s.mailgun, tokens, now=now)


def test_genuine_signature_verifies():
    body = mailgun_payload(load("mailgun_events.json")[0])
    token = _verify(body)
    assert token == orjson.loads(body)["signature"]["token"]


def test_forged_modified_stale_replayed():
    ed = load("mailgun_events.json")[0]
    with pytest.raises(SignatureError) as exc:
        _verify(mailgun_payload(ed, key="key-of-someone-else"))
    assert exc.value.result == "bad_signature"
    p = orjson.loads(mailgun_payload(ed))
    token = p["signature"]["token"]
    p["signature"]["token"] = token[:-1] + ("1" if token.endswith("0") else "0")  # always a different token
    with pytest.raises(SignatureError):
        _verify(orjson.dumps(p))
    p = orjson.loads(mailgun_payload(ed))
    p["signature"]["timestamp"] = str(int(p["signature"]["timestamp"]) + 1)
    with pytest.raises(SignatureError):
        _verify(orjson.dumps(p))
    with pytest.raises(SignatureError) as exc:
        _verify(mailgun_payload(ed, ts=time.time() - 3600))
    assert exc.value.result == "stale"
    tokens = mailgun.TokenCache(600, 100)
    body = mailgun_payload(ed)
    _verify(body, tokens=tokens)
    with pytest.raises(SignatureError) as exc:
        _verify(body, tokens=tokens)
    assert exc.value.result == "replayed"
    p = orjson.loads(body)
    del p["signature"]["signature"]
    with pytest.raises(SignatureError) as exc:
        _verify(orjson.dumps(p))
    assert exc.value.status == 401


def test_no_key_configured_refuses():
    from streams.taps.http import parse_http_settings

    s = parse_http_settings(["--broker", "kafka://127.0.0.1:1"], env={})
    with pytest.raises(SignatureError) as exc:
        _verify(mailgun_payload(load("mailgun_events.json")[0]), s=s)
    assert exc.value.result == "unsigned"


def test_token_cache_is_bounded_expires_and_releases():
    c = mailgun.TokenCache(max_age=10, max_tokens=3)
    assert all(c.reserve(t, now=100) for t in "abc")
    assert not c.reserve("a", now=101)
    assert c.reserve("d", now=101) and len(c) == 3  # the oldest went
    assert c.reserve("a", now=101)  # forgotten (bounded): counted as evicted
    assert c.evicted >= 1
    c.release("a")
    assert c.reserve("a", now=102)
    assert c.reserve("b", now=200) and len(c) == 1  # the others expired
    assert mailgun.sign(MAILGUN_KEY, "1", "t") == mailgun.sign(MAILGUN_KEY, "1", "t")
