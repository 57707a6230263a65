"""SendGrid Event Webhook -> per-recipient records of ``mailflow tap http`` (pure: no HTTP, no Kafka).

SendGrid POSTs a JSON **array** of events, one per recipient and event type::

    [{"email": "alice@example.com", "timestamp": 1513299569, "event": "processed",
      "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
      "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
      "sg_event_id": "...", "category": ["invoice"], "sg_template_id": "d-...",
      "sender": "billing@shop.example", ...custom args...}, ...]

**Signed Event Webhook**: header ``X-Twilio-Email-Event-Webhook-Signature`` is the base64
DER ECDSA (P-256, SHA-256) signature of ``X-Twilio-Email-Event-Webhook-Timestamp`` + the
raw body, verified with the webhook's *verification key* (base64 DER SubjectPublicKeyInfo,
as the SendGrid settings page shows it, or PEM). A timestamp older than ``max_age`` is
refused (stale).

**Conversion**: SendGrid's events name neither the sender nor the subject: the sender is
the custom arg ``sender_arg`` (``custom_args`` in the Mail Send call) or
``default_sender``, the subject the custom arg ``subject_arg`` when the sending system
sets it. Grouped by the ``X-Message-Id`` of the send request (``sg_message_id`` up to
``.filter``/``.recvd``; ``smtp-id`` when absent), recipients as ``bcc`` (SendGrid does not
say which recipients saw each other); template id from the custom arg ``template_arg``,
``sg_template_id`` or the first ``category``.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import time
from dataclasses import dataclass
from email.message import Message
from typing import Any, Mapping

from .http import ConvertResult, EspRecord, PayloadError, SignatureError, base_event, recipient_list

__all__ = ["SendgridOptions", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "load_public_key", "verify", "parse_payload",
           "convert", "group_key"]

PROVIDER = "sendgrid"
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
_SUFFIX = re.compile(r"\.(?:filter|recvd)")


@dataclass(frozen=True)
class SendgridOptions:
    public_key: Any = None  # an EllipticCurvePublicKey (load_public_key)
    allow_unsigned: bool = False
    event_types: tuple[str, ...] = ("processed", "delivered")
    sender_arg: str = "sender"
    default_sender: str | None = None
    template_arg: str = "template_id"
    subject_arg: str = "subject"
    category_as_template: bool = True
    max_age: float = 600.0


def load_public_key(text: str):
    """The verification key from base64 DER or PEM text; ``ValueError`` when it is neither (or not P-256)."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key

    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = load_pem_public_key(text.encode())
        else:
            key = load_der_public_key(base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error, TypeError):
        raise ValueError("not a base64 DER or PEM public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ValueError("not an ECDSA P-256 public key")
    return key


def _header(headers: Mapping[str, str], name: str) -> str | None:
    v = headers.get(name)
    if v is None:
        low = name.lower()
        v = next((val for k, val in headers.items() if k.lower() == low), None)
    return v


def verify(headers: Mapping[str, str], body: bytes, options: SendgridOptions, now: float | None = None) -> None:
    """Checks the Signed Event Webhook headers over ``body``; raises :class:`SignatureError`."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    sig_text, ts = _header(headers, SIGNATURE_HEADER), _header(headers, TIMESTAMP_HEADER)
    if options.public_key is None:
        if options.allow_unsigned:
            return
        raise SignatureError("unsigned", "no SendGrid verification key configured", status=401)
    if not sig_text or not ts:
        raise SignatureError("unsigned", "signature or timestamp header missing", status=401)
    try:
        sig = base64.b64decode(sig_text, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("bad_signature", "signature is not base64") from None
    try:
        options.public_key.verify(sig, ts.encode() + body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SignatureError("bad_signature", "ECDSA signature does not verify") from None
    now = time.time() if now is None else now
    try:
        age = now - float(ts)
    except ValueError:
        raise SignatureError("bad_signature", "timestamp is not a number") from None
    if options.max_age and (not math.isfinite(age) or abs(age) > options.max_age):
        raise SignatureError("stale", f"timestamp {age:.0f}s away from now (max {options.max_age:.0f}s)")


def parse_payload(body: bytes) -> list[Any]:
    import orjson

    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise PayloadError("invalid_json", "body is not JSON") from None
    if not isinstance(obj, list):
        raise PayloadError("bad_payload", "body is not a JSON array of events")
    return obj


def group_key(item: Mapping[str, Any]) -> str | None:
    """The send request's ``X-Message-Id``: ``sg_message_id`` up to ``.filter``/``.recvd``, else ``smtp-id``."""
    sg = item.get("sg_message_id")
    if isinstance(sg, str) and sg.strip():
        return _SUFFIX.split(sg.strip(), 1)[0]
    smtp = item.get("smtp-id")
    if isinstance(smtp, str) and smtp.strip("<> "):
        return smtp.strip().strip("<>")
    return None


def convert(items: list[Any], options: SendgridOptions, mime_options) -> ConvertResult:
    """The records of a (verified) webhook batch; malformed items are dead-lettered alone."""
    import orjson

    out = ConvertResult()
    for item in items:
        if not isinstance(item, dict):
            out.dead.append((orjson.dumps(item), "bad_payload", "batch item is not an object"))
            continue
        if item.get("event") not in options.event_types:
            out.ignored += 1
            continue
        raw = orjson.dumps(item)
        key = group_key(item)
        if key is None:
            out.dead.append((raw, "bad_payload", "event without sg_message_id and smtp-id"))
            continue
        sender = item.get(options.sender_arg) if options.sender_arg else None
        if not isinstance(sender, str) or not sender.strip():
            sender = options.default_sender
        m = Message()
        if sender:
            m["From"] = sender
        try:
            event = base_event(m, None, key, item.get("timestamp"), recipient_list([item.get("email")]), mime_options)
        except PayloadError as exc:
            out.dead.append((raw, exc.reason, exc.detail))
            continue
        if event is None:
            out.not_outbound += 1
            continue
        subject = item.get(options.subject_arg) if options.subject_arg else None
        if isinstance(subject, str):
            event["subject"] = subject
        tid = item.get(options.template_arg) if options.template_arg else None
        if not (isinstance(tid, str) and tid):
            tid = item.get("sg_template_id")
        if not (isinstance(tid, str) and tid) and options.category_as_template:
            cat = item.get("category")
            tid = cat if isinstance(cat, str) else next((c for c in cat if isinstance(c, str) and c), None) \
                if isinstance(cat, list) else None
        if isinstance(tid, str) and tid:
            event["template_id"] = tid[:1024]
        kind = item.get("sender_kind")
        if kind in ("automated", "human"):
            event["sender_kind"] = kind
        out.records.append(EspRecord(PROVIDER, key, event, raw))
    return out
