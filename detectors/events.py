"""The outbound-mail event of the contract: parsing and validation.

:func:`parse_event` turns raw bytes (or an already decoded mapping) into a
:class:`MailEvent`, or raises :class:`~detectors.errors.EventRejected` with a
reason from :data:`REJECT_REASONS`. It never raises anything else, whatever the
input.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any, Mapping

import orjson

from .errors import EventRejected

__all__ = [
    "Attachment",
    "MailEvent",
    "parse_event",
    "address_key",
    "REJECT_REASONS",
    "DEFAULT_MAX_EVENT_BYTES",
    "DEFAULT_MAX_RECIPIENTS",
]

#: Every reason an event can be rejected for; the ``reason`` label of
#: ``mailflow_events_rejected_total``.
REJECT_REASONS = (
    "invalid_utf8",
    "invalid_json",
    "not_an_object",
    "too_large",
    "missing_field",
    "wrong_type",
    "bad_timestamp",
    "bad_address",
    "bad_value",
    "no_recipients",
    "too_many_recipients",
)

DEFAULT_MAX_EVENT_BYTES = 512 * 1024
DEFAULT_MAX_RECIPIENTS = 1000
_MAX_ADDRESS_LEN = 320
_MAX_ID_LEN = 1024
# 1970-01-01 .. 2100-01-01
_TS_MAX = 4102444800.0


class Attachment:
    """Attachment metadata (never content)."""

    __slots__ = ("filename", "content_type", "size")

    def __init__(self, filename: str = "", content_type: str = "", size: int = 0) -> None:
        self.filename = filename
        self.content_type = content_type
        self.size = size

    @property
    def is_image(self) -> bool:
        ct = self.content_type.lower()
        if ct.startswith("image/"):
            return True
        return self.filename.lower().rsplit(".", 1)[-1] in ("jpg", "jpeg", "png", "heic", "gif", "webp", "tif", "tiff", "bmp")

    def __repr__(self) -> str:
        return f"Attachment(content_type={self.content_type!r}, size={self.size})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Attachment) and (self.filename, self.content_type, self.size) == (
            other.filename,
            other.content_type,
            other.size,
        )

    def __getstate__(self):
        return (self.filename, self.content_type, self.size)

    def __setstate__(self, state):
        self.filename, self.content_type, self.size = state


class MailEvent:
    """One sent message, validated.

    Addresses are lower-cased and de-duplicated; ``ts`` is Unix seconds (float).
    ``sender_kind`` is ``"automated"``, ``"human"`` or ``None`` (to be inferred).
    """

    __slots__ = (
        "event_id",
        "ts",
        "sender",
        "to",
        "cc",
        "bcc",
        "sender_kind",
        "subject",
        "template_id",
        "body",
        "thread_id",
        "in_reply_to",
        "attachments",
    )

    def __init__(
        self,
        event_id: str,
        ts: float,
        sender: str,
        to: tuple[str, ...] = (),
        cc: tuple[str, ...] = (),
        bcc: tuple[str, ...] = (),
        sender_kind: str | None = None,
        subject: str | None = None,
        template_id: str | None = None,
        body: str | None = None,
        thread_id: str | None = None,
        in_reply_to: str | None = None,
        attachments: tuple[Attachment, ...] = (),
    ) -> None:
        self.event_id = event_id
        self.ts = ts
        self.sender = sender
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.sender_kind = sender_kind
        self.subject = subject
        self.template_id = template_id
        self.body = body
        self.thread_id = thread_id
        self.in_reply_to = in_reply_to
        self.attachments = attachments

    @property
    def recipients(self) -> tuple[str, ...]:
        """All distinct recipients, to then cc then bcc."""
        if not self.cc and not self.bcc:
            return self.to
        seen = dict.fromkeys(self.to)
        seen.update(dict.fromkeys(self.cc))
        seen.update(dict.fromkeys(self.bcc))
        return tuple(seen)

    @property
    def visible_recipients(self) -> tuple[str, ...]:
        """Recipients who see each other (to and cc)."""
        if not self.cc:
            return self.to
        seen = dict.fromkeys(self.to)
        seen.update(dict.fromkeys(self.cc))
        return tuple(seen)

    @property
    def sender_domain(self) -> str:
        return self.sender.rpartition("@")[2]

    def __repr__(self) -> str:  # never print addresses, subject or body
        return f"MailEvent(event_id={self.event_id!r}, ts={self.ts!r}, recipients={len(self.recipients)})"

    def __getstate__(self):
        return tuple(getattr(self, s) for s in self.__slots__)

    def __setstate__(self, state):
        for s, v in zip(self.__slots__, state):
            setattr(self, s, v)


_ADDR = re.compile(r"[^\s<>,;\x00@]+@(?:[^\s<>,;\x00@.]+\.)+[^\s<>,;\x00@.]+")


def address_key(value: str) -> str:
    """The canonical form of an address: the key of a sender's Kafka records and of its table row.

    The one address normaliser: :func:`parse_event` gives every address in this form
    and ``mailflow produce`` keys each record by its sender's; co-partitioning (a
    sender's records and its learned state on the same partition) rests on the two
    agreeing. Surrounding space and a display name are dropped and the result is
    lower-cased; it does not check the address (that is :func:`parse_event`'s job).

    >>> address_key(" Care Team <Care@Example.COM> ")
    'care@example.com'
    >>> address_key("care@example.com")
    'care@example.com'
    """
    a = value.strip()
    if a.endswith(">") and "<" in a:  # "Name <addr>"
        a = a[a.rindex("<") + 1 : -1].strip()
    return a.lower()


def _address(value: Any, field: str) -> str:
    if value.__class__ is not str:
        if not isinstance(value, str):
            raise EventRejected("wrong_type", f"{field} must contain strings")
    if _ADDR.fullmatch(value) is None:
        a = address_key(value)
        if _ADDR.fullmatch(a) is None:
            raise EventRejected("bad_address", f"an address in {field} is not of the form local@domain")
    else:
        a = value.lower()  # address_key(value), without the work it would do for nothing
    if len(a) > _MAX_ADDRESS_LEN:
        raise EventRejected("bad_address", f"an address in {field} is longer than {_MAX_ADDRESS_LEN} characters")
    return a


def _address_list(obj: Mapping[str, Any], field: str, budget: int) -> tuple[str, ...]:
    value = obj.get(field)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise EventRejected("wrong_type", f"{field} must be an array of strings")
    if len(value) > budget:
        raise EventRejected("too_many_recipients", "more recipients than the limit")
    if len(value) == 1:
        return (_address(value[0], field),)
    return tuple(dict.fromkeys([_address(v, field) for v in value]))


def _timestamp(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        raise EventRejected("wrong_type", "ts must be a number or an RFC 3339 string")
    if isinstance(value, (int, float)):
        try:
            ts = float(value)
        except (OverflowError, ValueError):
            raise EventRejected("bad_timestamp", "ts is out of range") from None
    elif isinstance(value, str):
        s = value.strip()
        if len(s) < 20 or len(s) > 40 or s[4:5] != "-" or s[10:11] not in ("T", "t", " "):
            raise EventRejected("bad_timestamp", "ts string is not RFC 3339")
        try:
            dt = datetime.fromisoformat(s[:-1] + "+00:00" if s[-1] in "Zz" else s)
        except ValueError:
            raise EventRejected("bad_timestamp", "ts string is not RFC 3339") from None
        if dt.tzinfo is None:
            raise EventRejected("bad_timestamp", "ts string has no UTC offset")
        try:
            ts = dt.timestamp()
        except (OverflowError, ValueError, OSError):
            raise EventRejected("bad_timestamp", "ts is out of range") from None
    else:
        raise EventRejected("wrong_type", "ts must be a number or an RFC 3339 string")
    if not math.isfinite(ts) or ts <= 0 or ts >= _TS_MAX:
        raise EventRejected("bad_timestamp", "ts is outside 1970..2100")
    return ts


def _attachments(obj: Mapping[str, Any]) -> tuple[Attachment, ...]:
    value = obj.get("attachments")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise EventRejected("wrong_type", "attachments must be an array of objects")
    out = []
    for a in value:
        if not isinstance(a, dict):
            raise EventRejected("wrong_type", "attachments must be an array of objects")
        fn = a.get("filename", "")
        ct = a.get("content_type", "")
        size = a.get("size", 0)
        if fn is None:
            fn = ""
        if ct is None:
            ct = ""
        if size is None:
            size = 0
        if not isinstance(fn, str) or not isinstance(ct, str):
            raise EventRejected("wrong_type", "attachment filename and content_type must be strings")
        if isinstance(size, bool) or not isinstance(size, (int, float)) or not math.isfinite(size) or size < 0:
            raise EventRejected("wrong_type", "attachment size must be a non-negative number")
        out.append(Attachment(fn[:_MAX_ID_LEN], ct[:200], int(size)))
    return tuple(out)


def parse_event(
    raw: bytes | bytearray | memoryview | str | Mapping[str, Any],
    *,
    max_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_recipients: int = DEFAULT_MAX_RECIPIENTS,
) -> MailEvent:
    """Validate one contract event.

    Parameters
    ----------
    raw
        The record value (UTF-8 JSON bytes), a JSON string, or a decoded mapping.
    max_bytes
        Events larger than this are rejected with ``too_large``.
    max_recipients
        Events with more recipients (to + cc + bcc) are rejected with
        ``too_many_recipients``.

    Raises
    ------
    EventRejected
        With a reason from :data:`REJECT_REASONS`; the only exception this raises.

    Examples
    --------
    >>> e = parse_event(b'{"event_id": "m1", "ts": "2017-08-24T10:00:00Z", '
    ...                 b'"sender": "Care@Example.com", "to": ["A@x.org"], "extra": 1}')
    >>> e.sender, e.to, e.ts
    ('care@example.com', ('a@x.org',), 1503568800.0)
    >>> parse_event(b'{"event_id": "m2", "ts": 1, "sender": "a@b.c"}')
    Traceback (most recent call last):
    ...
    detectors.errors.EventRejected: no_recipients: no address in to, cc or bcc
    """
    try:
        if raw.__class__ is bytes and len(raw) <= max_bytes:  # the common case, in one step
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError:
                pass  # _parse tells why
            else:
                if obj.__class__ is dict:
                    return _fast_event(obj, max_recipients) or _event_from(obj, max_recipients)
        return _parse(raw, max_bytes, max_recipients)
    except EventRejected:
        raise
    except RecursionError:
        raise EventRejected("invalid_json", "nesting too deep") from None
    except Exception as exc:  # defensive: the contract is "only EventRejected"
        raise EventRejected("bad_value", f"unexpected {type(exc).__name__}") from None


def _parse(raw: Any, max_bytes: int, max_recipients: int) -> MailEvent:
    if isinstance(raw, (bytes, bytearray, memoryview)):
        if len(raw) > max_bytes:
            raise EventRejected("too_large", f"{len(raw)} bytes > limit {max_bytes}")
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            try:
                bytes(raw).decode("utf-8")
            except UnicodeDecodeError:
                raise EventRejected("invalid_utf8", "value is not valid UTF-8") from None
            raise EventRejected("invalid_json", f"not JSON ({str(exc).split(':')[0]})") from None
    elif isinstance(raw, str):
        if len(raw) * 4 > max_bytes and len(raw.encode("utf-8", "surrogatepass")) > max_bytes:
            raise EventRejected("too_large", f"more than {max_bytes} bytes")
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise EventRejected("invalid_json", "not JSON") from None
    else:
        obj = raw
    if obj.__class__ is dict:
        event = _fast_event(obj, max_recipients)
        if event is not None:
            return event
    elif not isinstance(obj, Mapping):
        raise EventRejected("not_an_object", "event must be a JSON object")
    return _event_from(obj, max_recipients)


# raw address -> validated and lower-cased, for the addresses seen last (senders and
# customers write again and again); cleared when full, so bounded
_ADDRESSES: dict[str, str] = {}
_MAX_ADDRESSES_CACHED = 65_536


def _fast_event(obj: dict, max_recipients: int) -> MailEvent | None:
    """The common event (one ``to`` address, no cc, bcc or
    attachments, every field of its plain type) validated in one go; ``None`` for
    anything else, which :func:`_event_from` then validates in full. Gives exactly
    what :func:`_event_from` gives (tests/detectors/test_events.py checks it)."""
    get = obj.get
    event_id, ts, sender, to = get("event_id"), get("ts"), get("sender"), get("to")
    if (
        event_id.__class__ is not str
        or not event_id
        or len(event_id) > _MAX_ID_LEN
        or event_id.isspace()
        or to.__class__ is not list
        or len(to) != 1
        or max_recipients < 1
        or sender.__class__ is not str
        or get("cc") is not None
        or get("bcc") is not None
        or get("attachments") is not None
    ):
        return None
    if ts.__class__ is float or ts.__class__ is int:
        if not 0 < ts < _TS_MAX:
            return None
        ts = float(ts)
    elif ts.__class__ is str:
        try:
            ts = _timestamp(ts)
        except EventRejected:
            return None
    else:
        return None
    addresses = _ADDRESSES
    addr = addresses.get(sender)
    if addr is None:
        if _ADDR.fullmatch(sender) is None or len(sender) > _MAX_ADDRESS_LEN:
            return None
        if len(addresses) >= _MAX_ADDRESSES_CACHED:
            addresses.clear()
        addr = addresses[sender] = sender.lower()
    r = to[0]
    if r.__class__ is not str:
        return None
    rcpt = addresses.get(r)
    if rcpt is None:
        if len(r) > _MAX_ADDRESS_LEN or _ADDR.fullmatch(r) is None:
            return None
        if len(addresses) >= _MAX_ADDRESSES_CACHED:
            addresses.clear()
        rcpt = addresses[r] = r.lower()
    kind, subject, template_id, body = get("sender_kind"), get("subject"), get("template_id"), get("body")
    thread_id, in_reply_to = get("thread_id"), get("in_reply_to")
    if (
        (kind is not None and kind != "automated" and kind != "human")
        or (kind is not None and kind.__class__ is not str)
        or (subject is not None and subject.__class__ is not str)
        or (body is not None and body.__class__ is not str)
        or (template_id is not None and (template_id.__class__ is not str or len(template_id) > _MAX_ID_LEN))
        or (thread_id is not None and (thread_id.__class__ is not str or len(thread_id) > _MAX_ID_LEN))
        or (in_reply_to is not None and (in_reply_to.__class__ is not str or len(in_reply_to) > _MAX_ID_LEN))
    ):
        return None
    return MailEvent(event_id, ts, addr, (rcpt,), (), (), kind, subject, template_id, body, thread_id,
                     in_reply_to, ())


def _event_from(obj: Mapping[str, Any], max_recipients: int) -> MailEvent:
    """Validate a decoded event in full; raise the first problem found."""
    get = obj.get
    event_id, ts_raw, sender_raw = get("event_id"), get("ts"), get("sender")
    if event_id is None or ts_raw is None or sender_raw is None:
        missing = [f for f in ("event_id", "ts", "sender") if get(f) is None]
        raise EventRejected("missing_field", "missing " + ", ".join(missing))
    if event_id.__class__ is not str and not isinstance(event_id, str):
        raise EventRejected("wrong_type", "event_id must be a string")
    if len(event_id) > _MAX_ID_LEN or not event_id.strip():
        raise EventRejected("bad_value", "event_id must be a non-empty string of at most 1024 characters")
    ts = _timestamp(ts_raw)
    sender = _address(sender_raw, "sender")

    to = _address_list(obj, "to", max_recipients)
    cc = _address_list(obj, "cc", max_recipients - len(to)) if get("cc") is not None else ()
    bcc = _address_list(obj, "bcc", max_recipients - len(to) - len(cc)) if get("bcc") is not None else ()
    if not to and not cc and not bcc:
        raise EventRejected("no_recipients", "no address in to, cc or bcc")

    kind = get("sender_kind")
    if kind is not None:
        if not isinstance(kind, str):
            raise EventRejected("wrong_type", "sender_kind must be a string")
        if kind not in ("automated", "human"):
            raise EventRejected("bad_value", "sender_kind must be 'automated' or 'human'")

    subject, template_id, body = get("subject"), get("template_id"), get("body")
    thread_id, in_reply_to = get("thread_id"), get("in_reply_to")
    for name, v, limit in (("subject", subject, None), ("template_id", template_id, _MAX_ID_LEN),
                           ("body", body, None), ("thread_id", thread_id, _MAX_ID_LEN),
                           ("in_reply_to", in_reply_to, _MAX_ID_LEN)):
        if v is not None:
            if v.__class__ is not str and not isinstance(v, str):
                raise EventRejected("wrong_type", f"{name} must be a string")
            if limit is not None and len(v) > limit:
                raise EventRejected("bad_value", f"{name} is longer than {limit} characters")
    return MailEvent(event_id, ts, sender, to, cc, bcc, kind, subject, template_id, body, thread_id,
                     in_reply_to, _attachments(obj) if get("attachments") is not None else ())
