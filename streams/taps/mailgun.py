"""Mailgun webhooks -> per-recipient records of ``mailflow tap http`` (pure: no HTTP, no Kafka).

Mailgun POSTs one JSON object per event (webhooks, "event-data" format)::

    {"signature": {"timestamp": "1529006854", "token": "a8ce...", "signature": "d227..."},
     "event-data": {"event": "accepted", "timestamp": 1529006854.33, "id": "...",
                    "recipient": "alice@example.com",
                    "envelope": {"sender": "bob@shop.example", "targets": "alice@example.com"},
                    "message": {"headers": {"message-id": "...", "from": "...", "to": "...",
                                            "subject": "..."},
                                "attachments": [{"filename": ..., "content-type": ..., "size": ...}]},
                    "tags": [...], "user-variables": {...}}}

**Signature**: ``signature.signature`` is the hex HMAC-SHA256 of ``timestamp + token``
keyed with the domain's *webhook signing key*. A request is refused when the digest
does not match, when ``timestamp`` is further than ``max_age`` seconds from now (stale),
or when its ``token`` was already used within ``max_age`` (replayed; a bounded cache of
tokens, reserved while the request is processed and kept only when it was answered 2xx,
so Mailgun's retry of a request we answered 5xx is not taken for a replay).

**Conversion**: one record per ``accepted``/``delivered``/``failed`` event (configurable; each names one recipient of the message), grouped by
``message.headers.message-id``: sender from ``From`` (``envelope.sender`` as fallback),
To/Cc from the message headers, the event's ``recipient`` as ``bcc`` when it is in
neither, subject from ``message.headers.subject``, attachment metadata from
``message.attachments``, template id from the template header, ``user-variables``
(``template_var``), the event's ``template.name`` or the first tag (``tags_as_template``).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from email.message import Message
from typing import Any

from .http import ConvertResult, EspRecord, PayloadError, SignatureError, base_event, recipient_list

__all__ = ["MailgunOptions", "TokenCache", "parse_payload", "verify", "convert", "sign"]

PROVIDER = "mailgun"


@dataclass(frozen=True)
class MailgunOptions:
    #: the webhook signing key (Mailgun control panel, "Webhook signing key"); None: requests refused
    signing_key: str | None = None
    event_types: tuple[str, ...] = ("accepted", "delivered", "failed")
    #: seconds a signature timestamp may be away from now, and tokens are remembered (0: no check)
    max_age: float = 600.0
    #: tokens remembered at most (the oldest go first)
    max_tokens: int = 200_000
    template_var: str = "template_id"
    subject_var: str = "subject"
    tags_as_template: bool = True


class TokenCache:
    """Tokens seen within ``max_age`` (bounded, oldest first out); reserve, then keep or release."""

    def __init__(self, max_age: float, max_tokens: int) -> None:
        self.max_age = max_age
        self.max_tokens = max(1, max_tokens)
        self._seen: OrderedDict[str, float] = OrderedDict()
        self.evicted = 0

    def _expire(self, now: float) -> None:
        while self._seen:
            tok, at = next(iter(self._seen.items()))
            if self.max_age and now - at <= self.max_age and len(self._seen) <= self.max_tokens:
                break
            if self.max_age and now - at <= self.max_age:
                self.evicted += 1
            self._seen.popitem(last=False)

    def reserve(self, token: str, now: float | None = None) -> bool:
        """False when ``token`` was seen (a replay); else remembers it and returns True."""
        now = time.time() if now is None else now
        self._expire(now)
        if token in self._seen:
            return False
        self._seen[token] = now
        self._expire(now)
        return True

    def release(self, token: str) -> None:
        self._seen.pop(token, None)

    def __len__(self) -> int:
        return len(self._seen)


def parse_payload(body: bytes) -> dict[str, Any]:
    import orjson

    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise PayloadError("invalid_json", "body is not JSON") from None
    if not isinstance(obj, dict):
        raise PayloadError("bad_payload", "body is not a JSON object")
    sig, data = obj.get("signature"), obj.get("event-data")
    if not isinstance(sig, dict) or not isinstance(data, dict):
        raise PayloadError("bad_payload", "no signature or event-data object (legacy form posts are not supported)")
    return obj


def sign(signing_key: str, timestamp: str, token: str) -> str:
    """The hex signature Mailgun sends for ``timestamp`` and ``token`` (used by the tests too)."""
    return hmac.new(signing_key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()


def verify(payload: dict[str, Any], options: MailgunOptions, tokens: TokenCache, now: float | None = None) -> str:
    """Checks the signature; returns the token (reserved in ``tokens``) or raises :class:`SignatureError`."""
    if not options.signing_key:
        raise SignatureError("unsigned", "no Mailgun webhook signing key configured", status=401)
    sig = payload.get("signature") or {}
    ts, token, digest = sig.get("timestamp"), sig.get("token"), sig.get("signature")
    if isinstance(ts, (int, float)) and not isinstance(ts, bool):
        ts = str(int(ts))
    if not all(isinstance(v, str) and v for v in (ts, token, digest)):
        raise SignatureError("unsigned", "signature timestamp, token or signature missing", status=401)
    if len(token) > 512 or len(digest) > 512:
        raise SignatureError("bad_signature", "token or signature too long")
    if not hmac.compare_digest(sign(options.signing_key, ts, token), digest.lower()):
        raise SignatureError("bad_signature", "HMAC does not match")
    now = time.time() if now is None else now
    try:
        age = now - float(ts)
    except ValueError:
        raise SignatureError("bad_signature", "timestamp is not a number") from None
    if options.max_age and (not math.isfinite(age) or abs(age) > options.max_age):
        raise SignatureError("stale", f"timestamp {age:.0f}s away from now (max {options.max_age:.0f}s)")
    if not tokens.reserve(token, now):
        raise SignatureError("replayed", "token already used")
    return token


def _headers_message(headers: dict[str, Any]) -> Message:
    m = Message()
    for name, value in headers.items():
        if isinstance(name, str) and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            m[name] = str(value)
        elif isinstance(name, str) and isinstance(value, list):
            for v in value:
                if isinstance(v, str):
                    m[name] = v
    return m


def convert(payload: dict[str, Any], body: bytes, options: MailgunOptions, mime_options) -> ConvertResult:
    """The record of one (verified) webhook payload."""
    import orjson

    out = ConvertResult()
    data = payload["event-data"]
    if data.get("event") not in options.event_types:
        out.ignored += 1
        return out
    message = data.get("message")
    headers = message.get("headers") if isinstance(message, dict) else None
    if not isinstance(headers, dict):
        raise PayloadError("bad_payload", "event-data.message.headers is not an object")
    headers = {str(k): v for k, v in headers.items()}
    lower = {k.lower(): v for k, v in headers.items()}
    mid = lower.get("message-id")
    if not isinstance(mid, str) or not mid.strip("<> "):
        raise PayloadError("bad_payload", "no message.headers.message-id")
    mid = mid.strip().strip("<>").strip()
    envelope = data.get("envelope") if isinstance(data.get("envelope"), dict) else {}
    ts = data.get("timestamp")
    recipient = data.get("recipient")
    recipients = recipient_list([recipient] if isinstance(recipient, str) else [])
    if not recipients and isinstance(envelope.get("targets"), str):
        recipients = recipient_list(envelope["targets"].split(","))
    raw = orjson.dumps(data)
    try:
        event = base_event(_headers_message(headers), envelope.get("sender") if isinstance(envelope.get("sender"), str) else None,
                           mid, ts, recipients, mime_options)
    except PayloadError as exc:  # one item of the payload: dead-lettered alone
        out.dead.append((raw, exc.reason, exc.detail))
        return out
    if event is None:
        out.not_outbound += 1
        return out
    uv = data.get("user-variables") if isinstance(data.get("user-variables"), dict) else {}
    if "template_id" not in event:
        tid = uv.get(options.template_var) if options.template_var else None
        tmpl = data.get("template")
        if not (isinstance(tid, str) and tid) and isinstance(tmpl, dict) and isinstance(tmpl.get("name"), str):
            tid = tmpl["name"]
        tags = data.get("tags")
        if not (isinstance(tid, str) and tid) and options.tags_as_template and isinstance(tags, list):
            tid = next((t for t in tags if isinstance(t, str) and t), None)
        if isinstance(tid, str) and tid:
            event["template_id"] = tid[:1024]
    if "subject" not in event and options.subject_var and isinstance(uv.get(options.subject_var), str):
        event["subject"] = uv[options.subject_var]
    atts = message.get("attachments")
    if isinstance(atts, list) and atts:
        meta = []
        for a in atts[:200]:
            if isinstance(a, dict):
                size = a.get("size")
                meta.append({"filename": str(a.get("filename") or ""), "content_type": str(a.get("content-type") or ""),
                             "size": size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else 0})
        if meta:
            event["attachments"] = meta
    out.records.append(EspRecord(PROVIDER, mid, event, raw))
    return out
