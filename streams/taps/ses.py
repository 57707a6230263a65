"""Amazon SES event publishing via SNS -> per-message records of ``mailflow tap http`` (no Kafka).

SES publishes its sending events (a configuration set's *event destination*) to an SNS
topic; an HTTP(S) subscription of that topic POSTs SNS JSON messages to ``/ses``:

* ``SubscriptionConfirmation`` -- the tap confirms it by fetching ``SubscribeURL`` only
  with ``--sns-auto-confirm`` (and only from an allowed host); otherwise it logs the
  topic so that an operator confirms it (the URL is in the SNS console / the log at DEBUG).
* ``Notification`` -- ``Message`` is the SES event JSON: ``eventType`` (``Send``,
  ``Delivery``, ``Bounce``...; ``notificationType`` for the older notifications) and the
  ``mail`` object: ``messageId``, ``timestamp``, ``source``, ``destination`` (every envelope
  recipient), ``headers`` (unless ``headersTruncated``), ``commonHeaders`` (``from``, ``to``,
  ``cc``, ``subject``, ``messageId``, ``date``) and ``tags``.

**Signature** (every message type): SNS signs the *canonical string* -- ``"Key\\nValue\\n"``
for ``Message, MessageId, Subject`` (if present)``, Timestamp, TopicArn, Type`` of a
Notification, ``Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type`` of a
(Un)SubscriptionConfirmation -- with RSA PKCS#1 v1.5, SHA1 for ``SignatureVersion`` 1 and
SHA256 for 2. The certificate is fetched over HTTPS from ``SigningCertURL`` only when its
host matches ``cert_host_pattern`` (``sns.<region>.amazonaws.com``) and cached.

**Conversion**: one record per ``Send``/``Delivery`` event (configurable); both carry the
whole ``mail`` object, so a ``Delivery`` after its ``Send`` only repeats recipients (the
tap ignores it). ``event_id`` = ``mail.messageId``; headers through the SMTP tap's rules
(:func:`streams.taps.http.base_event`); every ``destination`` not in To/Cc is ``bcc``; the
subject from ``commonHeaders``; the template id from the template header or the first
of ``template_tags`` among ``mail.tags``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass
from email.message import Message
from email.utils import parseaddr
from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit

from .http import ConvertResult, EspRecord, PayloadError, SignatureError, base_event

__all__ = [
    "SesOptions", "DEFAULT_CERT_HOST_PATTERN", "CertCache", "CertUnavailable", "parse_envelope",
    "canonical_string", "cert_url_allowed", "verify_signature", "verify", "handle", "event_records",
]

log = logging.getLogger("mailflow.tap.http")

PROVIDER = "ses"
DEFAULT_CERT_HOST_PATTERN = r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$"
_NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_CONFIRMATION_KEYS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
_TYPES = ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation")


@dataclass(frozen=True)
class SesOptions:
    event_types: tuple[str, ...] = ("Send", "Delivery")
    template_tags: tuple[str, ...] = ("template_id", "template")
    #: accepted SNS topics (empty: any topic whose signature verifies)
    topic_arns: tuple[str, ...] = ()
    cert_host_pattern: str = DEFAULT_CERT_HOST_PATTERN
    auto_confirm: bool = False


class CertUnavailable(Exception):
    """The signing certificate could not be fetched (a retry may work: the tap answers 503)."""


def parse_envelope(body: bytes) -> dict[str, Any]:
    """The SNS message JSON; :class:`PayloadError` when it is not one."""
    import orjson

    try:
        msg = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise PayloadError("invalid_json", "body is not JSON") from None
    if not isinstance(msg, dict):
        raise PayloadError("bad_payload", "body is not a JSON object")
    if msg.get("Type") not in _TYPES:
        raise PayloadError("bad_payload", "not an SNS message (Type missing or unknown; raw message delivery "
                                          "is not supported: it is unsigned)")
    return msg


def canonical_string(msg: dict[str, Any]) -> bytes:
    keys = _NOTIFICATION_KEYS if msg.get("Type") == "Notification" else _CONFIRMATION_KEYS
    parts = []
    for k in keys:
        v = msg.get(k)
        if v is None:
            if k == "Subject":
                continue
            raise SignatureError("unsigned", f"{k} missing from the signed fields", status=401)
        if not isinstance(v, str):
            raise SignatureError("bad_signature", f"{k} is not a string")
        parts.append(f"{k}\n{v}\n")
    return "".join(parts).encode("utf-8")


def cert_url_allowed(url: Any, host_pattern: str = DEFAULT_CERT_HOST_PATTERN) -> bool:
    """HTTPS, default port, a host matching ``host_pattern``, a ``.pem`` path, no user info."""
    if not isinstance(url, str) or len(url) > 2048:
        return False
    try:
        u = urlsplit(url)
        port = u.port
    except ValueError:
        return False
    host = (u.hostname or "").lower()
    return (u.scheme == "https" and port in (None, 443) and not u.username and not u.password
            and re.fullmatch(host_pattern, host) is not None and u.path.endswith(".pem"))


def _confirm_url_allowed(url: Any, host_pattern: str) -> bool:
    if not isinstance(url, str) or len(url) > 4096:
        return False
    try:
        u = urlsplit(url)
        port = u.port
    except ValueError:
        return False
    return (u.scheme == "https" and port in (None, 443) and not u.username
            and re.fullmatch(host_pattern, (u.hostname or "").lower()) is not None)


def verify_signature(msg: dict[str, Any], public_key) -> None:
    """Checks ``msg["Signature"]`` with ``public_key`` (an RSA public key); raises :class:`SignatureError`."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    version = msg.get("SignatureVersion")
    algo = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(version if isinstance(version, str) else "")
    if algo is None:
        raise SignatureError("bad_signature", f"SignatureVersion {str(version)[:8]!r} not supported")
    sig_text = msg.get("Signature")
    if not isinstance(sig_text, str) or not sig_text:
        raise SignatureError("unsigned", "no Signature", status=401)
    try:
        sig = base64.b64decode(sig_text, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("bad_signature", "Signature is not base64") from None
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise SignatureError("bad_signature", "signing certificate has no RSA key")
    try:
        public_key.verify(sig, canonical_string(msg), padding.PKCS1v15(), algo)
    except InvalidSignature:
        raise SignatureError("bad_signature", "SNS signature does not verify") from None


Fetch = Callable[[str], Awaitable[bytes]]


class CertCache:
    """Signing certificates' public keys by URL (bounded), fetched with ``fetch`` from allowed hosts only."""

    def __init__(self, fetch: Fetch, host_pattern: str = DEFAULT_CERT_HOST_PATTERN, max_entries: int = 32) -> None:
        self.fetch = fetch
        self.host_pattern = host_pattern
        self.max_entries = max_entries
        self._keys: OrderedDict[str, Any] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}
        self.fetches = 0

    async def get(self, url: Any):
        from cryptography import x509

        if not cert_url_allowed(url, self.host_pattern):
            raise SignatureError("bad_signature", "SigningCertURL is not an allowed SNS certificate URL")
        if url in self._keys:
            self._keys.move_to_end(url)
            return self._keys[url]
        lock = self._locks.setdefault(url, asyncio.Lock())
        async with lock:
            if url in self._keys:
                return self._keys[url]
            self.fetches += 1
            try:
                pem = await self.fetch(url)
            except Exception as exc:
                raise CertUnavailable(f"fetching the SNS signing certificate failed: {type(exc).__name__}") from exc
            try:
                key = x509.load_pem_x509_certificate(pem).public_key()
            except ValueError:
                raise SignatureError("bad_signature", "SigningCertURL did not give a PEM certificate") from None
            self._keys[url] = key
            while len(self._keys) > self.max_entries:
                self._keys.popitem(last=False)
        self._locks.pop(url, None)
        return key


async def verify(msg: dict[str, Any], options: SesOptions, certs: CertCache) -> None:
    """Checks topic and signature of an SNS message; raises :class:`SignatureError`/:class:`CertUnavailable`."""
    if options.topic_arns and msg.get("TopicArn") not in options.topic_arns:
        raise SignatureError("bad_signature", "TopicArn is not one of --sns-topic-arn")
    if not isinstance(msg.get("Signature"), str):
        raise SignatureError("unsigned", "no Signature", status=401)
    key = await certs.get(msg.get("SigningCertURL"))
    verify_signature(msg, key)


async def handle(msg: dict[str, Any], options: SesOptions, mime_options, opener: Fetch) -> ConvertResult:
    """What a verified SNS message gives: a subscription note, or the records of its SES event."""
    import orjson

    t = msg["Type"]
    if t != "Notification":
        res = ConvertResult()
        topic = str(msg.get("TopicArn"))[:256]
        if t == "UnsubscribeConfirmation":
            log.warning("tap http: SNS unsubscribed this endpoint from topic %s", topic)
            res.subscription = "unsubscribe confirmation noted"
        elif options.auto_confirm and _confirm_url_allowed(msg.get("SubscribeURL"), options.cert_host_pattern):
            await opener(msg["SubscribeURL"])
            log.info("tap http: SNS subscription to topic %s confirmed", topic)
            res.subscription = "subscription confirmed"
        else:
            log.warning("tap http: SNS subscription to topic %s waits for confirmation: confirm it in the SNS "
                        "console (or run the tap with --sns-auto-confirm); its SubscribeURL is logged at DEBUG", topic)
            log.debug("tap http: SubscribeURL of topic %s: %s", topic, msg.get("SubscribeURL"))
            res.subscription = "subscription confirmation logged (not confirmed: --sns-auto-confirm is off)"
        return res
    text = msg.get("Message")
    if not isinstance(text, str):
        raise PayloadError("bad_payload", "Notification without a Message string")
    try:
        ev = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise PayloadError("invalid_json", "Notification Message is not JSON (not an SES event)") from None
    if not isinstance(ev, dict):
        raise PayloadError("bad_payload", "Notification Message is not a JSON object")
    return event_records(ev, options, mime_options, text.encode("utf-8"))


def _first(values: Any) -> str | None:
    if isinstance(values, list):
        values = next((v for v in values if isinstance(v, str) and v), None)
    return values if isinstance(values, str) and values else None


def _strings(values: Any) -> list[str]:
    if isinstance(values, str):
        return [values]
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def event_records(ev: dict[str, Any], options: SesOptions, mime_options, raw: bytes = b"") -> ConvertResult:
    """The record of one SES event (pure); :class:`PayloadError` for a malformed one."""
    out = ConvertResult()
    etype = ev.get("eventType") or ev.get("notificationType")
    if etype not in options.event_types:
        out.ignored += 1
        return out
    mail = ev.get("mail")
    if not isinstance(mail, dict):
        raise PayloadError("bad_payload", "SES event without a mail object")
    mid = mail.get("messageId")
    if not isinstance(mid, str) or not mid.strip():
        raise PayloadError("bad_payload", "SES mail object without messageId")
    mid = mid.strip()
    common = mail.get("commonHeaders") if isinstance(mail.get("commonHeaders"), dict) else {}
    m = Message()
    headers = mail.get("headers")
    if isinstance(headers, list):
        for h in headers[:500]:
            if isinstance(h, dict) and isinstance(h.get("name"), str) and isinstance(h.get("value"), str):
                if h["name"].lower() != "bcc":  # Bcc comes from destination
                    m[h["name"]] = h["value"]
    # truncated or absent headers: what commonHeaders has
    for name, key in (("From", "from"), ("To", "to"), ("Cc", "cc"), ("Reply-To", "replyTo")):
        if m.get(name) is None and _strings(common.get(key)):
            m[name] = ", ".join(_strings(common.get(key)))
    for name, key in (("Subject", "subject"), ("Date", "date"), ("Message-ID", "messageId")):
        if m.get(name) is None and isinstance(common.get(key), str):
            m[name] = common[key]
    source = mail.get("source")
    source = parseaddr(source)[1] if isinstance(source, str) else None
    destination = _strings(mail.get("destination"))
    if etype == "Delivery" and isinstance(ev.get("delivery"), dict):
        destination += [r for r in _strings(ev["delivery"].get("recipients")) if r not in destination]
    from .http import recipient_list

    event = base_event(m, source or None, mid, mail.get("timestamp"), recipient_list(destination), mime_options)
    if event is None:
        out.not_outbound += 1
        return out
    if isinstance(common.get("subject"), str):
        event["subject"] = common["subject"]  # decoded, unlike the raw header
    if "template_id" not in event:
        tags = mail.get("tags") if isinstance(mail.get("tags"), dict) else {}
        for t in options.template_tags:
            v = _first(tags.get(t))
            if v:
                event["template_id"] = v[:1024]
                break
    out.records.append(EspRecord(PROVIDER, mid, event, raw))
    return out
