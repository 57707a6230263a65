"""``mailflow tap smtp``: an SMTP journal receiver that turns journalled mail into contract events.

An MTA journals a copy of every outbound message to this tap (Postfix
``recipient_bcc_maps``/``always_bcc``/``sender_bcc_maps``, an Exim ``unseen`` router,
a journaling rule; docs/connect-your-mail.md). For each message the tap

1. parses it (:func:`streams.taps.mime.message_to_event`, standard library ``email``),
2. validates the event with :func:`detectors.events.parse_event` (the worker's own
   contract check),
3. produces it to the input topic keyed by sender (the key rule of ``mailflow produce``:
   :func:`streams.produce.sender_key`), or -- malformed mail -- its bytes to the
   dead-letter topic with the reason (:mod:`streams.deadletter` headers; truncated
   with size and SHA-256 when too large),
4. and only when the broker acknowledged that record answers ``250``. When the broker
   is down or does not acknowledge within ``--produce-timeout`` it answers ``451`` so
   the MTA keeps the copy in its deferred queue and retries: nothing is dropped
   silently. Delivery is at least once (a retry after a late acknowledgement produces
   the same ``event_id`` again).

Messages over ``--max-message-size`` are refused by aiosmtpd with ``552`` while it
reads them (the data is discarded as it arrives, so memory stays bounded); set it at
or above the MTA's own limit (Postfix ``message_size_limit``) so that never happens to
a journal copy. Messages are parsed one at a time in a worker thread.

Logs at INFO and above carry counts, sizes and reasons, never an address, subject or
body; metrics (``mailflow_tap_*``) have small fixed label sets.

Settings: the tap flags below plus every ``mailflow worker`` setting (``--broker``,
``--input-topic``, ``--dlq-topic``, ``--internal-domain``, ``--metrics-port``, security,
log level, ...), from flags or the same ``MAILFLOW_*`` environment variables; the tap's
own also from ``MAILFLOW_TAP_*``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from detectors.errors import ConfigError
from streams.frontend import (METRICS_PORTS, Fail, Invalid, Option, Options, between, parse_listen, run_command,
                              setup_logging, start_metrics, until_stopped, worker_settings)

from .mime import DEFAULT_AUTOMATED_RULES, HeaderRule, MalformedMessage, MimeOptions, TAP_REJECT_REASONS, iter_rules

__all__ = [
    "TapSettings", "TapMetrics", "KafkaSink", "JournalHandler", "SmtpTap", "parse_tap_settings", "main",
    "RESULTS", "DEFAULT_LISTEN", "DEFAULT_METRICS_PORT", "automated_rules", "automated_header_option",
]

log = logging.getLogger("mailflow.tap.smtp")

DEFAULT_LISTEN = "127.0.0.1:10025"
#: the tap's /metrics port when neither --metrics-port nor MAILFLOW_METRICS_PORT is given
#: (the worker's default 9108 + 1, so both run on one host without settings)
DEFAULT_METRICS_PORT = METRICS_PORTS["tap smtp"]
DEFAULT_MAX_MESSAGE_SIZE = 32 * 1024 * 1024
TAP_ENV_PREFIX = "MAILFLOW_TAP_"
#: the ``mailflow-source-topic`` header of the tap's dead letters (there is no input record)
DLQ_SOURCE = "smtp-tap"

#: ``result`` label values of ``mailflow_tap_messages_total``
RESULTS = (
    "produced",         # event acknowledged on the input topic, 250
    "dead_lettered",    # malformed: bytes acknowledged on the dead-letter topic, 250
    "not_outbound",     # sender outside --internal-domain (inbound mail a journal copied), 250
    "deferred",         # broker down or no acknowledgement in time, 451
    "too_large",        # over --max-message-size, 552 (aiosmtpd discards it while reading)
    "error",            # unexpected failure while producing, 451
)


# ---------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class TapSettings:
    """The tap's own settings plus the worker's (:class:`streams.settings.WorkerSettings`)."""

    worker: Any  # WorkerSettings
    listen_host: str = "127.0.0.1"
    listen_port: int = 10025
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    produce_timeout: float = 10.0
    hostname: str = "mailflow-tap"
    mime: MimeOptions = field(default_factory=MimeOptions)

    @property
    def listen(self) -> str:
        return f"{self.listen_host}:{self.listen_port}"


def automated_rules(texts: Sequence[str]) -> tuple[HeaderRule, ...]:
    """``--automated-header`` rules (``none``: no rule); the converter every tap shares."""
    if [t.strip().lower() for t in texts] == ["none"]:
        return ()
    try:
        return iter_rules(texts)
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def automated_header_option(text: str) -> Option:
    return Option("automated_header", automated_rules, DEFAULT_AUTOMATED_RULES, text, "RULE", repeat=True,
                  env="AUTOMATED_HEADERS",
                  shown="; ".join(str(r) for r in DEFAULT_AUTOMATED_RULES) + "; 'none': no rule")


def _local_part(text: str) -> str:
    text = text.strip()
    if not text or "@" in text or "+" in text:
        raise Invalid(f"{text!r} must be a local part without @ or +")
    return text


OPTIONS = Options(TAP_ENV_PREFIX, [
    Option("listen", parse_listen, parse_listen(DEFAULT_LISTEN), "address to accept SMTP on", "HOST:PORT",
           shown=DEFAULT_LISTEN),
    Option("max_message_size", int, DEFAULT_MAX_MESSAGE_SIZE,
           "largest message accepted; larger ones get 552 (keep >= the MTA's message_size_limit)", "BYTES",
           check=between(1024, 1 << 31)),
    Option("body_chars", int, 4000, "characters of the plain-text body put in the event (0: none)", "N",
           check=between(0, 100_000)),
    Option("template_header", str.strip, "X-Template-Id",
           "header carrying the sending system's template id ('' : none)", "NAME"),
    automated_header_option("sender_kind=automated when this header rule matches: Name, Name=v1|v2 or Name!=v1|v2"),
    Option("journal_local", _local_part, "journal", "local part of the journal address (journal@..., "
           "journal+LOCAL=DOMAIN@...)", "LOCAL"),
    Option("produce_timeout", float, 10.0, "seconds to wait for the broker's acknowledgement before answering 451",
           "S", check=between(0.1, 600, " seconds")),
    Option("hostname", str, "mailflow-tap", "name in the SMTP greeting", "NAME"),
])


def _tap_parser(add_help: bool = True) -> argparse.ArgumentParser:
    return OPTIONS.parser(
        "mailflow tap smtp", add_help=add_help,
        description="SMTP journal receiver: each journalled message becomes one contract event on the "
                    "input topic (malformed mail: the dead-letter topic); answers 250 only after the broker "
                    "acknowledged it, 451 otherwise. Also takes every `mailflow worker` option "
                    "(--broker, --input-topic, --dlq-topic, --internal-domain, --metrics-port, ...).")


def parse_tap_settings(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> TapSettings:
    """Settings from flags and environment; raises :class:`ConfigError` listing every problem."""
    env = os.environ if env is None else env
    parsed = OPTIONS.parse(argv, env)
    worker = worker_settings("tap smtp", parsed.rest, env, parsed.problems)
    if parsed.problems:
        raise ConfigError(parsed.problems)
    o = parsed.values
    mime = MimeOptions(body_chars=o.body_chars, template_header=o.template_header, automated_rules=o.automated_header,
                       journal_local=o.journal_local, internal_domains=tuple(worker.internal_domains))
    return TapSettings(worker=worker, listen_host=o.listen[0], listen_port=o.listen[1],
                       max_message_size=o.max_message_size, produce_timeout=o.produce_timeout, hostname=o.hostname,
                       mime=mime)


# ----------------------------------------------------------------------------- metrics
class TapMetrics:
    """The tap's metrics on ``registry`` (label values from fixed sets only)."""

    def __init__(self, registry) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.messages = Counter("mailflow_tap_messages_total", "Journalled messages by outcome", ["result"],
                                registry=registry)
        for r in RESULTS:
            self.messages.labels(r)
        self.dead_letters = Counter("mailflow_tap_dead_letters_total", "Malformed messages dead-lettered, by reason",
                                    ["reason"], registry=registry)
        for r in TAP_REJECT_REASONS:
            self.dead_letters.labels(r)
        self.message_bytes = Histogram(
            "mailflow_tap_message_bytes", "Size of accepted journalled messages", registry=registry,
            buckets=(1e3, 4e3, 16e3, 64e3, 256e3, 1e6, 4e6, 16e6, 64e6, float("inf")))
        self.produce_seconds = Histogram(
            "mailflow_tap_produce_seconds", "Time from end of DATA to the broker's acknowledgement", registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, float("inf")))
        self.broker_up = Gauge("mailflow_tap_broker_up",
                               "1 when the last produce was acknowledged, 0 when it failed", registry=registry)
        self.sessions = Gauge("mailflow_tap_smtp_sessions", "Open SMTP sessions", registry=registry)


# ------------------------------------------------------------------------------- kafka
class BrokerUnavailable(Exception):
    """The broker did not acknowledge in time (the tap answers 451)."""


class KafkaSink:
    """Produces records and waits for the broker's acknowledgement, off the event loop.

    Built on :func:`streams.produce.make_producer` (kafka-python), with ``acks=all``.
    The producer is created on first use and re-created after a failed creation, so a
    tap started while the broker is down begins to work as soon as it is back.
    """

    def __init__(self, settings: TapSettings) -> None:
        self.settings = settings
        self.timeout = settings.produce_timeout
        self._producer = None
        self._failed_at = -1e9
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="mailflow-tap-kafka")
        #: topics a record was acknowledged for: sent from the event loop (see :meth:`send`)
        self._warm: set[str] = set()

    def _config(self) -> dict[str, Any]:
        w = self.settings.worker
        cfg: dict[str, Any] = dict(client_id="mailflow-tap-smtp", acks="all", linger_ms=1, retries=3)
        if w.security_protocol != "PLAINTEXT":
            cfg["security_protocol"] = w.security_protocol
            ctx = w.ssl_context()
            if ctx is not None:
                cfg["ssl_context"] = ctx
            if w.sasl_mechanism:
                cfg.update(sasl_mechanism=w.sasl_mechanism, sasl_plain_username=w.sasl_username,
                           sasl_plain_password=w.sasl_password)
        return cfg

    def _get(self):
        from kafka.errors import KafkaError

        with self._lock:
            if self._producer is None:
                # after a failed connection, answer 451 at once for a while instead of making every
                # message of a retrying MTA wait for its own connection timeout
                if time.monotonic() - self._failed_at < min(self.timeout, 5.0):
                    raise BrokerUnavailable("broker unreachable (recent connection attempt failed)")
                from streams.produce import make_producer

                try:
                    self._producer = make_producer(self.settings.worker.bootstrap_servers, timeout=self.timeout,
                                                   **self._config())
                except KafkaError:
                    self._failed_at = time.monotonic()
                    raise
            return self._producer

    def _send_sync(self, topic: str, key: bytes | None, value: bytes, headers) -> Any:
        from kafka.errors import KafkaError

        try:
            producer = self._get()
            fut = producer.send(topic, key=key, value=value, headers=list(headers or []))
            return fut.get(timeout=self.timeout)
        except KafkaError as exc:
            raise BrokerUnavailable(f"{type(exc).__name__}") from exc

    async def send(self, topic: str, key: bytes | None, value: bytes, headers=()) -> Any:
        """Produce one record and wait for the broker's acknowledgement.

        Once a record of ``topic`` was acknowledged (the producer is connected and knows the
        topic's partitions, so ``producer.send`` does not block), records are handed to the
        producer from the event loop and its acknowledgement comes back by callback: no
        thread of the pool waits per record. Otherwise, and after any failure, through the
        pool, where connecting and fetching metadata may block."""
        loop = asyncio.get_running_loop()
        producer = self._producer
        if producer is not None and topic in self._warm:
            return await self._send_direct(loop, producer, topic, key, value, headers)
        try:
            md = await asyncio.wait_for(
                loop.run_in_executor(self._executor, self._send_sync, topic, key, value, headers),
                timeout=3 * self.timeout + 5)
        except asyncio.TimeoutError:
            raise BrokerUnavailable("no acknowledgement") from None
        self._warm.add(topic)
        return md

    async def _send_direct(self, loop, producer, topic: str, key: bytes | None, value: bytes, headers) -> Any:
        from kafka.errors import KafkaError

        done = loop.create_future()

        def ok(md):
            loop.call_soon_threadsafe(lambda: done.done() or done.set_result(md))

        def failed(exc):
            loop.call_soon_threadsafe(lambda: done.done() or done.set_exception(
                BrokerUnavailable(type(exc).__name__)))

        try:
            fut = producer.send(topic, key=key, value=value, headers=list(headers or []))
            fut.add_callback(ok)
            fut.add_errback(failed)
            return await asyncio.wait_for(done, timeout=self.timeout)
        except asyncio.TimeoutError:
            self._warm.discard(topic)
            raise BrokerUnavailable("no acknowledgement") from None
        except (KafkaError, BrokerUnavailable) as exc:
            self._warm.discard(topic)  # the next records go through the pool (which may block)
            if isinstance(exc, BrokerUnavailable):
                raise
            raise BrokerUnavailable(type(exc).__name__) from exc

    def close(self) -> None:
        self._warm.clear()
        with self._lock:
            p, self._producer = self._producer, None
        if p is not None:
            try:
                p.close(timeout=5)
            except Exception:  # pragma: no cover - closing a broken producer
                pass
        self._executor.shutdown(wait=False)


# ----------------------------------------------------------------------------- handler
def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]


class JournalHandler:
    """aiosmtpd handler: one journalled message -> one acknowledged record, then 250."""

    def __init__(self, settings: TapSettings, sink, metrics: TapMetrics) -> None:
        self.settings = settings
        self.sink = sink
        self.metrics = metrics
        # messages are parsed one at a time: bounds the memory a burst of large ones takes
        self._parse = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mailflow-tap-parse")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    def _convert(self, data: bytes, mail_from: str | None, rcpt_tos: tuple[str, ...], arrival: float):
        """("event", key, value) | ("dead", key, reason, detail) | ("skip",) -- in the parse thread."""
        import orjson

        from detectors.errors import EventRejected
        from detectors.events import parse_event
        from streams.produce import sender_key

        from .mime import message_to_event

        try:
            event = message_to_event(data, mail_from, rcpt_tos, options=self.settings.mime, arrival=arrival)
        except MalformedMessage as exc:
            return ("dead", None, exc.reason, exc.detail)
        if event is None:
            return ("skip",)
        value = orjson.dumps(event)
        key = sender_key(value)
        try:
            parse_event(value)
        except EventRejected as exc:
            return ("dead", key, "invalid_event", f"{exc.reason}: {exc.detail}")
        return ("event", key, value)

    async def handle_DATA(self, server, session, envelope) -> str:
        m = self.metrics
        data: bytes = envelope.original_content or b""
        m.message_bytes.observe(len(data))
        loop = asyncio.get_running_loop()
        t0 = time.monotonic()
        try:
            out = await loop.run_in_executor(self._parse, self._convert, data, envelope.mail_from,
                                             tuple(envelope.rcpt_tos), time.time())
        except Exception as exc:
            # a bug in the tap: a retry would fail the same way, so the message is kept in the DLQ
            log.error("tap: converting a %d-byte message failed: %s", len(data), type(exc).__name__, exc_info=True)
            out = ("dead", None, "internal_error", f"conversion failed: {type(exc).__name__}")
        w = self.settings.worker
        try:
            if out[0] == "skip":
                m.messages.labels("not_outbound").inc()
                return "250 2.0.0 OK: not outbound (sender outside the internal domains)"
            if out[0] == "event":
                _, key, value = out
                await self.sink.send(w.input_topic, key, value)
                m.produce_seconds.observe(time.monotonic() - t0)
                m.broker_up.set(1)
                m.messages.labels("produced").inc()
                log.debug("tap: produced event of sender %s (%d bytes)", _short_hash(key.decode() if key else ""),
                          len(value))
                return "250 2.0.0 OK: event produced"
            _, key, reason, detail = out
            from streams.deadletter import make_dead_letter

            dl = make_dead_letter(data, key, reason, detail, DLQ_SOURCE, None, None, max_bytes=w.dead_letter_max_bytes)
            await self.sink.send(w.dlq_topic, dl.key, dl.value, dl.headers)
            m.produce_seconds.observe(time.monotonic() - t0)
            m.broker_up.set(1)
            m.messages.labels("dead_lettered").inc()
            m.dead_letters.labels(reason).inc()
            log.info("tap: a %d-byte message dead-lettered: %s%s", len(data), reason,
                     " (stored truncated)" if dl.truncated else "")
            return f"250 2.0.0 OK: dead-lettered ({reason})"
        except BrokerUnavailable as exc:
            m.broker_up.set(0)
            m.messages.labels("deferred").inc()
            log.warning("tap: broker did not acknowledge (%s); answered 451, the MTA retries", exc)
            return "451 4.4.3 Event broker unavailable, try again later"
        except Exception as exc:
            m.messages.labels("error").inc()
            log.error("tap: producing failed: %s", type(exc).__name__, exc_info=True)
            return "451 4.3.0 Internal error in the tap, try again later"

    def close(self) -> None:
        self._parse.shutdown(wait=False)


def _smtp_class():
    from aiosmtpd.smtp import SMTP

    class TapSMTP(SMTP):
        """aiosmtpd's SMTP, counting the 552s it answers itself and the open sessions."""

        metrics: TapMetrics | None = None

        def connection_made(self, transport):
            if self.metrics is not None:
                self.metrics.sessions.inc()
            super().connection_made(transport)

        def connection_lost(self, exc):
            if self.metrics is not None:
                self.metrics.sessions.dec()
            super().connection_lost(exc)

        async def push(self, status):
            if status.startswith("552") and self.metrics is not None:
                self.metrics.messages.labels("too_large").inc()
                log.warning("tap: refused a message over --max-message-size (%d bytes) with 552",
                            self.data_size_limit or 0)
            return await super().push(status)

    return TapSMTP


# ------------------------------------------------------------------------------ server
class SmtpTap:
    """The tap on an asyncio loop: ``await start()``, ``await stop()`` (also usable in-process)."""

    def __init__(self, settings: TapSettings, registry=None, sink=None) -> None:
        from prometheus_client import CollectorRegistry

        self.settings = settings
        self.registry = registry if registry is not None else CollectorRegistry()
        self.metrics = TapMetrics(self.registry)
        self.sink = sink if sink is not None else KafkaSink(settings)
        self.handler = JournalHandler(settings, self.sink, self.metrics)
        self.server: asyncio.base_events.Server | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.sockets[0].getsockname()[1]

    async def start(self) -> None:
        cls = _smtp_class()
        s = self.settings
        metrics = self.metrics

        def factory():
            proto = cls(self.handler, data_size_limit=s.max_message_size, hostname=s.hostname,
                        ident="mailflow tap smtp", enable_SMTPUTF8=True, decode_data=False)
            proto.metrics = metrics
            return proto

        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(factory, host=s.listen_host, port=s.listen_port)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            try:
                await asyncio.wait_for(self.server.wait_closed(), 5)
            except asyncio.TimeoutError:  # pragma: no cover - sessions still open
                pass
        self.handler.close()
        await asyncio.get_running_loop().run_in_executor(None, self.sink.close)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    return run_command("tap smtp", argv, env, parser=_tap_parser, parse=parse_tap_settings, serve=_serve)


def _serve(settings: TapSettings) -> int:
    w = settings.worker
    # aiosmtpd logs every SMTP command (MAIL FROM/RCPT TO addresses) at INFO, and kafka-python narrates
    # every connection at INFO: both only from debug on
    setup_logging(w.log_level, {"mail.log": logging.WARNING, "kafka": logging.WARNING}, w.log_format)
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry()
    tap = SmtpTap(settings, registry=registry)
    start_metrics(registry, w)

    async def run() -> int:
        try:
            await tap.start()
        except OSError as exc:
            raise Fail(f"cannot listen on {settings.listen}: {exc}") from None
        log.info("tap smtp listening on %s:%d; broker %s, input %s, dlq %s, max message %d bytes, metrics port %s",
                 settings.listen_host, tap.port, ",".join(w.bootstrap_servers), w.input_topic, w.dlq_topic,
                 settings.max_message_size, w.metrics_port)
        print(f"mailflow tap smtp: listening on {settings.listen_host}:{tap.port}", file=sys.stderr, flush=True)
        await until_stopped()
        log.info("tap smtp stopping")
        await tap.stop()
        return 0

    return asyncio.run(run())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
