"""``mailflow tap http``: a webhook receiver turning ESP events into contract events.

Routes (one per provider; each checks its provider's signature first)::

    POST /ses        Amazon SES event publishing through an SNS HTTP(S) subscription (streams.taps.ses)
    POST /sendgrid   SendGrid Event Webhook, Signed Event Webhook         (streams.taps.sendgrid)
    POST /mailgun    Mailgun webhooks, "event-data" JSON                  (streams.taps.mailgun)
    GET  /healthz    200 "ok"

Most ESPs send one event per *recipient*. The tap groups the records of one message
(the provider's message id) for ``--group-window`` seconds (default 2) or until
``--max-group-size`` recipients, into **one** contract event whose recipients are the
union, so fan-out is still seen. At most ``--max-open-groups`` groups are open at once
(the oldest is emitted early beyond that: memory stays bounded, nothing is dropped).
Records of a message that arrive after its event was emitted are compared with the
recipients already emitted (remembered for ``--remember-seconds``, bounded): repeats
(an SES ``Delivery`` after its ``Send``, a SendGrid ``delivered`` after ``processed``) are
ignored; new recipients go out as a continuation event ``<id>#2``, ``#3``...

Answers:

* ``200`` only after the broker acknowledged every record the request contributed to
  (the request waits for its groups' windows, so at most window + produce time);
* ``503`` when the broker is down or does not acknowledge (the ESPs retry);
* ``401`` (no signature / provider not configured) or ``403`` (wrong, stale or replayed
  signature): counted, never produced;
* ``400`` for a malformed payload: its bytes go to the dead-letter topic with the reason
  (a malformed *item* of an otherwise good batch is dead-lettered alone, the request 200);
* ``413`` for a body over ``--max-body-bytes``.

Metrics: ``mailflow_tap_http_requests_total{provider,result}`` (fixed label sets, see
:data:`RESULTS`), ``mailflow_tap_http_records_total{provider,result}``,
``mailflow_tap_http_events_total{provider}``, ``mailflow_tap_http_dead_letters_total{provider,reason}``,
``mailflow_tap_http_open_groups``, ``mailflow_tap_broker_up``. Logs at INFO and above carry
counts and reasons, never an address or a subject.

This module also holds what the provider modules share (:class:`EspRecord`,
:class:`ConvertResult`, :class:`PayloadError`, :class:`SignatureError`,
:func:`base_event`); aiohttp is imported only by the server.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import re
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from typing import Any, Awaitable, Callable, Mapping, Sequence

from detectors.errors import ConfigError
from streams.frontend import (METRICS_PORTS, Fail, Invalid, Option, Options, between, csv, parse_listen, run_command,
                              setup_logging, start_metrics, until_stopped, worker_settings)

from .smtp import automated_header_option

__all__ = [
    "EspRecord", "ConvertResult", "PayloadError", "SignatureError", "base_event", "recipient_list",
    "HttpTapSettings", "HttpTapMetrics", "Grouper", "HttpTap", "parse_http_settings", "main",
    "PROVIDERS", "RESULTS", "DEAD_LETTER_REASONS", "DEFAULT_LISTEN", "DEFAULT_METRICS_PORT",
]

log = logging.getLogger("mailflow.tap.http")

PROVIDERS = ("ses", "sendgrid", "mailgun")
DEFAULT_LISTEN = "127.0.0.1:10080"
#: the worker's 9108, the smtp tap's 9109: all three run on one host without settings
DEFAULT_METRICS_PORT = METRICS_PORTS["tap http"]
ENV_PREFIX = "MAILFLOW_TAP_HTTP_"

#: ``result`` of ``mailflow_tap_http_requests_total`` (and the HTTP status it answers)
RESULTS = (
    "produced",       # 200: every record acknowledged by the broker
    "ignored",        # 200: nothing to produce (event types not used, duplicates, not outbound)
    "subscription",   # 200: an SNS SubscriptionConfirmation / UnsubscribeConfirmation
    "dead_lettered",  # 400: malformed payload, its bytes on the dead-letter topic
    "unsigned",       # 401: no signature, or the provider has no key configured
    "bad_signature",  # 403: signature does not verify (or its certificate is not allowed)
    "stale",          # 403: signed timestamp too old
    "replayed",       # 403: token / signature seen before
    "too_large",      # 413
    "unavailable",    # 503: the broker did not acknowledge; the ESP retries
    "error",          # 500: a bug in the tap
)
_SIG_RESULTS = ("unsigned", "bad_signature", "stale", "replayed")
#: ``result`` of ``mailflow_tap_http_records_total`` (per-recipient records)
RECORD_RESULTS = ("grouped", "duplicate", "ignored", "not_outbound", "dead_lettered")
#: dead-letter reasons: the SMTP tap's (streams.taps.mime.TAP_REJECT_REASONS) plus the payload's own
DEAD_LETTER_REASONS = ("invalid_json", "bad_payload", "unparsable", "no_sender", "bad_address", "no_recipients",
                       "invalid_event", "internal_error")


# ------------------------------------------------------------------ shared by providers
class PayloadError(Exception):
    """A payload (or one item of it) that cannot become an event; ``reason`` in :data:`DEAD_LETTER_REASONS`.

    ``detail`` never holds addresses or subjects.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        assert reason in DEAD_LETTER_REASONS, reason
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class SignatureError(Exception):
    """A request whose signature does not hold; ``result`` in ``unsigned``/``bad_signature``/``stale``/``replayed``."""

    def __init__(self, result: str, detail: str = "", status: int = 403) -> None:
        assert result in _SIG_RESULTS, result
        super().__init__(f"{result}: {detail}" if detail else result)
        self.result = result
        self.detail = detail
        self.status = status


@dataclass
class EspRecord:
    """One provider event (usually one recipient) of message ``group_key``.

    ``event`` is a contract event (JSON-ready dict) holding this record's recipients;
    records of one message are merged by :class:`Grouper`. ``raw`` is the record's own
    JSON, dead-lettered should the merged event be refused.
    """

    provider: str
    group_key: str
    event: dict[str, Any]
    raw: bytes = b""


@dataclass
class ConvertResult:
    records: list[EspRecord] = field(default_factory=list)
    #: items dead-lettered alone: (bytes, reason, detail)
    dead: list[tuple[bytes, str, str]] = field(default_factory=list)
    ignored: int = 0
    not_outbound: int = 0
    #: SNS confirmations: a note for the response
    subscription: str | None = None


def timestamp(value: Any) -> float | None:
    """Unix seconds from a number, a numeric string or an RFC 3339 / ISO 8601 string; None if not one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        v = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            v = float(text)
        except ValueError:
            try:
                dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            except ValueError:
                return None
            if dt.tzinfo is None:
                return None
            v = dt.timestamp()
    else:
        return None
    if not math.isfinite(v) or not 0 <= v < 4102444800.0:
        return None
    return v


def recipient_list(values: Sequence[Any]) -> list[str]:
    """Normalised addresses (``Name <a@b>`` or bare) from a provider's list; others left out."""
    from email.utils import getaddresses

    from .mime import _clean_address

    out: list[str] = []
    for v in values:
        if not isinstance(v, str):
            continue
        for _, a in getaddresses([v]):
            c = _clean_address(a)
            if c is not None and c not in out:
                out.append(c)
    return out


def base_event(msg: Message, mail_from: str | None, event_id: str, ts: Any, recipients: Sequence[str],
               mime_options) -> dict[str, Any] | None:
    """A contract event from the headers an ESP gives (as ``msg``) and this record's recipients.

    The SMTP tap's rules (:func:`streams.taps.mime.message_to_event`) decide sender
    (From, Sender, then ``mail_from``), To/Cc, subject, In-Reply-To/References, the
    template header and the automated-sender rules; ``recipients`` not in To/Cc become
    ``bcc`` (they were added as ``Bcc``). ``event_id`` and ``ts`` (when valid) are the
    provider's. Returns ``None`` for a sender outside the internal domains; raises
    :class:`PayloadError`.
    """
    from .mime import MalformedMessage, message_to_event

    for r in recipients:
        msg["Bcc"] = r
    arrival = time.time()
    try:
        event = message_to_event(b"", mail_from, (), options=mime_options, arrival=arrival, msg=msg)
    except MalformedMessage as exc:
        raise PayloadError(exc.reason, exc.detail) from None
    if event is None:
        return None
    event.pop("body", None)  # no ESP gives the body
    event["event_id"] = event_id[:1024]
    t = timestamp(ts)
    if t is not None:
        event["ts"] = t
    return event


# ----------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class HttpTapSettings:
    """The tap's own settings plus the worker's (:class:`streams.settings.WorkerSettings`)."""

    worker: Any
    listen_host: str = "127.0.0.1"
    listen_port: int = 10080
    produce_timeout: float = 10.0
    max_body_bytes: int = 8 * 1024 * 1024
    group_window: float = 2.0
    max_group_size: int = 1000
    max_open_groups: int = 10_000
    remember_seconds: float = 900.0
    remember_recipients: int = 500_000
    providers: tuple[str, ...] = PROVIDERS
    mime: Any = None  # MimeOptions
    ses: Any = None  # ses.SesOptions
    sendgrid: Any = None  # sendgrid.SendgridOptions
    mailgun: Any = None  # mailgun.MailgunOptions

    @property
    def listen(self) -> str:
        return f"{self.listen_host}:{self.listen_port}"


def _providers(text: str) -> tuple[str, ...]:
    names = csv(text)
    bad = [p for p in names if p not in PROVIDERS]
    if bad:
        raise Invalid("; ".join(f"{p!r} is not one of {', '.join(PROVIDERS)}" for p in bad))
    return names


def _regex(text: str) -> str:
    try:
        re.compile(text)
    except re.error as exc:
        raise Invalid(f"{text!r} is not a regular expression ({exc})") from None
    return text


def _read_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError as exc:
        raise Invalid(f"cannot read {path!r}: {exc.strerror}") from None


def _optional(text: str) -> str | None:
    return text.strip() or None


_SECONDS = " seconds"
OPTIONS = Options(ENV_PREFIX, [
    Option("listen", parse_listen, parse_listen(DEFAULT_LISTEN), "address to serve HTTP on", "HOST:PORT",
           shown=DEFAULT_LISTEN),
    Option("providers", _providers, PROVIDERS, f"routes served, comma list of {','.join(PROVIDERS)}", "LIST",
           shown="all"),
    Option("produce_timeout", float, 10.0, "seconds to wait for the broker before 503", "S",
           check=between(0.1, 600, _SECONDS)),
    Option("max_body_bytes", int, 8 * 1024 * 1024, "largest request body (413 above)", "N",
           check=between(1024, 1 << 30), shown="8 MiB"),
    Option("group_window", float, 2.0, "seconds the recipient events of one message are collected (0: none)", "S",
           check=between(0, 60, _SECONDS)),
    Option("max_group_size", int, 1000, "recipients of one event at most (then it is emitted)", "N",
           check=between(1, 1000, " (the contract's recipient limit)")),
    Option("max_open_groups", int, 10_000, "messages collected at once at most (the oldest is emitted early)", "N",
           check=between(1, 1_000_000)),
    Option("remember_seconds", float, 900.0, "how long emitted messages' recipients are remembered for "
           "de-duplication", "S", check=between(0, 86400)),
    Option("remember_recipients", int, 500_000, "recipients remembered at most", "N", check=between(0, 10_000_000)),
    Option("template_header", str.strip, "X-Template-Id", "header with the template id (SES and Mailgun give headers)",
           "NAME"),
    automated_header_option("sender_kind=automated rule as for `tap smtp`"),
    # SES / SNS
    Option("ses_event_types", csv, ("Send", "Delivery"), "SES eventType values used", "LIST"),
    Option("ses_template_tag", tuple, ("template_id", "template"), "SES message tag holding the template id", "TAG",
           repeat=True, env="SES_TEMPLATE_TAGS"),
    Option("sns_topic_arn", tuple, (), "accept only these SNS topics (default any)", "ARN", repeat=True,
           env="SNS_TOPIC_ARNS"),
    Option("sns_cert_host_pattern", _regex, None, "hosts SigningCertURL may name", "REGEX",
           shown="sns.<region>.amazonaws.com(.cn)"),
    Option("sns_auto_confirm", default=False, switch=True,
           help="confirm SNS subscriptions by fetching their SubscribeURL (else only logged)"),
    # SendGrid
    Option("sendgrid_public_key", _optional, None, "Signed Event Webhook verification key (base64 DER or PEM)", "KEY"),
    Option("sendgrid_public_key_file", _read_file, None, "the same, from a file", "FILE"),
    Option("sendgrid_allow_unsigned", default=False, switch=True, help="accept unsigned SendGrid posts (tests only)"),
    Option("sendgrid_event_types", csv, ("processed", "delivered"), "SendGrid event values used", "LIST"),
    Option("sendgrid_sender_arg", str.strip, "sender", "custom arg with the sending account's address", "NAME"),
    Option("sendgrid_default_sender", _optional, None, "sender when the custom arg is missing", "ADDRESS"),
    Option("sendgrid_template_arg", str.strip, "template_id", "custom arg with the template id", "NAME"),
    Option("sendgrid_subject_arg", str.strip, "subject", "custom arg with the subject", "NAME"),
    Option("sendgrid_max_age", float, 600.0, "largest age of a signed timestamp (0: no check)", "S",
           check=between(0, 7 * 86400, _SECONDS)),
    # Mailgun
    Option("mailgun_signing_key", _optional, None, "webhook signing key", "KEY"),
    Option("mailgun_signing_key_file", _read_file, None, "the same, from a file", "FILE"),
    Option("mailgun_event_types", csv, ("accepted", "delivered", "failed"), "Mailgun event values used", "LIST"),
    Option("mailgun_template_var", str.strip, "template_id", "user-variable with the template id", "NAME"),
    Option("mailgun_max_age", float, 600.0, "largest age of a signature timestamp; tokens remembered as long", "S",
           check=between(0, 7 * 86400, _SECONDS)),
])


def _parser(add_help: bool = True) -> argparse.ArgumentParser:
    return OPTIONS.parser(
        "mailflow tap http", add_help=add_help,
        description="ESP webhook receiver (POST /ses, /sendgrid, /mailgun): per-recipient events grouped by "
                    "message into contract events on the input topic; 200 only after the broker acknowledged, "
                    "503 otherwise. Also takes every `mailflow worker` option (--broker, --input-topic, "
                    "--dlq-topic, --internal-domain, --metrics-port, ...).")


def parse_http_settings(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> HttpTapSettings:
    """Settings from flags and environment; raises :class:`ConfigError` listing every problem."""
    from .mailgun import MailgunOptions
    from .mime import MimeOptions
    from .sendgrid import SendgridOptions, load_public_key
    from .ses import DEFAULT_CERT_HOST_PATTERN, SesOptions

    env = os.environ if env is None else env
    parsed = OPTIONS.parse(argv, env)
    o, problems = parsed.values, parsed.problems
    sg_key_text = _optional(o.sendgrid_public_key_file or o.sendgrid_public_key or "")
    sg_key = None
    if sg_key_text:
        try:
            sg_key = load_public_key(sg_key_text)
        except ValueError as exc:
            problems.append(f"sendgrid_public_key: {exc}")
    worker = worker_settings("tap http", parsed.rest, env, problems)
    if problems:
        raise ConfigError(problems)
    ses = SesOptions(event_types=o.ses_event_types, template_tags=o.ses_template_tag, topic_arns=o.sns_topic_arn,
                     cert_host_pattern=o.sns_cert_host_pattern or DEFAULT_CERT_HOST_PATTERN,
                     auto_confirm=o.sns_auto_confirm)
    sendgrid = SendgridOptions(
        public_key=sg_key, allow_unsigned=o.sendgrid_allow_unsigned, event_types=o.sendgrid_event_types,
        sender_arg=o.sendgrid_sender_arg, default_sender=o.sendgrid_default_sender,
        template_arg=o.sendgrid_template_arg, subject_arg=o.sendgrid_subject_arg, max_age=o.sendgrid_max_age)
    mailgun = MailgunOptions(
        signing_key=_optional(o.mailgun_signing_key_file or o.mailgun_signing_key or ""),
        event_types=o.mailgun_event_types, template_var=o.mailgun_template_var, max_age=o.mailgun_max_age)
    mime = MimeOptions(body_chars=0, template_header=o.template_header, automated_rules=o.automated_header,
                       internal_domains=tuple(worker.internal_domains))
    return HttpTapSettings(worker=worker, listen_host=o.listen[0], listen_port=o.listen[1],
                           produce_timeout=o.produce_timeout, max_body_bytes=o.max_body_bytes,
                           group_window=o.group_window, max_group_size=o.max_group_size,
                           max_open_groups=o.max_open_groups, remember_seconds=o.remember_seconds,
                           remember_recipients=o.remember_recipients, providers=o.providers, mime=mime, ses=ses,
                           sendgrid=sendgrid, mailgun=mailgun)


# ------------------------------------------------------------------------------ metrics
class HttpTapMetrics:
    """The tap's metrics on ``registry`` (label values from fixed sets only)."""

    def __init__(self, registry) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.requests = Counter("mailflow_tap_http_requests_total", "ESP webhook requests by provider and outcome",
                                ["provider", "result"], registry=registry)
        self.records = Counter("mailflow_tap_http_records_total", "Per-recipient ESP events by provider and outcome",
                               ["provider", "result"], registry=registry)
        self.events = Counter("mailflow_tap_http_events_total", "Contract events produced (grouped ESP events)",
                              ["provider"], registry=registry)
        self.dead_letters = Counter("mailflow_tap_http_dead_letters_total", "Payloads or items dead-lettered",
                                    ["provider", "reason"], registry=registry)
        for p in PROVIDERS:
            for r in RESULTS:
                self.requests.labels(p, r)
            for r in RECORD_RESULTS:
                self.records.labels(p, r)
            self.events.labels(p)
        self.group_size = Histogram("mailflow_tap_http_group_recipients", "Recipients of one emitted event",
                                    registry=registry, buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, float("inf")))
        self.produce_seconds = Histogram(
            "mailflow_tap_http_request_seconds", "Time from request to answer (includes the group window)",
            registry=registry, buckets=(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 2.5, 3, 5, 10, 30, float("inf")))
        self.open_groups = Gauge("mailflow_tap_http_open_groups", "Messages being collected", registry=registry)
        self.broker_up = Gauge("mailflow_tap_broker_up", "1 when the last produce was acknowledged, 0 when it failed",
                               registry=registry)


# ------------------------------------------------------------------------------ grouping
class _Group:
    __slots__ = ("provider", "key", "event_id", "event", "to", "cc", "bcc", "opened", "future", "raws", "skip", "seq")

    def __init__(self, rec: EspRecord, event_id: str, now: float, skip: set[int] | None = None, seq: int = 1) -> None:
        self.provider = rec.provider
        self.key = rec.group_key
        self.event_id = event_id
        self.event = {k: v for k, v in rec.event.items() if k not in ("to", "cc", "bcc")}
        self.event["event_id"] = event_id
        self.to: dict[str, None] = {}
        self.cc: dict[str, None] = {}
        self.bcc: dict[str, None] = {}
        self.opened = now
        self.future: asyncio.Future = asyncio.get_running_loop().create_future()
        self.raws: list[bytes] = []
        #: hashes of recipients an earlier event of this message already carried (a continuation)
        self.skip = skip
        self.seq = seq

    def recipients(self) -> set[str]:
        return set(self.to) | set(self.cc) | set(self.bcc)

    def size(self) -> int:
        return len(self.to) + len(self.cc) + len(self.bcc)

    def add(self, rec: EspRecord) -> None:
        e = rec.event
        skip = self.skip
        for name in ("to", "cc"):
            target = getattr(self, name)
            for a in e.get(name) or ():
                if skip is None or hash(a) not in skip:
                    target[a] = None
        for a in e.get("bcc") or ():
            if (skip is None or hash(a) not in skip) and a not in self.to and a not in self.cc:
                self.bcc[a] = None
        for a in list(self.bcc):
            if a in self.to or a in self.cc:
                del self.bcc[a]
        ts = e.get("ts")
        if isinstance(ts, (int, float)) and (not isinstance(self.event.get("ts"), (int, float)) or ts < self.event["ts"]):
            self.event["ts"] = ts
        for k, v in e.items():  # fields a later record knows (a Delivery after a Send) fill the gaps
            if k not in self.event and k not in ("to", "cc", "bcc"):
                self.event[k] = v
        if len(self.raws) < 3:
            self.raws.append(rec.raw)

    def build(self) -> dict[str, Any]:
        ev = dict(self.event)
        if self.to:
            ev["to"] = list(self.to)
        if self.cc:
            ev["cc"] = list(self.cc)
        if self.bcc:
            ev["bcc"] = list(self.bcc)
        return ev


class _Emitted:
    __slots__ = ("recipients", "seq", "at", "future")

    def __init__(self, recipients: set[int], seq: int, at: float, future: asyncio.Future) -> None:
        self.recipients = recipients
        self.seq = seq
        self.at = at
        self.future = future


Emit = Callable[[str, dict[str, Any], list[bytes]], Awaitable[None]]


class Grouper:
    """Per-recipient records -> one event per message (see the module doc); on one asyncio loop.

    ``add(record)`` returns a future resolved when the event holding the record was
    acknowledged (an exception when producing it failed), or ``None`` for a repeat of
    recipients already acknowledged. ``emit(provider, event, raws)`` is awaited to produce.
    """

    def __init__(self, emit: Emit, *, window: float = 2.0, max_group_size: int = 1000, max_open: int = 10_000,
                 remember_seconds: float = 900.0, remember_recipients: int = 500_000, metrics=None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._emit = emit
        self.window = window
        self.max_group_size = max_group_size
        self.max_open = max_open
        self.remember_seconds = remember_seconds
        self.remember_recipients = remember_recipients
        self.metrics = metrics
        self.clock = clock
        self.open: OrderedDict[tuple[str, str], _Group] = OrderedDict()
        self.emitted: OrderedDict[tuple[str, str], _Emitted] = OrderedDict()
        self._remembered = 0
        self._tasks: set[asyncio.Task] = set()
        self._ticker: asyncio.Task | None = None

    # -- life cycle
    def start(self) -> None:
        if self._ticker is None and self.window > 0:
            self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        step = min(0.1, self.window / 4)
        while True:
            await asyncio.sleep(step)
            try:
                self.flush_due()
            except Exception:  # pragma: no cover - never let the ticker die
                log.error("tap http: grouping tick failed", exc_info=True)

    async def close(self) -> None:
        """Emits every open group and waits for the produces."""
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        for g in list(self.open.values()):
            self._start_emit(g)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- adding
    def add(self, rec: EspRecord) -> asyncio.Future | None:
        now = self.clock()
        gk = (rec.provider, rec.group_key)
        addrs = [a for n in ("to", "cc", "bcc") for a in (rec.event.get(n) or ())]
        g = self.open.get(gk)
        if g is None:
            done = self._emitted(gk, now)
            skip = None
            seq = 1
            if done is not None:
                if all(hash(a) in done.recipients for a in addrs):
                    self._count(rec.provider, "duplicate")
                    return None if done.future.done() and done.future.exception() is None else done.future
                skip, seq = set(done.recipients), done.seq + 1
            if len(self.open) >= self.max_open:  # bounded memory: the oldest goes out early
                self._start_emit(next(iter(self.open.values())))
            event_id = rec.group_key if seq == 1 else f"{rec.group_key}#{seq}"
            g = _Group(rec, event_id, now, skip, seq)
            g.add(rec)
            self.open[gk] = g
        else:
            g.add(rec)
        self._count(rec.provider, "grouped")
        fut = g.future
        if g.size() >= self.max_group_size or self.window <= 0:
            self._start_emit(g)
        self._gauge()
        return fut

    def _emitted(self, gk, now: float) -> _Emitted | None:
        self._expire(now)
        return self.emitted.get(gk)

    def _expire(self, now: float) -> None:
        while self.emitted:
            gk, e = next(iter(self.emitted.items()))
            if now - e.at <= self.remember_seconds and self._remembered <= self.remember_recipients:
                break
            self.emitted.popitem(last=False)
            self._remembered -= len(e.recipients)

    def flush_due(self) -> None:
        now = self.clock()
        while self.open:
            g = next(iter(self.open.values()))
            if now - g.opened < self.window:
                break
            self._start_emit(g)
        self._gauge()

    # -- emitting
    def _start_emit(self, g: _Group) -> None:
        gk = (g.provider, g.key)
        if self.open.get(gk) is g:
            del self.open[gk]
        hashes = {hash(a) for a in g.recipients()}
        prev = self.emitted.pop(gk, None)
        if prev is not None:
            self._remembered -= len(prev.recipients)
            hashes |= prev.recipients
        entry = _Emitted(hashes, max(g.seq, prev.seq if prev else 0), self.clock(), g.future)
        self.emitted[gk] = entry
        self._remembered += len(hashes)
        self._expire(self.clock())
        task = asyncio.get_running_loop().create_task(self._produce(g, gk, entry, prev))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._gauge()

    async def _produce(self, g: _Group, gk, entry: _Emitted, prev: _Emitted | None) -> None:
        try:
            if self.metrics is not None:
                self.metrics.group_size.observe(g.size())
            await self._emit(g.provider, g.build(), g.raws)
        except BaseException as exc:
            # not acknowledged: forget it, so the ESP's retry is not taken for a repeat
            if self.emitted.get(gk) is entry:
                del self.emitted[gk]
                self._remembered -= len(entry.recipients)
                if prev is not None and prev.future.done() and prev.future.exception() is None:
                    self.emitted[gk] = prev
                    self._remembered += len(prev.recipients)
            if not g.future.done():
                g.future.set_exception(exc if isinstance(exc, Exception) else RuntimeError("cancelled"))
                g.future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            if not isinstance(exc, Exception):
                raise
        else:
            if not g.future.done():
                g.future.set_result(None)

    def _count(self, provider: str, result: str) -> None:
        if self.metrics is not None:
            self.metrics.records.labels(provider, result).inc()

    def _gauge(self) -> None:
        if self.metrics is not None:
            self.metrics.open_groups.set(len(self.open))


# -------------------------------------------------------------------------------- server
class _Answer(Exception):
    def __init__(self, status: int, result: str, text: str) -> None:
        super().__init__(text)
        self.status, self.result, self.text = status, result, text


class HttpTap:
    """The tap on an asyncio loop: ``await start()``, ``await stop()`` (also usable in-process).

    ``sink`` (default :class:`streams.taps.smtp.KafkaSink`) has ``async send(topic, key, value, headers)``
    raising ``BrokerUnavailable``; ``cert_fetcher`` (async ``url -> PEM bytes``) fetches SNS
    signing certificates (default: aiohttp, from allowed hosts only).
    """

    def __init__(self, settings: HttpTapSettings, registry=None, sink=None, cert_fetcher=None,
                 url_opener=None) -> None:
        from prometheus_client import CollectorRegistry

        from .mailgun import TokenCache
        from .ses import CertCache

        self.settings = settings
        self.registry = registry if registry is not None else CollectorRegistry()
        self.metrics = HttpTapMetrics(self.registry)
        if sink is None:
            from .smtp import KafkaSink

            class _HttpSink(KafkaSink):  # the SMTP tap's sink (reads .worker and .produce_timeout)
                def _config(self):
                    return {**super()._config(), "client_id": "mailflow-tap-http"}

            sink = _HttpSink(settings)
        self.sink = sink
        self._http = None
        self.certs = CertCache(cert_fetcher or self._fetch, settings.ses.cert_host_pattern)
        self._url_opener = url_opener or self._fetch
        self.tokens = TokenCache(settings.mailgun.max_age, settings.mailgun.max_tokens)
        self.grouper: Grouper | None = None
        self._runner = None
        self._site = None
        self.port: int | None = None

    # -- outbound HTTP (SNS certificates, subscription confirmation)
    async def _fetch(self, url: str) -> bytes:
        import aiohttp

        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        async with self._http.get(url, allow_redirects=False) as r:
            if r.status != 200:
                raise OSError(f"HTTP {r.status}")
            data = await r.content.read(256 * 1024)
            return data

    # -- producing
    async def _emit(self, provider: str, event: dict[str, Any], raws: list[bytes]) -> None:
        import orjson

        from detectors.errors import EventRejected
        from detectors.events import parse_event
        from streams.produce import sender_key

        value = orjson.dumps(event)
        key = sender_key(value)
        try:
            parse_event(value)
        except EventRejected as exc:
            await self._dead_letter(provider, value, key, "invalid_event", f"{exc.reason}: {exc.detail}")
            return
        await self._send(self.settings.worker.input_topic, key, value)
        self.metrics.events.labels(provider).inc()
        log.debug("tap http: %s event produced (%d recipients, %d bytes)", provider,
                  sum(len(event.get(n) or ()) for n in ("to", "cc", "bcc")), len(value))

    async def _send(self, topic: str, key, value, headers=()) -> None:
        try:
            await self.sink.send(topic, key, value, headers)
        except Exception:
            self.metrics.broker_up.set(0)
            raise
        self.metrics.broker_up.set(1)

    async def _dead_letter(self, provider: str, data: bytes, key, reason: str, detail: str) -> None:
        from streams.deadletter import make_dead_letter

        w = self.settings.worker
        dl = make_dead_letter(data, key, reason, detail, f"http-tap-{provider}", None, None,
                              max_bytes=w.dead_letter_max_bytes)
        await self._send(w.dlq_topic, dl.key, dl.value, dl.headers)
        self.metrics.dead_letters.labels(provider, reason).inc()
        log.info("tap http: a %d-byte %s payload dead-lettered: %s%s", len(data), provider, reason,
                 " (stored truncated)" if dl.truncated else "")

    # -- requests
    async def _convert(self, provider: str, request, body: bytes):
        s = self.settings
        if provider == "ses":
            from . import ses

            msg = ses.parse_envelope(body)
            await ses.verify(msg, s.ses, self.certs)
            return await ses.handle(msg, s.ses, s.mime, self._url_opener), None
        if provider == "sendgrid":
            from . import sendgrid

            sendgrid.verify(request.headers, body, s.sendgrid)
            return sendgrid.convert(sendgrid.parse_payload(body), s.sendgrid, s.mime), None
        from . import mailgun

        payload = mailgun.parse_payload(body)
        token = mailgun.verify(payload, s.mailgun, self.tokens)
        try:
            return mailgun.convert(payload, body, s.mailgun, s.mime), token
        except BaseException:
            self.tokens.release(token)
            raise

    async def handle(self, request):
        from aiohttp import web

        provider = request.match_info.get("provider", "")
        if provider not in self.settings.providers:
            raise web.HTTPNotFound()
        t0 = time.monotonic()
        m = self.metrics
        token = None
        body = b""
        try:
            try:
                body = await request.read()
            except web.HTTPRequestEntityTooLarge:
                raise _Answer(413, "too_large", "request body too large") from None
            try:
                res, token = await self._convert(provider, request, body)
            except SignatureError as exc:
                log.warning("tap http: %s request refused: %s", provider, exc)
                raise _Answer(exc.status, exc.result, exc.result.replace("_", " ")) from None
            except PayloadError as exc:
                await self._dead_letter(provider, body, None, exc.reason, exc.detail)
                raise _Answer(400, "dead_lettered", f"malformed payload ({exc.reason}); dead-lettered") from None
            for raw, reason, detail in res.dead:
                await self._dead_letter(provider, raw, None, reason, detail)
                m.records.labels(provider, "dead_lettered").inc()
            m.records.labels(provider, "ignored").inc(res.ignored)
            m.records.labels(provider, "not_outbound").inc(res.not_outbound)
            if res.subscription is not None:
                raise _Answer(200, "subscription", res.subscription)
            futures = {id(f): f for f in (self.grouper.add(r) for r in res.records) if f is not None}
            if futures:
                limit = self.settings.group_window + 3 * self.settings.produce_timeout + 5
                # shielded: a timeout here must not cancel a group other requests wait for too
                await asyncio.wait_for(asyncio.gather(*(asyncio.shield(f) for f in futures.values())), timeout=limit)
                raise _Answer(200, "produced", f"ok: {len(res.records)} records")
            raise _Answer(200, "ignored", "ok: nothing to produce")
        except _Answer as a:
            if a.status != 200 and token is not None:
                self.tokens.release(token)
            m.requests.labels(provider, a.result).inc()
            m.produce_seconds.observe(time.monotonic() - t0)
            return web.Response(status=a.status, text=a.text + "\n")
        except Exception as exc:
            from .smtp import BrokerUnavailable

            if token is not None:
                self.tokens.release(token)
            from .ses import CertUnavailable

            if isinstance(exc, (BrokerUnavailable, asyncio.TimeoutError, CertUnavailable)):
                m.requests.labels(provider, "unavailable").inc()
                log.warning("tap http: broker did not acknowledge (%s); answered 503, %s retries",
                            type(exc).__name__ if not str(exc) else exc, provider)
                return web.Response(status=503, text="event broker unavailable, retry later\n",
                                    headers={"Retry-After": "5"})
            m.requests.labels(provider, "error").inc()
            log.error("tap http: %s request failed: %s", provider, type(exc).__name__, exc_info=True)
            return web.Response(status=500, text="internal error\n")

    async def healthz(self, request):
        from aiohttp import web

        return web.Response(text="ok\n")

    # -- life cycle
    async def start(self) -> None:
        from aiohttp import web

        s = self.settings
        self.grouper = Grouper(self._emit, window=s.group_window, max_group_size=s.max_group_size,
                               max_open=s.max_open_groups, remember_seconds=s.remember_seconds,
                               remember_recipients=s.remember_recipients, metrics=self.metrics)
        self.grouper.start()
        app = web.Application(client_max_size=s.max_body_bytes)
        app.router.add_post("/{provider}", self.handle)
        app.router.add_get("/healthz", self.healthz)
        # aiohttp's access log names paths and client addresses only: off at INFO all the same
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, s.listen_host, s.listen_port)
        await self._site.start()
        self.port = self._site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.grouper is not None:
            await self.grouper.close()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()
            self._http = None
        close = getattr(self.sink, "close", None)
        if close is not None:
            await asyncio.get_running_loop().run_in_executor(None, close)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    return run_command("tap http", argv, env, parser=_parser, parse=parse_http_settings, serve=_serve)


def _serve(settings: HttpTapSettings) -> int:
    w = settings.worker
    setup_logging(w.log_level, {"kafka": logging.WARNING, "aiohttp.access": logging.WARNING}, w.log_format)
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry()
    tap = HttpTap(settings, registry=registry)
    start_metrics(registry, w)
    for p, missing in (("sendgrid", settings.sendgrid.public_key is None and not settings.sendgrid.allow_unsigned),
                       ("mailgun", not settings.mailgun.signing_key)):
        if p in settings.providers and missing:
            log.warning("tap http: no %s key configured: every /%s request is refused with 401", p, p)

    async def run() -> int:
        try:
            await tap.start()
        except OSError as exc:
            raise Fail(f"cannot listen on {settings.listen}: {exc}") from None
        log.info("tap http listening on %s:%d (%s); broker %s, input %s, dlq %s, window %.1fs, metrics port %s",
                 settings.listen_host, tap.port, ",".join(settings.providers), ",".join(w.bootstrap_servers),
                 w.input_topic, w.dlq_topic, settings.group_window, w.metrics_port)
        print(f"mailflow tap http: listening on {settings.listen_host}:{tap.port}", file=sys.stderr, flush=True)
        await until_stopped()
        log.info("tap http stopping")
        await tap.stop()
        return 0

    return asyncio.run(run())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
