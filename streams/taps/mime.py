"""A journalled message (RFC 5322 bytes + SMTP envelope) -> one contract event (CONTRACT §1).

Pure and synchronous: no SMTP, no Kafka, so it is unit-testable on bytes
(``tests/taps/test_mime.py``). :func:`message_to_event` parses with the standard
library ``email`` package (``policy=email.policy.default``: every header is read as it
reads it, with its leniency; its header objects are built only for the values that need
its RFC 5322 parser, see ``_FastMessage``) and returns the event as
a JSON-ready dict, or raises :class:`MalformedMessage` with a reason from
:data:`TAP_REJECT_REASONS` (the tap then writes the message to the dead-letter topic).

What it takes from the message:

============== =============================================================
``event_id``    ``Message-ID`` (angle brackets removed); if missing or empty:
                ``sha256:`` + the first 32 hex digits of the SHA-256 of the message bytes
``ts``          ``Date`` (Unix seconds); the arrival time when ``Date`` is missing,
                unparsable or outside 1970..2100
``sender``      the first ``From`` address; ``Sender`` when ``From`` has none (or
                several, RFC 5322 §3.6.2); the envelope ``MAIL FROM`` as last resort
``to``, ``cc``  ``To`` / ``Cc`` addresses
``bcc``         ``Bcc`` header addresses, plus every *envelope* recipient (decoded
                from the journal envelope, see :func:`journal_recipients`) that is in
                neither ``To`` nor ``Cc``
``subject``     ``Subject``
``body``        a prefix (``body_chars``) of the first ``text/plain`` part, or of the
                first ``text/html`` part stripped to text
``in_reply_to`` / ``thread_id``: ``In-Reply-To``; the first id of ``References``
``attachments`` ``{filename, content_type, size}`` per attachment (size = decoded
                bytes, computed from the encoded length: content is never decoded)
``template_id`` the value of ``template_header`` (default ``X-Template-Id``)
``sender_kind`` ``"automated"`` when an :class:`HeaderRule` matches; absent otherwise
                (the project infers it)
============== =============================================================

Only what is needed is parsed and decoded: a message over 1 MiB is parsed through its
:func:`skeleton` (every MIME body cut to 256 KiB at a line end, the cut part's decoded size
noted in a header), attachments are never decoded (their size comes from the encoded
length), and the body part only up to the prefix (base64 and quoted-printable are decoded
on a bounded prefix of the encoded text). A 25 MB message so costs the parser a few
hundred KiB, not a few copies of itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html.parser
import math
import quopri
import re
import time
from dataclasses import dataclass
from email import _encoded_words as _ew  # policy.default's RFC 2047 decoder
from email import headerregistry as _hr
from email import policy as _policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import format_datetime as _format_datetime
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any, Iterable, Sequence

__all__ = [
    "TAP_REJECT_REASONS",
    "MalformedMessage",
    "HeaderRule",
    "DEFAULT_AUTOMATED_RULES",
    "MimeOptions",
    "message_to_event",
    "journal_recipients",
    "JOURNAL_REPORT_HEADER",
    "parse_rule",
    "html_to_text",
    "skeleton",
    "digest_id",
]

#: Why the tap dead-letters a message (the ``reason`` of its dead letter and of
#: ``mailflow_tap_dead_letters_total``); a small fixed set.
TAP_REJECT_REASONS = (
    "unparsable",      # no header block the email package can read
    "no_sender",       # neither From, Sender nor a non-null envelope sender
    "bad_address",     # the sender is not of the form local@domain
    "no_recipients",   # no address in To, Cc, Bcc or the journal envelope
    "bad_journal_report",  # an Exchange/Microsoft 365 journal report without the original message attached
    "invalid_event",   # the event built from it is refused by detectors.events.parse_event
    "internal_error",  # the tap failed on it (a bug): kept in the DLQ, not retried by the MTA forever
)

_TS_MAX = 4102444800.0  # 2100-01-01, as detectors.events
_MAX_ID = 1024
_MAX_ATTACHMENTS = 200
_MAX_RECIPIENTS = 1000
_ADDR = re.compile(r"[^\s<>,;\x00@]+@(?:[^\s<>,;\x00@.]+\.)+[^\s<>,;\x00@.]+")
_ANGLE_ID = re.compile(r"<([^<>\s]+)>")


class MalformedMessage(Exception):
    """The message cannot become a contract event; ``reason`` is from :data:`TAP_REJECT_REASONS`.

    ``detail`` never holds addresses, subjects or bodies.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        assert reason in TAP_REJECT_REASONS, reason
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# ----------------------------------------------------------------------------- rules
@dataclass(frozen=True)
class HeaderRule:
    """``sender_kind = "automated"`` when header ``name`` is present and its value
    (case-insensitive, stripped; parameters after ``;`` ignored) is in ``values``
    (any value when ``values`` is empty), or -- with ``negate`` -- not in ``values``.

    Written ``Name`` (present), ``Name=v1|v2`` (value in set) or ``Name!=v1|v2``
    (present and value not in set); see :func:`parse_rule`.
    """

    name: str
    values: tuple[str, ...] = ()
    negate: bool = False

    def matches(self, msg: Message) -> bool:
        raw = msg.get_all(self.name)
        if not raw:
            return False
        for v in raw:
            value = str(v).split(";", 1)[0].strip().lower()
            if not self.values:
                return True
            if (value in self.values) != self.negate:
                return True
        return False

    def __str__(self) -> str:
        if not self.values:
            return self.name
        return f"{self.name}{'!=' if self.negate else '='}{'|'.join(self.values)}"


_RULE_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9-]*)\s*(?:(!?=)\s*(.*?))?\s*$")


def parse_rule(text: str) -> HeaderRule:
    """``"Precedence=bulk|list"`` -> :class:`HeaderRule`; raises ``ValueError``.

    >>> str(parse_rule("Auto-Submitted != no"))
    'Auto-Submitted!=no'
    >>> parse_rule("List-Unsubscribe")
    HeaderRule(name='List-Unsubscribe', values=(), negate=False)
    """
    m = _RULE_RE.match(text or "")
    if not m:
        raise ValueError(f"{text!r} is not a header rule (Name, Name=v1|v2 or Name!=v1|v2)")
    name, op, vals = m.group(1), m.group(2), m.group(3)
    values = tuple(v.strip().lower() for v in (vals or "").split("|") if v.strip()) if op else ()
    if op and not values:
        raise ValueError(f"{text!r}: no value after {op}")
    return HeaderRule(name, values, op == "!=")


#: RFC 3834 ``Auto-Submitted`` (anything but ``no``), ``Precedence: bulk/list/junk``,
#: RFC 2369/8058 ``List-Unsubscribe``, and the ``X-Auto-Response-Suppress`` Exchange sets.
DEFAULT_AUTOMATED_RULES: tuple[HeaderRule, ...] = (
    HeaderRule("Auto-Submitted", ("no",), negate=True),
    HeaderRule("Precedence", ("bulk", "list", "junk")),
    HeaderRule("List-Unsubscribe"),
    HeaderRule("X-Auto-Response-Suppress"),
)


@dataclass(frozen=True)
class MimeOptions:
    """How a message becomes an event (the ``mailflow tap smtp`` flags)."""

    body_chars: int = 4000              # prefix of the plain-text body kept (0: no body)
    template_header: str = "X-Template-Id"
    automated_rules: tuple[HeaderRule, ...] = DEFAULT_AUTOMATED_RULES
    #: the journal mailbox: envelope recipients ``journal@...`` are the journal itself,
    #: ``journal+LOCAL=DOMAIN@...`` carry an original recipient (see journal_recipients)
    journal_local: str = "journal"
    internal_domains: tuple[str, ...] = ()
    #: encoded characters of the body part read at most (bounds decoding work)
    max_body_scan: int = 256 * 1024


# ------------------------------------------------------------------------- addresses
def _clean_address(value: str) -> str | None:
    a = (value or "").strip().strip("<>").strip()
    if not _no_surrogates(a):
        # raw 8-bit bytes in the header (an internationalised address, RFC 6532): the compat32
        # parse keeps them surrogate-escaped; UTF-8 is read as such, anything else is no address
        try:
            a = a.encode("utf-8", "surrogateescape").decode("utf-8")
        except UnicodeError:
            return None
    if not a or len(a) > 320 or _ADDR.fullmatch(a) is None:
        return None
    return a.lower()


def _header_addresses(msg: Message, name: str) -> list[str]:
    try:
        values = msg.get_all(name) or []
    except Exception:  # noqa: BLE001
        # policy.default's address parser raises (IndexError, ValueError, AttributeError) on a
        # few malformed shapes: "ann@", an encoded display name that decodes to CR/LF, a display
        # name that starts with a dot. Such a header is read by the lenient classic parser (what
        # it gives that is not local@domain is dropped below), so the message is an event or a
        # bad_address dead letter, never the tap's internal_error.
        lname = name.lower()
        values = [v for k, v in msg.raw_items() if k.lower() == lname]
    out: list[str] = []
    for v in values:
        addrs = getattr(v, "addresses", None)
        if addrs is not None:  # policy.default's AddressHeader
            try:
                specs = [a.addr_spec for a in addrs]
            except Exception:  # pragma: no cover - defensive: odd header objects
                specs = []
        else:
            specs = [a for _, a in getaddresses([str(v)])]
        if not specs:  # policy.default gave up on a malformed header: the classic parser is lenient
            specs = [a for _, a in getaddresses([str(v)])]
        for s in specs:
            c = _clean_address(s)
            if c is not None:
                out.append(c)
    return out


def journal_recipients(rcpt_tos: Sequence[str], journal_local: str = "journal") -> list[str]:
    """The original recipients carried by a journal envelope.

    * ``journal@anything`` (Postfix ``always_bcc``/``sender_bcc_maps``): the journal
      mailbox itself, no recipient;
    * ``journal+LOCAL=DOMAIN@anything`` (Postfix ``recipient_bcc_maps`` with the
      regexp of docs/connect-your-mail.md, one per original recipient): ``LOCAL@DOMAIN``;
    * any other address (an MTA that journals with the original envelope, e.g. an Exim
      ``unseen`` router keeping the recipients): that recipient.

    >>> journal_recipients(["journal@tap.invalid", "journal+ann.lee=example.org@tap.invalid", "Bob@x.org"])
    ['ann.lee@example.org', 'bob@x.org']
    >>> journal_recipients(["journal+a+tag=b.com@t.invalid"])
    ['a+tag@b.com']
    """
    out: list[str] = []
    base = journal_local.lower()
    for r in rcpt_tos:
        addr = (r or "").strip().strip("<>")
        local, at, _domain = addr.rpartition("@")
        if not at:
            continue
        ll = local.lower()
        if ll == base:
            continue
        if ll.startswith(base + "+"):
            inner = local[len(base) + 1 :]
            orig_local, eq, orig_domain = inner.rpartition("=")
            if not eq:
                continue
            c = _clean_address(f"{orig_local}@{orig_domain}")
        else:
            c = _clean_address(addr)
        if c is not None:
            out.append(c)
    return out


# ------------------------------------------------------------------------------ text
class _HTMLText(html.parser.HTMLParser):
    _SKIP = {"script", "style", "head", "title"}
    _BREAK = {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote"}

    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BREAK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self._SKIP and self._skip:
            self._skip -= 1
        elif tag in self._BREAK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip and self.size < self.limit:
            self.parts.append(data)
            self.size += len(data)


def html_to_text(markup: str, limit: int = 1 << 20) -> str:
    """Visible text of an HTML fragment, whitespace collapsed (scripts, styles dropped).

    >>> html_to_text("<html><style>p{}</style><p>Dear&nbsp;customer,</p><p>please <b>confirm</b></p>")
    'Dear customer,\\nplease confirm'
    """
    p = _HTMLText(limit)
    try:
        p.feed(markup)
        p.close()
    except Exception:  # pragma: no cover - HTMLParser is lenient; be safe
        pass
    text = "".join(p.parts).replace("\xa0", " ")
    lines = [re.sub(r"[ \t\r\f\v]+", " ", ln).strip() for ln in text.split("\n")]
    return "\n".join(ln for ln in lines if ln)


def _part_info(part: Message) -> tuple[str, str, str, str | None, str | None, str | None, str]:
    """(content type, maintype, subtype, disposition, filename, charset, transfer encoding) of a
    part, reading each header once (policy.default parses a header again on every access)."""
    try:
        cth = part.get("Content-Type")
    except Exception:
        cth = None
    if cth is None:  # as Message.get_content_type: the default type (message/rfc822 in a digest)
        ctype = part.get_default_type()
    else:
        ctype = getattr(cth, "content_type", None) or "text/plain"
        if ctype.count("/") != 1:
            ctype = "text/plain"
    params: Any = getattr(cth, "params", None) or {}
    ctype = ctype.lower()
    maintype, _, sub = ctype.partition("/")
    try:
        cdh = part.get("Content-Disposition")
    except Exception:
        cdh = None
    disposition = getattr(cdh, "content_disposition", None) if cdh is not None else None
    filename = None
    if cdh is not None:
        filename = (getattr(cdh, "params", None) or {}).get("filename")
    if filename is None:
        filename = params.get("name")
    if filename is not None:
        filename = str(filename).strip()
    charset = params.get("charset")
    try:
        cte = str(part.get("Content-Transfer-Encoding", "") or "").strip().lower()
    except Exception:
        cte = ""
    return ctype, maintype, sub, (disposition.lower() if disposition else None), filename, \
        (str(charset).lower() if charset else None), cte


def _part_text(part: Message, chars: int, max_scan: int) -> str:
    """Up to ``chars`` characters of a text part, decoding only a bounded prefix."""
    payload = part.get_payload(decode=False)
    if not isinstance(payload, str):
        return ""
    _, _, sub, _, _, charset, cte = _part_info(part)
    is_html = sub == "html"
    # encoded characters to read: enough for `chars` decoded characters (UTF-8 up to 4 bytes
    # each, base64 4/3, quoted-printable 3x), bounded by max_scan; HTML needs more (markup)
    want = min(len(payload), max(max_scan, 0) if is_html else min(max_scan, chars * 16 + 1024))
    enc = payload[:want]
    if cte == "base64":
        data = re.sub(r"[^A-Za-z0-9+/]", "", enc)
        data = data[: len(data) - len(data) % 4]
        try:
            raw = base64.b64decode(data)
        except (binascii.Error, ValueError):
            raw = b""
    elif cte == "quoted-printable":
        if want < len(payload):  # do not cut an escape in half
            cut = enc.rfind("\n")
            enc = enc[: cut + 1] if cut > 0 else enc
        raw = quopri.decodestring(enc.encode("ascii", "surrogateescape"))
    else:
        try:
            raw = enc.encode("ascii", "surrogateescape")
        except UnicodeEncodeError:  # an 8bit body the email package already decoded to text
            raw = None
    if raw is None:
        text = enc
    else:
        try:
            text = raw.decode(charset or "utf-8", "replace")
        except LookupError:
            text = raw.decode("utf-8", "replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if is_html:
        text = html_to_text(text, limit=chars * 2 + 64)
    return text.strip()[:chars]


def _decoded_size(part: Message, cte: str | None = None) -> int:
    """Decoded bytes of a leaf part, from its encoded text (never decoded here)."""
    cut = part.get(_SIZE_HEADER)
    if cut is not None:
        try:
            return int(str(cut))
        except ValueError:  # pragma: no cover - we wrote it
            pass
    payload = part.get_payload(decode=False)
    if isinstance(payload, list):  # message/rfc822 and the like: its serialised size
        return sum(_decoded_size(p) if isinstance(p, Message) else 0 for p in payload)
    if not isinstance(payload, str):
        return 0
    if cte is None:
        cte = str(part.get("Content-Transfer-Encoding", "") or "").strip().lower()
    if cte == "base64":
        n = len(payload) - payload.count("\n") - payload.count("\r") - payload.count(" ") - payload.count("\t")
        tail = payload.rstrip()[-2:]
        pad = tail.count("=")
        return max(0, n * 3 // 4 - pad)
    if cte == "quoted-printable":
        # each "=XX" is one byte, each soft break "=\n" none: a good estimate without decoding
        soft = payload.count("=\n") + payload.count("=\r\n")
        escapes = payload.count("=") - soft
        return max(0, len(payload) - payload.count("\r") - 2 * escapes - 2 * soft)
    return len(payload) - payload.count("\r")


# -------------------------------------------------------------------------- skeleton
#: a header the skeleton adds to each part it cut, with the part's decoded size; the name
#: carries a per-process token, so a header in the mail itself is never taken for it
_SIZE_HEADER = "X-Mailflow-Tap-Size-" + hashlib.sha256(repr((time.time(), id(object()))).encode()).hexdigest()[:12]
#: messages up to this size are parsed as they are; larger ones through their skeleton
SKELETON_THRESHOLD = 1024 * 1024
#: bytes of each part's body a skeleton keeps
SKELETON_KEEP = 256 * 1024


def _header_end(data: bytes, pos: int) -> int:
    """Index just after the blank line that ends the header block at ``pos`` (``len(data)`` if none)."""
    n = len(data)
    if data.startswith(b"\r\n", pos) or data.startswith(b"\n", pos):
        return pos + (2 if data.startswith(b"\r\n", pos) else 1)
    candidates = [i for i in (data.find(b"\n\r\n", pos), data.find(b"\n\n", pos)) if i >= 0]
    if not candidates:
        return n
    i = min(candidates)
    return i + (3 if data.startswith(b"\n\r\n", i) else 2)


def _next_boundary(data: bytes, pos: int, bounds: list[bytes]) -> tuple[int, int, bool, bytes | None]:
    """(start, end, closing, boundary) of the next line at or after ``pos`` that is a delimiter of
    an open multipart (``--b`` or ``--b--``); ``(len, len, False, None)`` when there is none."""
    n = len(data)
    if not bounds:
        return n, n, False, None
    j = pos if data.startswith(b"--", pos) else -1
    search = pos
    while True:
        if j < 0:
            k = data.find(b"\n--", search)
            if k < 0:
                return n, n, False, None
            j = k + 1
        e = data.find(b"\n", j)
        le = n if e < 0 else e + 1
        line = data[j : min(le, j + 1000)].rstrip(b"\r\n \t")
        for b in reversed(bounds):
            if line == b:
                return j, le, False, b
            if line == b + b"--":
                return j, le, True, b
        search, j = j + 2, -1


def _bytes_decoded_size(data: bytes, s: int, e: int, cte: str) -> int:
    """Decoded size of ``data[s:e]`` (a part body in transfer encoding ``cte``), without copying it."""
    ws = data.count(b"\n", s, e) + data.count(b"\r", s, e)
    if cte == "base64":
        nonws = (e - s) - ws - data.count(b" ", s, e) - data.count(b"\t", s, e)
        return max(0, nonws * 3 // 4 - data.count(b"=", max(s, e - 8), e))
    if cte == "quoted-printable":
        soft = data.count(b"=\n", s, e) + data.count(b"=\r\n", s, e)
        escapes = data.count(b"=", s, e) - soft
        return max(0, (e - s) - data.count(b"\r", s, e) - 2 * escapes - 2 * soft)
    return max(0, (e - s) - data.count(b"\r", s, e))


def skeleton(data: bytes, keep: int = SKELETON_KEEP, threshold: int = SKELETON_THRESHOLD) -> bytes:
    """The message with every MIME part's body cut to ``keep`` bytes (at a line end) and the
    cut part's decoded size in a header: what the parser needs, at a bounded cost.

    Headers, the MIME structure and each body's first ``keep`` bytes stay byte for byte, so
    the email package parses the skeleton into the same tree (with shorter payloads).
    Messages up to ``threshold`` bytes are returned as they are.
    """
    n = len(data)
    if n <= threshold:
        return data
    from email.parser import BytesHeaderParser
    from email.policy import compat32

    out = bytearray()
    bounds: list[bytes] = []
    pos = 0
    headers_next = True
    while pos < n:
        cte = ""
        header = b""
        if headers_next:
            hend = _header_end(data, pos)
            header = data[pos:hend]
            pos = hend
            try:
                h = BytesHeaderParser(policy=compat32).parsebytes(header)
                if h.get_content_maintype() == "multipart":
                    b = h.get_param("boundary")
                    if isinstance(b, tuple):  # RFC 2231
                        b = b[2]
                    if b:
                        bounds.append(b"--" + str(b).strip().encode("utf-8", "surrogateescape"))
                cte = str(h.get("Content-Transfer-Encoding", "") or "").strip().lower()
            except Exception:  # pragma: no cover - a broken part header: keep it, parse on
                pass
        bstart = pos
        bend, lend, closing, which = _next_boundary(data, pos, bounds)
        size = bend - bstart
        if size > keep:
            cut = data.rfind(b"\n", bstart, bstart + keep) + 1 or bstart + keep
            if headers_next:
                # the line break before a delimiter belongs to the delimiter (RFC 2046 5.1.1)
                end = bend
                if which is not None and end > bstart and data[end - 1 : end] == b"\n":
                    end -= 2 if data[end - 2 : end] == b"\r\n" else 1
                dsize = _bytes_decoded_size(data, bstart, end, cte)
                if header.endswith(b"\r\n\r\n"):
                    head, sep = header[:-2], b"\r\n"
                elif header.endswith(b"\n\n"):
                    head, sep = header[:-1], b"\n"
                else:
                    head, sep = header + b"\r\n", b"\r\n"
                out += head + f"{_SIZE_HEADER}: {dsize}".encode() + sep + sep
            out += data[bstart:cut]
            if which is not None and not out.endswith(b"\n"):
                out += b"\r\n"
        else:
            out += header + data[bstart:bend]
        if which is None:
            break
        out += data[bend:lend]
        pos = lend
        idx = bounds.index(which)
        if closing:
            del bounds[idx:]
            headers_next = False  # the epilogue, then the parent's next delimiter
        else:
            del bounds[idx + 1 :]
            headers_next = True
    return bytes(out)


# ------------------------------------------------------------------------------ walk
def _walk(msg: Message, body_chars: int, max_scan: int) -> tuple[str | None, list[dict[str, Any]]]:
    """(body prefix, attachments) of a message: the first text/plain part (else the first
    text/html, stripped) is the body; every other leaf that has a filename, is marked
    ``attachment`` or is not text is an attachment; message/rfc822 counts as one."""
    plain: Message | None = None
    html_part: Message | None = None
    atts: list[dict[str, Any]] = []
    stack: list[Message] = [msg]
    while stack:
        part = stack.pop(0)
        try:
            ctype, maintype, sub, disposition, filename, _charset, cte = _part_info(part)
        except Exception:  # pragma: no cover - defensive: a header the registry cannot build
            ctype, maintype, sub, disposition, filename, cte = "application/octet-stream", "application", \
                "octet-stream", None, None, ""
        if maintype == "multipart" and part.is_multipart():
            subs = part.get_payload()
            stack[0:0] = [p for p in subs if isinstance(p, Message)]
            continue
        if disposition == "attachment" or filename is not None:
            is_attachment = True
        elif maintype == "text" and sub in ("plain", "html"):
            if sub == "plain" and plain is None:
                plain = part
            elif sub == "html" and html_part is None:
                html_part = part
            continue  # body text (or a further inline text part): not an attachment
        else:
            is_attachment = True  # images without a name, text/calendar, application/* ...
        if is_attachment and len(atts) < _MAX_ATTACHMENTS:
            atts.append({
                "filename": (filename or "")[:_MAX_ID],
                "content_type": ctype[:200],
                "size": _decoded_size(part, cte),
            })
    body: str | None = None
    if body_chars > 0:
        chosen = plain if plain is not None else html_part
        if chosen is not None:
            body = _part_text(chosen, body_chars, max_scan)
    return body, atts


# ------------------------------------------------------------------------------ main
def _first_id(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    m = _ANGLE_ID.search(text)
    ident = m.group(1) if m else text.split()[0]
    return ident[:_MAX_ID] or None


def _header_str(msg: Message, name: str) -> str | None:
    try:
        v = msg.get(name)
    except Exception:
        return None
    if v is None:
        return None
    s = str(v).strip()
    return s or None


def _timestamp(msg: Message, arrival: float) -> float:
    try:
        v = msg.get("Date")
    except Exception:
        v = None
    if v is None:
        return arrival
    dt = getattr(v, "datetime", None)
    if dt is None:
        try:
            dt = parsedate_to_datetime(str(v))
        except (TypeError, ValueError, IndexError):
            return arrival
    try:
        if dt.tzinfo is None:  # "-0000": UTC, origin unknown (RFC 5322 §3.3)
            from datetime import timezone

            dt = dt.replace(tzinfo=timezone.utc)
        ts = dt.timestamp()
    except (OverflowError, ValueError, OSError):
        return arrival
    if not math.isfinite(ts) or not 0 < ts < _TS_MAX:
        return arrival
    return ts


def digest_id(data: bytes) -> str:
    """The stable event id of a message without Message-ID.

    >>> digest_id(b"x")
    'sha256:2d711642b726b04401627ca9fbac32f5'
    """
    return "sha256:" + hashlib.sha256(data).hexdigest()[:32]


# ------------------------------------------------------------------- fast header access
# policy.default builds a header object (through its header registry and the RFC 5322
# parser of email._header_value_parser) on every msg.get(); that is most of the CPU a
# message costs. The messages the tap parses itself are parsed with compat32 into
# _FastMessage, whose get()/get_all() give what policy.default's would -- the same
# str(), and the attributes this module and email.message use (addresses, datetime,
# content_type, params, content_disposition) -- computed directly for the plain values
# nearly every header has, and by policy.default's own header_fetch_parse for any other
# value (encoded words in odd places, comments, quoted pairs, 8-bit bytes, RFC 2231
# parameters, malformed syntax ...), so that the lenient behaviour, the decoded text and
# even the exceptions are those of policy.default. The parser itself reads
# Content-Type/-Transfer-Encoding through get(), so the MIME tree is the same too.
_DEFAULT = _policy.default
_REGISTRY = _DEFAULT.header_factory
_pd_fetch = _DEFAULT.header_fetch_parse  # (name, stored value) -> policy.default's header object

_KINDS: dict[str, str] = {}


def _kind(name: str) -> str:
    """The header class policy.default uses for ``name``, as a short tag."""
    lname = name.lower()
    kind = _KINDS.get(lname)
    if kind is None:
        cls = _REGISTRY.registry.get(lname, _REGISTRY.default_class)
        if issubclass(cls, _hr.UnstructuredHeader):
            kind = "u"
        elif issubclass(cls, _hr.AddressHeader):
            kind = "addr"
        elif issubclass(cls, _hr.DateHeader):
            kind = "date"
        elif cls is _hr.ContentTypeHeader:
            kind = "ct"
        elif cls is _hr.ContentDispositionHeader:
            kind = "cd"
        elif cls is _hr.ContentTransferEncodingHeader:
            kind = "cte"
        elif cls is _hr.MessageIDHeader:
            kind = "id"
        else:
            kind = "other"
        if len(_KINDS) < 4096:
            _KINDS[lname] = kind
    return kind


def _unfold(value: str) -> str:
    """As policy.default's header_fetch_parse: every CR and LF removed."""
    if "\n" in value or "\r" in value:
        return value.replace("\r", "").replace("\n", "")
    return value


def _sanitize(text: str) -> str:
    """As email.utils._sanitize: surrogate-escaped bytes decoded as UTF-8 (else U+FFFD)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _no_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# RFC 2047 encoded words in unstructured text: only the shape whose parse by policy.default
# is plain (every whitespace-delimited word either holds no "=?" or is exactly one encoded word)
_PRINTABLE = re.compile(r"[\t\x20-\x7e]*")
_WSP_SPLIT = re.compile(r"([ \t]+)")
_EW_WORD = re.compile(r"=\?[^?\s*]+\?[bBqQ]\?(?!=(?![0-9A-Fa-f]{2}))[^?\s]*\?=")


def _ew_text(u: str) -> str | None:
    """policy.default's text of the unfolded unstructured value ``u`` with encoded words
    (email._header_value_parser.get_unstructured), or None for a shape it parses otherwise."""
    if _PRINTABLE.fullmatch(u) is None:
        return None
    out: list[str] = []
    last = before_ws = ""
    for i, piece in enumerate(_WSP_SPLIT.split(u)):
        if i % 2:
            out.append(piece)
            before_ws, last = last, "ws"
            continue
        if not piece:
            continue
        if "=?" in piece:
            if _EW_WORD.fullmatch(piece) is None:
                return None
            try:
                text = _ew.decode(piece)[0]
            except (ValueError, KeyError):  # policy.default then keeps the word as it is
                pass
            else:
                if last == "ws" and before_ws == "ew":  # whitespace between encoded words goes
                    out[-1] = ""
                out.append(text)
                last = "ew"
                continue
        out.append(piece)
        last = "vt"
    text = "".join(out)
    return text if _no_surrogates(text) else None


# addresses: a list of plain mailboxes -- a dot-atom addr-spec, bare or in angle brackets after
# a display name of atoms and quoted strings (no quoted pairs) with whitespace or dots between
# them (a name that starts or ends with a dot makes policy.default's parser raise: not plain).
# No possessive quantifiers around capturing groups (3.11's re can fail on them with a
# SystemError); the words are atomic, so no input backtracks more than linearly.
_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
_DOT_ATOM = rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*"
_QTEXT = r"[\x20\x21\x23-\x5b\x5d-\x7e]"
_WORD = rf'(?>[{_ATEXT}]+|"{_QTEXT}*")'
_MAILBOX = re.compile(
    rf"[ \t]*(?:({_DOT_ATOM}@{_DOT_ATOM})|(?:{_WORD}(?:[ \t]*(?:\.[ \t]*)*{_WORD})*[ \t]*)?"
    rf"<({_DOT_ATOM}@{_DOT_ATOM})>)[ \t]*(?:(,)|\Z)")
_BLANK = re.compile(r"[ \t]*")


def _plain_addr_specs(value: str) -> list[str] | None:
    """The addr-specs of a plain address list (what policy.default's ``addresses`` give),
    or None when the value is not one."""
    if "=?" in value or not value.isascii():
        return None
    u = _unfold(value)
    if _BLANK.fullmatch(u):
        return []
    specs: list[str] = []
    pos = 0
    while True:
        m = _MAILBOX.match(u, pos)
        if m is None:
            return None
        specs.append(m.group(1) or m.group(2))
        if m.group(3) is None:
            return specs
        pos = m.end()


# MIME headers: a token (type/subtype), then parameters ``; name=token`` or ``; name="text"``
_WS = r"[ \t\r\n]*"
_TOKEN = r"[A-Za-z0-9!#$%&'*+.^_`{|}~-]+"
_ATTR = r"[A-Za-z0-9!#$&+.^_`{|}~-]+"
_PARAM_RE = re.compile(rf";{_WS}({_ATTR}){_WS}={_WS}(?:({_ATTR})|\"({_QTEXT}*)\"){_WS}")
_PARAMS = rf"((?:;{_WS}{_ATTR}{_WS}={_WS}(?:{_ATTR}|\"{_QTEXT}*\"){_WS})*)(?:;{_WS})?"
_CT_RE = re.compile(rf"{_WS}({_TOKEN})/({_TOKEN}){_WS}{_PARAMS}")
_CD_RE = re.compile(rf"{_WS}({_TOKEN}){_WS}{_PARAMS}")
_CTE_RE = re.compile(rf"{_WS}(?:{_TOKEN})?{_WS}")
_MSGID_RE = re.compile(rf"{_WS}<{_DOT_ATOM}@{_DOT_ATOM}>{_WS}")


def _plain_params(text: str) -> list[tuple[str, str]] | None:
    """The parameters (name as written, value) of plain syntax; None on a repeated name (which
    policy.default resolves its own way)."""
    params: list[tuple[str, str]] = []
    seen = set()
    for m in _PARAM_RE.finditer(text):
        name = m.group(1)
        if name.lower() in seen:
            return None
        seen.add(name.lower())
        v = m.group(2)
        params.append((name, v if v is not None else m.group(3)))
    return params


def _mime_value(value: str, params: list[tuple[str, str]]) -> "_MimeValue":
    """policy.default's text of a plain Content-Type/-Disposition: as written up to the first
    ``;``, then each parameter as ``name="value"`` (MimeParameters.__str__)."""
    u = _unfold(value)
    i = u.find(";")
    if i >= 0:
        u = u[: i + 1]
        if params:
            u += " " + "; ".join(f'{n}="{v}"' if v else n for n, v in params)
    v = _MimeValue(u)
    v.params = {n.lower(): val for n, val in params}
    return v


class _Spec:
    __slots__ = ("addr_spec",)

    def __init__(self, addr_spec: str) -> None:
        self.addr_spec = addr_spec


class _AddressValue:
    """policy.default's AddressHeader of a plain address list: ``addresses`` (their
    ``addr_spec``) at once; anything else (``str()``, display names) from the real header,
    built when asked for (a plain list is one it builds without error)."""

    __slots__ = ("addresses", "_name", "_value", "_real")

    def __init__(self, name: str, value: str, specs: list[str]) -> None:
        self.addresses = tuple(_Spec(s) for s in specs)
        self._name, self._value, self._real = name, value, None

    def _header(self):
        if self._real is None:
            self._real = _pd_fetch(self._name, self._value)
        return self._real

    def __str__(self) -> str:
        return str(self._header())

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(self._header(), attr)


class _DateValue(str):
    """policy.default's DateHeader: the normalised date (or the text it could not parse), ``datetime``."""

    datetime: Any


class _MimeValue(str):
    """policy.default's Content-Type / Content-Disposition header of plain syntax."""

    params: dict[str, str]
    maintype: str
    subtype: str
    content_type: str
    content_disposition: str


def _fetch(name: str, value: str) -> Any:
    """What policy.default's ``msg.get()`` returns for the stored header ``(name, value)``."""
    kind = _kind(name)
    if kind == "u":
        if "=?" not in value:
            u = _unfold(value)
            return u if u.isascii() else _sanitize(u)
        if value.isascii():
            text = _ew_text(_unfold(value))
            if text is not None:
                return text
    elif value.isascii():
        if kind == "addr":
            specs = _plain_addr_specs(value)
            if specs is not None:
                return _AddressValue(name, value, specs)
        elif kind == "ct":
            m, v = _parametrised(_CT_RE, value, 3)
            if v is not None:
                v.maintype, v.subtype = m.group(1).lower(), m.group(2).lower()
                v.content_type = v.maintype + "/" + v.subtype
                return v
        elif kind == "cte":
            if _CTE_RE.fullmatch(value):
                return _unfold(value)
        elif kind == "id":
            if _MSGID_RE.fullmatch(value):
                return _unfold(value)
        elif kind == "date":
            u = _unfold(value)
            dt = None
            if u:
                try:
                    dt = parsedate_to_datetime(u)
                except ValueError:
                    pass
                except Exception:  # policy.default raises it: let it
                    return _pd_fetch(name, value)
            d = _DateValue(_format_datetime(dt) if dt is not None else u)
            d.datetime = dt
            return d
        elif kind == "cd":
            m, v = _parametrised(_CD_RE, value, 2)
            if v is not None:
                v.content_disposition = m.group(1).lower()
                return v
    return _pd_fetch(name, value)


def _parametrised(pattern: re.Pattern, value: str, params_group: int) -> tuple[Any, Any]:
    """``(match, value object)`` of a plain Content-Type/-Disposition header (``pattern``'s group
    ``params_group`` holds its parameters); ``(None, None)`` when policy.default must parse it."""
    m = pattern.fullmatch(value) if "=?" not in value else None
    if m is not None:
        params = _plain_params(m.group(params_group))
        if params is not None:
            return m, _mime_value(value, params)
    return None, None


class _FastMessage(Message):
    """A message parsed with compat32 whose ``get``/``get_all`` answer as policy.default's.

    Headers are looked up in an index by lowercased name, and each header's value is built
    once (policy.default builds a new, equal object on every access); the index is rebuilt
    when the header list changes (through the Message API).
    """

    _index: dict[str, list[tuple[str, str]]] | None = None
    _index_key: tuple[int, int] = (0, -1)
    _values: dict[tuple[str, str], Any]

    def _find(self, name: str) -> list[tuple[str, str]] | None:
        headers = self._headers
        key = (id(headers), len(headers))
        index = self._index
        if index is None or key != self._index_key:
            index = {}
            for item in headers:
                index.setdefault(item[0].lower(), []).append(item)
            self._index, self._index_key, self._values = index, key, {}
        return index.get(name.lower())

    def _value(self, item: tuple[str, str]) -> Any:
        values = self._values
        v = values.get(item, values)
        if v is values:
            v = values[item] = _fetch(*item)
        return v

    def get(self, name, failobj=None):
        found = self._find(name)
        return self._value(found[0]) if found else failobj

    def get_all(self, name, failobj=None):
        found = self._find(name)
        return [self._value(item) for item in found] if found else failobj

    def replace_header(self, _name, _value):
        self._index = None
        super().replace_header(_name, _value)


def _parse_fast(data: bytes) -> Message:
    """:func:`parse_message`, with compat32 into :class:`_FastMessage` (the same tree, headers
    read as policy.default reads them)."""
    if not data or not data.strip():
        raise MalformedMessage("unparsable", "empty message")
    try:
        msg = BytesParser(_FastMessage, policy=_policy.compat32).parsebytes(data)
    except Exception as exc:  # the parser is lenient; anything raised is a broken message
        raise MalformedMessage("unparsable", f"email parser: {type(exc).__name__}") from None
    if not msg.keys():
        raise MalformedMessage("unparsable", "no header fields")
    return msg


def parse_message(data: bytes) -> EmailMessage:
    """``data`` parsed with ``policy=email.policy.default``; :class:`MalformedMessage`
    (``unparsable``) when there is no header block at all."""
    if not data or not data.strip():
        raise MalformedMessage("unparsable", "empty message")
    try:
        msg = BytesParser(policy=_policy.default).parsebytes(data)
    except Exception as exc:  # the parser is lenient; anything raised is a broken message
        raise MalformedMessage("unparsable", f"email parser: {type(exc).__name__}") from None
    if not msg.keys():
        raise MalformedMessage("unparsable", "no header fields")
    return msg  # type: ignore[return-value]


def message_to_event(
    data: bytes,
    mail_from: str | None = None,
    rcpt_tos: Sequence[str] = (),
    *,
    options: MimeOptions = MimeOptions(),
    arrival: float | None = None,
    msg: Message | None = None,
) -> dict[str, Any] | None:
    """The contract event of one journalled message (a JSON-ready dict).

    Returns ``None`` when ``options.internal_domains`` is set and the sender is not in
    them (inbound mail a journal also copies: not an outbound event). Raises
    :class:`MalformedMessage` for a message that cannot be an event.
    """
    arrival = time.time() if arrival is None else arrival
    if msg is None:
        msg = _parse_fast(skeleton(data))
    if data and msg.get(JOURNAL_REPORT_HEADER) is not None:
        return _journal_report_event(data, msg, options, arrival)

    # sender: From (one address), else Sender, else the envelope
    from_addrs = _header_addresses(msg, "From")
    sender = from_addrs[0] if len(from_addrs) == 1 else None
    if sender is None:
        senders = _header_addresses(msg, "Sender")
        sender = senders[0] if senders else (from_addrs[0] if from_addrs else None)
    if sender is None and mail_from and mail_from.strip("<> "):
        sender = _clean_address(mail_from)
        if sender is None:
            raise MalformedMessage("bad_address", "envelope sender is not of the form local@domain")
    if sender is None:
        if "From" in msg or "Sender" in msg:  # (present, whatever their values parse to)
            raise MalformedMessage("bad_address", "From/Sender hold no address of the form local@domain")
        raise MalformedMessage("no_sender", "no From, no Sender and a null envelope sender")

    if options.internal_domains:
        domain = sender.rpartition("@")[2]
        if not any(domain == d or domain.endswith("." + d) for d in options.internal_domains):
            return None

    to = list(dict.fromkeys(_header_addresses(msg, "To")))
    cc = [a for a in dict.fromkeys(_header_addresses(msg, "Cc")) if a not in to]
    visible = set(to) | set(cc)
    bcc_candidates = _header_addresses(msg, "Bcc") + journal_recipients(rcpt_tos, options.journal_local)
    bcc = [a for a in dict.fromkeys(bcc_candidates) if a not in visible]
    if not to and not cc and not bcc:
        raise MalformedMessage("no_recipients", "no address in To, Cc, Bcc or the journal envelope")
    if len(to) + len(cc) + len(bcc) > _MAX_RECIPIENTS:
        # keep the event valid: every visible recipient first, the Bcc list cut (counted in evidence)
        room = max(0, _MAX_RECIPIENTS - len(to) - len(cc))
        bcc = bcc[:room]
        if len(to) + len(cc) > _MAX_RECIPIENTS:
            raise MalformedMessage("invalid_event", f"more than {_MAX_RECIPIENTS} recipients in To/Cc")

    mid = _first_id(_header_str(msg, "Message-ID"))
    event: dict[str, Any] = {
        "event_id": mid if mid else digest_id(data),
        "ts": _timestamp(msg, arrival),
        "sender": sender,
    }
    if to:
        event["to"] = to
    if cc:
        event["cc"] = cc
    if bcc:
        event["bcc"] = bcc
    subject = _header_str(msg, "Subject")
    if subject is not None:
        event["subject"] = subject
    irt = _first_id(_header_str(msg, "In-Reply-To"))
    if irt:
        event["in_reply_to"] = irt
    refs = _first_id(_header_str(msg, "References"))
    thread = refs or irt
    if thread:
        event["thread_id"] = thread
    if options.template_header:
        tid = _header_str(msg, options.template_header)
        if tid:
            event["template_id"] = tid[:_MAX_ID]
    for rule in options.automated_rules:
        if rule.matches(msg):
            event["sender_kind"] = "automated"
            break
    body, atts = _walk(msg, options.body_chars, options.max_body_scan)
    if body:
        event["body"] = body
    if atts:
        event["attachments"] = atts
    return event


# ------------------------------------------------------------- Exchange journal reports
#: The header Exchange and Microsoft 365 put on a journal report.
JOURNAL_REPORT_HEADER = "X-MS-Journal-Report"
#: report text read at most (a report of 1,000 recipients is about 50 KB)
_MAX_REPORT_TEXT = 2 * 1024 * 1024
_REPORT_LINE = re.compile(r"^\s*(sender|on-behalf-of|message-id|to|cc|bcc|recipient)\s*:\s*(.*?)\s*$", re.I | re.M)


def _mime_parts(data: bytes, msg: Message) -> list[tuple[Message, bytes]]:
    """The top-level parts of the multipart message ``data`` (parsed: ``msg``), each as its
    header (compat32) and its raw body bytes, found in ``data`` itself: the skeleton the
    parser read may have cut them."""
    from email.parser import BytesHeaderParser
    from email.policy import compat32

    boundary = msg.get_boundary()
    if not boundary:
        return []
    delim = b"--" + boundary.encode("utf-8", "surrogateescape")
    out = []
    pos = _header_end(data, 0)
    starts = []
    while True:
        i = data.find(delim, pos)
        if i < 0:
            break
        if i == 0 or data[i - 1:i] == b"\n":
            starts.append(i)
        pos = i + len(delim)
    for k, i in enumerate(starts):
        j = i + len(delim)
        if data.startswith(b"--", j):  # the closing delimiter
            break
        line_end = data.find(b"\n", j)
        if line_end < 0:
            break
        part_start = line_end + 1
        part_end = starts[k + 1] if k + 1 < len(starts) else len(data)
        hend = _header_end(data, part_start)
        header = BytesHeaderParser(policy=compat32).parsebytes(data[part_start:hend])
        body = data[hend:part_end]
        # the line break before the next delimiter belongs to the delimiter
        if body.endswith(b"\r\n"):
            body = body[:-2]
        elif body.endswith(b"\n"):
            body = body[:-1]
        out.append((header, body))
    return out


def _report_fields(text: str) -> dict[str, list[str]]:
    """The journal report's own lines: ``Sender``, ``Message-Id``, ``To``/``Cc``/``Bcc`` (or
    ``Recipient``) with the addresses of each; ``, Expanded: list@..`` and ``, Forwarded:
    ..`` after a recipient name the list it came through, not a recipient."""
    fields: dict[str, list[str]] = {}
    for m in _REPORT_LINE.finditer(text[:_MAX_REPORT_TEXT]):
        name, value = m.group(1).lower(), m.group(2)
        if name == "message-id":
            fields.setdefault(name, []).append(value)
            continue
        first = re.split(r",\s*(?:expanded|forwarded|originalrecipient)\s*:", value, maxsplit=1, flags=re.I)[0]
        for _, a in getaddresses([first]):
            c = _clean_address(a)
            if c is not None:
                fields.setdefault(name, []).append(c)
    return fields


def _journal_report_event(data: bytes, msg: Message, options: MimeOptions, arrival: float) -> dict[str, Any] | None:
    """The event of the message an Exchange / Microsoft 365 journal report carries.

    The report is a message of the Exchange system account: a text part listing the
    original ``Sender``, ``Message-Id`` and every recipient (``To``, ``Cc``, ``Bcc``, the
    members of expanded distribution lists), and the original attached as
    ``message/rfc822``. The event is the original's (its headers, body, attachments), with
    the report's recipients that its headers do not show as ``bcc`` (Bcc and list members:
    they received it but are not visible to the others), and the report's ``Sender`` when
    the original has no usable sender.
    """
    original = report_text = None
    for header, body in _mime_parts(data, msg):
        ctype = header.get_content_type()
        if ctype == "message/rfc822" and original is None:
            cte = str(header.get("Content-Transfer-Encoding", "") or "").strip().lower()
            if cte == "base64":
                try:
                    body = binascii.a2b_base64(body)
                except (binascii.Error, ValueError):
                    raise MalformedMessage("bad_journal_report", "the attached original is not valid base64") from None
            original = body
        elif ctype == "text/plain" and report_text is None:
            part = BytesParser(policy=_policy.default).parsebytes(
                header.as_bytes() + b"\r\n" + body[:_MAX_REPORT_TEXT])
            try:
                report_text = str(part.get_content())
            except (LookupError, ValueError, AssertionError):
                report_text = body[:_MAX_REPORT_TEXT].decode("utf-8", "replace")
    if original is None or not original.strip():
        raise MalformedMessage("bad_journal_report", "a journal report (X-MS-Journal-Report) without the original "
                                                     "message attached as message/rfc822")
    fields = _report_fields(report_text or "")
    sender = (fields.get("sender") or [None])[0]
    inner = _parse_fast(skeleton(original))
    if inner.get(JOURNAL_REPORT_HEADER) is not None:
        raise MalformedMessage("bad_journal_report", "a journal report inside a journal report")
    # the report's recipients, as an envelope that keeps the original recipients: those the
    # original's To/Cc show stay there, the others (Bcc, list members) become bcc
    recipients = fields.get("to", []) + fields.get("cc", []) + fields.get("bcc", []) + fields.get("recipient", [])
    journal = options.journal_local.lower()
    rcpts = [a for a in dict.fromkeys(recipients) if a.rpartition("@")[0] != journal]
    event = message_to_event(original, sender, rcpts, options=options, arrival=arrival, msg=inner)
    if event is not None and event["event_id"] == digest_id(original):  # no Message-ID in the original
        mid = _first_id((fields.get("message-id") or [""])[0])
        if mid:
            event["event_id"] = mid
    return event


def iter_rules(texts: Iterable[str]) -> tuple[HeaderRule, ...]:
    """Parse several rules (``ValueError`` on the first bad one)."""
    return tuple(parse_rule(t) for t in texts if t and t.strip())
