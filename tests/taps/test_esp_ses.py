"""Amazon SES via SNS: conversion from the fixtures, SNS signature verification, subscriptions."""

from __future__ import annotations

import asyncio
import json

import pytest

from detectors.events import parse_event
from streams.taps import ses
from streams.taps.http import PayloadError, SignatureError

from .test_esp_common import CERT_URL, cert_fetcher, load, settings, sign_sns, sns_notification

MID = "0102015e1b2c3d4e-5f6a7b8c-9d0e-4f1a-8b2c-3d4e5f6a7b8c-000000"


def run(coro):
    return asyncio.run(coro)


def _verify(msg, s=None, calls=None):
    s = s or settings()
    certs = ses.CertCache(cert_fetcher(calls), s.ses.cert_host_pattern)

    async def go():
        await ses.verify(msg, s.ses, certs)
        return certs

    return run(go())


def test_send_event_becomes_one_contract_event():
    s = settings()
    res = ses.event_records(load("ses_send.json"), s.ses, s.mime)
    assert len(res.records) == 1 and not res.dead
    ev = res.records[0].event
    e = parse_event(ev)
    assert e.event_id == MID and res.records[0].group_key == MID
    assert e.sender == "billing@shop.example"
    assert e.to == ("ann.lee@customer-one.example", "bo@customer-two.example")
    assert e.bcc == ("cy@customer-three.example",)  # in destination, not in To/Cc
    assert e.subject == "Your invoice \u2013 August"  # commonHeaders: decoded
    assert e.template_id == "invoice-v3"  # the X-Template-Id header wins over the tag
    assert e.sender_kind == "automated"  # Auto-Submitted: the SMTP tap's rule
    assert e.ts == pytest.approx(1503568800.25)
    assert e.body is None  # SES never gives the body


def test_truncated_headers_use_common_headers_and_tags():
    s = settings()
    ev = parse_event(ses.event_records(load("ses_delivery.json"), s.ses, s.mime).records[0].event)
    assert ev.sender == "billing@shop.example" and ev.to == ("ann.lee@customer-one.example", "bo@customer-two.example")
    assert ev.bcc == ("cy@customer-three.example",)
    assert ev.template_id == "invoice-v3-tag" and ev.subject == "Your invoice \u2013 August"


def test_other_event_types_are_ignored_and_configurable():
    s = settings()
    assert ses.event_records(load("ses_bounce.json"), s.ses, s.mime).ignored == 1
    only_send = settings("--ses-event-types", "Send")
    assert ses.event_records(load("ses_delivery.json"), only_send.ses, only_send.mime).ignored == 1


def test_internal_domains_skip_inbound_senders():
    s = settings("--internal-domain", "other.example")
    assert ses.event_records(load("ses_send.json"), s.ses, s.mime).not_outbound == 1


@pytest.mark.parametrize("mutate,reason", [
    (lambda ev: ev.pop("mail"), "bad_payload"),
    (lambda ev: ev["mail"].pop("messageId"), "bad_payload"),
    (lambda ev: (ev["mail"].update(destination=[], headers=[]), ev["mail"]["commonHeaders"].pop("to")), "no_recipients"),
    (lambda ev: (ev["mail"].update(source="", headers=[]), ev["mail"]["commonHeaders"].pop("from")), "no_sender"),
])
def test_malformed_events_raise_with_reason(mutate, reason):
    s = settings()
    ev = load("ses_send.json")
    mutate(ev)
    with pytest.raises(PayloadError) as exc:
        ses.event_records(ev, s.ses, s.mime)
    assert exc.value.reason == reason


@pytest.mark.parametrize("version", ["1", "2"])
def test_genuine_signature_verifies_and_cert_is_cached(version):
    calls: list = []
    s = settings()
    certs = ses.CertCache(cert_fetcher(calls), s.ses.cert_host_pattern)

    async def go():
        for _ in range(3):
            await ses.verify(sns_notification(load("ses_send.json"), version), s.ses, certs)

    run(go())
    assert calls == [CERT_URL]  # fetched once, then cached


def test_subject_field_is_part_of_the_canonical_string():
    msg = sns_notification(load("ses_send.json"), Subject="Amazon SES Email Event Notification")
    _verify(msg)
    assert b"Subject\nAmazon SES Email Event Notification\n" in ses.canonical_string(msg)


@pytest.mark.parametrize("field,value", [
    ("Message", "x"), ("MessageId", "other"), ("Timestamp", "2017-08-24T10:00:01.000Z"),
    ("TopicArn", "arn:aws:sns:eu-west-1:123456789012:evil"), ("Type", "SubscriptionConfirmation"),
])
def test_modified_message_is_rejected(field, value):
    msg = sns_notification(load("ses_send.json"))
    msg[field] = value
    with pytest.raises(SignatureError) as exc:
        _verify(msg)
    assert exc.value.result in ("bad_signature", "unsigned")


def test_modified_ses_event_inside_message_is_rejected():
    msg = sns_notification(load("ses_send.json"))
    ev = json.loads(msg["Message"])
    ev["mail"]["destination"].append("attacker@evil.example")
    msg["Message"] = json.dumps(ev)
    with pytest.raises(SignatureError):
        _verify(msg)


def test_forged_with_another_key_is_rejected():
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(SignatureError) as exc:
        _verify(sns_notification(load("ses_send.json"), "2", key=other))
    assert exc.value.result == "bad_signature"


@pytest.mark.parametrize("url", [
    "https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem",
    "http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem",
    "https://evil.example/SimpleNotificationService-1.pem",
    "https://sns.eu-west-1.amazonaws.com:8443/SimpleNotificationService-1.pem",
    "https://user@sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem",
    "https://sns.eu-west-1.amazonaws.com/not-a-cert",
    None,
])
def test_certificate_only_from_allowed_hosts(url):
    calls: list = []
    msg = sns_notification(load("ses_send.json"))
    msg["SigningCertURL"] = url
    with pytest.raises(SignatureError):
        _verify(msg, calls=calls)
    assert calls == []  # never fetched
    assert not ses.cert_url_allowed(url)
    assert ses.cert_url_allowed(CERT_URL) and ses.cert_url_allowed(
        "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem")


def test_unknown_signature_version_and_missing_signature():
    msg = sns_notification(load("ses_send.json"))
    msg["SignatureVersion"] = "3"
    with pytest.raises(SignatureError):
        _verify(msg)
    msg = sns_notification(load("ses_send.json"))
    del msg["Signature"]
    with pytest.raises(SignatureError) as exc:
        _verify(msg)
    assert exc.value.status == 401


def test_topic_allow_list():
    s = settings("--sns-topic-arn", "arn:aws:sns:eu-west-1:123456789012:other-topic")
    with pytest.raises(SignatureError):
        _verify(sns_notification(load("ses_send.json")), s=s)
    ok = settings("--sns-topic-arn", "arn:aws:sns:eu-west-1:123456789012:mailflow-ses-events")
    _verify(sns_notification(load("ses_send.json")), s=ok)


def test_cert_fetch_failure_is_retryable():
    s = settings()

    async def broken(url):
        raise OSError("connection refused")

    with pytest.raises(ses.CertUnavailable):
        run(ses.verify(sns_notification(load("ses_send.json")), s.ses, ses.CertCache(broken)))


def test_subscription_confirmation_logged_unless_auto_confirm(caplog):
    conf = sign_sns(load("sns_subscription_confirmation.json"))
    _verify(conf)  # confirmations are signed too
    opened: list = []

    async def opener(url):
        opened.append(url)
        return b"<ConfirmSubscriptionResponse/>"

    s = settings()
    res = run(ses.handle(conf, s.ses, s.mime, opener))
    assert res.subscription and "not confirmed" in res.subscription and opened == []
    assert "waits for confirmation" in caplog.text and "Token=" not in caplog.text  # URL only at DEBUG
    auto = settings("--sns-auto-confirm")
    res = run(ses.handle(conf, auto.ses, auto.mime, opener))
    assert res.subscription == "subscription confirmed" and opened == [conf["SubscribeURL"]]
    # a SubscribeURL elsewhere is never fetched, even with auto-confirm
    bad = dict(conf, SubscribeURL="https://evil.example/?Action=ConfirmSubscription")
    opened.clear()
    run(ses.handle(bad, auto.ses, auto.mime, opener))
    assert opened == []


def test_notification_message_must_be_an_ses_event():
    s = settings()
    msg = sns_notification(load("ses_send.json"))
    msg["Message"] = "not json"
    with pytest.raises(PayloadError) as exc:
        run(ses.handle(msg, s.ses, s.mime, None))
    assert exc.value.reason == "invalid_json"
    with pytest.raises(PayloadError):
        ses.parse_envelope(b'{"Type": "Other"}')
    with pytest.raises(PayloadError):
        ses.parse_envelope(b"[1]")
