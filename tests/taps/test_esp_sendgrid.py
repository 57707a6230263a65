"""SendGrid Event Webhook: conversion from the fixture, Signed Event Webhook verification."""

from __future__ import annotations

import time

import orjson
import pytest

from detectors.events import parse_event
from streams.taps import sendgrid
from streams.taps.http import PayloadError, SignatureError

from .test_esp_common import ec_key, ec_public_b64, load, sendgrid_body, sendgrid_headers, settings

KEY = "Xq3bT1kWQ0mWkE1aQm0vUg"


def test_batch_becomes_per_recipient_records_of_one_message():
    s = settings()
    res = sendgrid.convert(load("sendgrid_events.json"), s.sendgrid, s.mime)
    assert res.ignored == 2  # open, dropped
    assert len(res.records) == 4 and not res.dead
    assert {r.group_key for r in res.records} == {KEY}  # the send request's X-Message-Id
    e = parse_event(res.records[0].event)
    assert e.event_id == KEY and e.sender == "billing@shop.example"
    assert e.bcc == ("ann.lee@customer-one.example",) and e.to == ()  # SendGrid does not tell who saw whom
    assert e.template_id == "d-4f2b8a1c9e3d4b5a8c7d6e5f4a3b2c1d"  # sg_template_id
    assert e.subject == "Your invoice - August"  # from the custom arg
    assert e.ts == 1503568800.0 and e.body is None
    # the delivered event has no sg_template_id nor subject: the category stands in
    d = res.records[3].event
    assert d["template_id"] == "invoice" and "subject" not in d


def test_group_key_rules():
    assert sendgrid.group_key({"sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0"}) == "14c5d75ce93.dfd.64b469"
    assert sendgrid.group_key({"sg_message_id": "abc.recvd-1-2.0"}) == "abc"
    assert sendgrid.group_key({"smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>"}) == "14c5d75ce93.dfd.64b469@ismtpd-555"
    assert sendgrid.group_key({}) is None


def test_sender_from_default_and_missing_sender_is_dead_lettered():
    items = [dict(it) for it in load("sendgrid_events.json")[:2]]
    for it in items:
        it.pop("sender")
    s = settings()
    res = sendgrid.convert(items, s.sendgrid, s.mime)
    assert not res.records and [d[1] for d in res.dead] == ["no_sender", "no_sender"]
    s2 = settings("--sendgrid-default-sender", "noreply@shop.example")
    res = sendgrid.convert(items, s2.sendgrid, s2.mime)
    assert [r.event["sender"] for r in res.records] == ["noreply@shop.example"] * 2


def test_malformed_items_and_payloads():
    s = settings()
    res = sendgrid.convert([1, {"event": "processed", "email": "a@b.example", "timestamp": 1}], s.sendgrid, s.mime)
    assert [d[1] for d in res.dead] == ["bad_payload", "bad_payload"]
    with pytest.raises(PayloadError) as exc:
        sendgrid.parse_payload(b'{"email": "a@b.example"}')
    assert exc.value.reason == "bad_payload"
    with pytest.raises(PayloadError) as exc:
        sendgrid.parse_payload(b"[{")
    assert exc.value.reason == "invalid_json"


def test_genuine_signature_verifies():
    s = settings()
    body = sendgrid_body()
    sendgrid.verify(sendgrid_headers(body), body, s.sendgrid)
    # header names are case-insensitive
    sendgrid.verify({k.lower(): v for k, v in sendgrid_headers(body).items()}, body, s.sendgrid)


def test_modified_body_forged_key_stale_and_missing_are_rejected():
    from cryptography.hazmat.primitives.asymmetric import ec

    s = settings()
    body = sendgrid_body()
    h = sendgrid_headers(body)
    with pytest.raises(SignatureError) as exc:
        sendgrid.verify(h, body.replace(b"cy@customer-three", b"zz@customer-three"), s.sendgrid)
    assert exc.value.result == "bad_signature" and exc.value.status == 403
    forged = sendgrid_headers(body, key=ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(SignatureError):
        sendgrid.verify(forged, body, s.sendgrid)
    # the timestamp is signed too: changing it breaks the signature
    with pytest.raises(SignatureError):
        sendgrid.verify({**h, sendgrid.TIMESTAMP_HEADER: str(int(time.time()) + 1)}, body, s.sendgrid)
    old = sendgrid_headers(body, ts=int(time.time()) - 3600)
    with pytest.raises(SignatureError) as exc:
        sendgrid.verify(old, body, s.sendgrid)
    assert exc.value.result == "stale"
    sendgrid.verify(old, body, settings("--sendgrid-max-age", "0").sendgrid)  # check off
    with pytest.raises(SignatureError) as exc:
        sendgrid.verify({}, body, s.sendgrid)
    assert exc.value.status == 401
    with pytest.raises(SignatureError):
        sendgrid.verify({**h, sendgrid.SIGNATURE_HEADER: "not base64!"}, body, s.sendgrid)


def test_no_key_configured_refuses_unless_unsigned_allowed():
    from streams.taps.http import parse_http_settings

    s = parse_http_settings(["--broker", "kafka://127.0.0.1:1"], env={})
    body = sendgrid_body()
    with pytest.raises(SignatureError) as exc:
        sendgrid.verify(sendgrid_headers(body), body, s.sendgrid)
    assert exc.value.result == "unsigned"
    u = parse_http_settings(["--sendgrid-allow-unsigned"], env={})
    sendgrid.verify({}, body, u.sendgrid)


def test_public_key_formats():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = ec_key().public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    assert sendgrid.load_public_key(pem).public_numbers() == sendgrid.load_public_key(ec_public_b64()).public_numbers()
    rsa_pem = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    for bad in ("nonsense", rsa_pem):
        with pytest.raises(ValueError):
            sendgrid.load_public_key(bad)


def test_body_is_verified_as_bytes_not_reserialised():
    s = settings()
    body = orjson.dumps(load("sendgrid_events.json"), option=orjson.OPT_INDENT_2)
    sendgrid.verify(sendgrid_headers(body), body, s.sendgrid)
    with pytest.raises(SignatureError):
        sendgrid.verify(sendgrid_headers(body), orjson.dumps(orjson.loads(body)), s.sendgrid)
