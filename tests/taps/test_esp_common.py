"""What the ESP tests share: the fixtures of tests/taps/data/esp and keys to sign them.

Every key is made here (an RSA key with a self-signed certificate for SNS, an ECDSA P-256
key for SendGrid, an HMAC key for Mailgun): nothing is fetched from the network.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import functools
import json
import secrets
import time
from pathlib import Path
from typing import Any

import orjson

from streams.taps.http import parse_http_settings

DATA = Path(__file__).parent / "data" / "esp"
CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem"
MAILGUN_KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------- SNS
@functools.lru_cache(maxsize=None)
def rsa_key_and_cert(cn: str = "sns.amazonaws.com"):
    """(private key, PEM certificate bytes): stands in for the SNS signing certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    return key, cert.public_bytes(serialization.Encoding.PEM)


def sign_sns(msg: dict, version: str = "1", key=None) -> dict:
    """``msg`` with SignatureVersion and Signature as SNS would set them."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    from streams.taps.ses import canonical_string

    key = key or rsa_key_and_cert()[0]
    msg = dict(msg)
    msg["SignatureVersion"] = version
    algo = hashes.SHA1() if version == "1" else hashes.SHA256()
    msg["Signature"] = base64.b64encode(key.sign(canonical_string(msg), padding.PKCS1v15(), algo)).decode()
    return msg


def sns_notification(ses_event: dict, version: str = "1", key=None, **fields) -> dict:
    msg = load("sns_notification.json")
    msg["Message"] = json.dumps(ses_event)
    msg["MessageId"] = fields.pop("MessageId", msg["MessageId"])
    msg.update(fields)
    return sign_sns(msg, version, key)


def cert_fetcher(calls: list | None = None):
    """An async fetch serving the test certificate at CERT_URL (and recording what was asked)."""
    pem = rsa_key_and_cert()[1]

    async def fetch(url: str) -> bytes:
        if calls is not None:
            calls.append(url)
        if url != CERT_URL:
            raise OSError("not found")
        return pem

    return fetch


# -------------------------------------------------------------------------- SendGrid
@functools.lru_cache(maxsize=None)
def ec_key():
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def ec_public_b64(key=None) -> str:
    """The verification key as SendGrid's settings page shows it: base64 DER SubjectPublicKeyInfo."""
    from cryptography.hazmat.primitives import serialization

    der = (key or ec_key()).public_key().public_bytes(serialization.Encoding.DER,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def sendgrid_headers(body: bytes, ts: int | None = None, key=None) -> dict[str, str]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from streams.taps.sendgrid import SIGNATURE_HEADER, TIMESTAMP_HEADER

    ts_s = str(int(time.time()) if ts is None else ts)
    sig = (key or ec_key()).sign(ts_s.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {SIGNATURE_HEADER: base64.b64encode(sig).decode(), TIMESTAMP_HEADER: ts_s,
            "Content-Type": "application/json"}


def sendgrid_body(items: list | None = None, **override) -> bytes:
    items = copy.deepcopy(load("sendgrid_events.json") if items is None else items)
    for it in items:
        it.update(override)
    return orjson.dumps(items)


# --------------------------------------------------------------------------- Mailgun
def mailgun_payload(event_data: dict, key: str = MAILGUN_KEY, ts: float | None = None, token: str | None = None) -> bytes:
    from streams.taps.mailgun import sign

    ts_s = str(int(time.time() if ts is None else ts))
    token = token or secrets.token_hex(25)
    return orjson.dumps({"signature": {"timestamp": ts_s, "token": token, "signature": sign(key, ts_s, token)},
                         "event-data": event_data})


# -------------------------------------------------------------------------- settings
def settings(*argv: str, env: dict | None = None):
    """The tap's settings with the test keys configured."""
    base = ["--broker", "kafka://127.0.0.1:1", "--metrics-port", "0",
            "--sendgrid-public-key", ec_public_b64(), "--mailgun-signing-key", MAILGUN_KEY]
    return parse_http_settings(base + list(argv), env=env or {})


# ----------------------------------------------------------------------------- tests
def test_fixtures_follow_the_documented_schemas():
    send = load("ses_send.json")
    assert send["eventType"] == "Send"
    assert {"timestamp", "source", "messageId", "destination", "headers", "commonHeaders", "tags"} <= set(send["mail"])
    assert load("ses_delivery.json")["delivery"]["recipients"]
    for name in ("sns_notification.json", "sns_subscription_confirmation.json"):
        assert {"Type", "MessageId", "TopicArn", "Message", "Timestamp", "SignatureVersion", "Signature",
                "SigningCertURL"} <= set(load(name))
    for it in load("sendgrid_events.json"):
        assert {"email", "timestamp", "event", "sg_event_id"} <= set(it)
    for ed in load("mailgun_events.json"):
        assert {"event", "timestamp", "id", "recipient", "message"} <= set(ed)
        assert "message-id" in ed["message"]["headers"]


def test_signing_helpers_round_trip():
    from cryptography import x509

    key, pem = rsa_key_and_cert()
    assert x509.load_pem_x509_certificate(pem).public_key().public_numbers() == key.public_key().public_numbers()
    s = settings()
    assert s.sendgrid.public_key is not None and s.mailgun.signing_key == MAILGUN_KEY
