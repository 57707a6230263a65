"""``mailflow tap milter``: a Postfix/Sendmail milter that turns each message into a contract event.

**The protocol is implemented here, in this module** (the subset a content milter needs,
protocol version 6 as Postfix speaks it), on asyncio. The libraries were weighed:
``pymilter`` is a C extension over Sendmail's libmilter (a build against Debian's
``libmilter-dev``, one thread per connection, a process-wide callback registry, which
makes two milters in one process -- the tap's and the guard's -- and in-test servers
awkward); ``purepythonmilter`` is a 0.0.1 alpha. The subset is small and fully specified
(``libmilter/docs`` and Postfix's MILTER_README): packets of a 4-byte length, a command
byte and data; option negotiation; macros; MAIL/RCPT/header/body/end-of-message; replies
``c`` continue, ``a`` accept, ``q`` quarantine (Postfix: the hold queue), ``t`` tempfail.
We negotiate "no reply" for every step but end-of-message, and skip connect/HELO/DATA/
unknown, so a message costs Postfix one round trip to the milter (with ``TCP_QUICKACK``, so
Postfix's Nagle algorithm does not wait 40 ms for our delayed ACKs of its small packets);
``MAILFLOW_MILTER_NO_REPLY=0`` answers every step instead, for an MTA that mishandles it.

The tap (:class:`TapMilterHandler`) answers **accept at once** at end of message and builds
and produces the event afterwards, off the SMTP path (the milter never delays mail:
``--wait-ack S`` > 0 waits up to S seconds for the broker's acknowledgement first; any
error or timeout is an accept too, with Postfix's ``milter_default_action = accept`` for a
dead milter). Unlike the journal tap it cannot make Postfix retry an event the broker did
not take (that would mean delaying customers' mail): such an event goes to a local spool
on disk (:mod:`streams.taps.spool`, ``--spool-dir``; counted ``spooled``) and is sent again
once the broker answers, also after a restart (at least once). What it sees that the
journal tap does not: every **envelope recipient** (so Bcc) and the **queue id**
(``{i}`` macro, put in the event as the extra field ``queue_id``; CONTRACT §1 ignores fields
it does not list). The message is rebuilt from the headers and body Postfix sends
(:func:`MilterMessage.raw`) and converted by :func:`streams.taps.mime.message_to_event`,
the journal tap's own conversion.

Settings: the flags below plus every ``mailflow worker`` setting (``--broker``,
``--input-topic``, ``--dlq-topic``, ``--internal-domain``, ``--metrics-port``, ...), from
flags or the same ``MAILFLOW_*`` environment variables; the milter's own also from
``MAILFLOW_MILTER_*``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import logging
import os
import quopri
import re
import struct
import sys
import time
from email.header import decode_header, make_header
from email.utils import getaddresses
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping, Sequence

from detectors.errors import ConfigError
from streams.frontend import (METRICS_PORTS, Fail, Option, Options, between, parse_listen, run_command, setup_logging,
                              start_metrics, until_stopped, worker_settings)

from .smtp import automated_header_option

__all__ = [
    "MilterMessage", "Verdict", "ACCEPT", "MilterServer", "MilterSettings", "parse_milter_settings",
    "TapMilterHandler", "TapMilterMetrics", "MtaClient", "milter_options", "milter_settings",
    "message_event", "fast_event", "main",
]

log = logging.getLogger("mailflow.tap.milter")

DEFAULT_LISTEN = "127.0.0.1:10026"
DEFAULT_METRICS_PORT = METRICS_PORTS["tap milter"]
MILTER_ENV_PREFIX = "MAILFLOW_MILTER_"
MILTER_VERSION = 6
#: largest packet accepted (Postfix sends body chunks of at most 64 KiB)
MAX_PACKET = 1 << 20

# commands (MTA -> milter)
SMFIC_ABORT, SMFIC_BODY, SMFIC_CONNECT, SMFIC_MACRO = b"A", b"B", b"C", b"D"
SMFIC_BODYEOB, SMFIC_HELO, SMFIC_QUIT_NC, SMFIC_HEADER = b"E", b"H", b"K", b"L"
SMFIC_MAIL, SMFIC_EOH, SMFIC_OPTNEG, SMFIC_QUIT = b"M", b"N", b"O", b"Q"
SMFIC_RCPT, SMFIC_DATA, SMFIC_UNKNOWN = b"R", b"T", b"U"
# replies (milter -> MTA)
SMFIR_ACCEPT, SMFIR_CONTINUE, SMFIR_QUARANTINE, SMFIR_TEMPFAIL = b"a", b"c", b"q", b"t"
# actions we may ask for
SMFIF_QUARANTINE = 0x20
# protocol flags
SMFIP_NOCONNECT, SMFIP_NOHELO, SMFIP_NR_HDR, SMFIP_NOUNKNOWN, SMFIP_NODATA = 0x1, 0x2, 0x80, 0x100, 0x200
SMFIP_NR_CONN, SMFIP_NR_HELO, SMFIP_NR_MAIL, SMFIP_NR_RCPT = 0x1000, 0x2000, 0x4000, 0x8000
SMFIP_NR_DATA, SMFIP_NR_UNKN, SMFIP_NR_EOH, SMFIP_NR_BODY = 0x10000, 0x20000, 0x40000, 0x80000
#: what we ask the MTA to skip or not wait for (ANDed with what it offers)
WANT_PROTOCOL = (SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NR_HDR | SMFIP_NR_CONN
                 | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_DATA | SMFIP_NR_UNKN | SMFIP_NR_EOH
                 | SMFIP_NR_BODY)
_ALL_NR = (SMFIP_NR_HDR | SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_DATA
           | SMFIP_NR_UNKN | SMFIP_NR_EOH | SMFIP_NR_BODY)
_STEP_NR = {SMFIC_CONNECT: SMFIP_NR_CONN, SMFIC_HELO: SMFIP_NR_HELO, SMFIC_MAIL: SMFIP_NR_MAIL,
            SMFIC_RCPT: SMFIP_NR_RCPT, SMFIC_DATA: SMFIP_NR_DATA, SMFIC_UNKNOWN: SMFIP_NR_UNKN,
            SMFIC_EOH: SMFIP_NR_EOH, SMFIC_BODY: SMFIP_NR_BODY, SMFIC_HEADER: SMFIP_NR_HDR}


def _addr(arg: bytes) -> str:
    return arg.split(b"\0", 1)[0].decode("utf-8", "replace").strip().strip("<>").strip()


@dataclass
class MilterMessage:
    """One message as the MTA showed it to the milter."""

    mail_from: str = ""
    rcpts: list[str] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)
    body_size: int = 0  # bytes the MTA sent (body may hold fewer: max_body)
    macros: dict[str, str] = field(default_factory=dict)

    @property
    def queue_id(self) -> str | None:
        return self.macros.get("i") or None

    def raw(self) -> bytes:
        """The message rebuilt as RFC 5322 bytes (headers as sent, CRLF; the kept body)."""
        out = bytearray()
        for name, value in self.headers:
            v = value.replace("\r\n", "\n").replace("\n", "\r\n")
            out += f"{name}: {v}\r\n".encode("utf-8", "surrogateescape")
        out += b"\r\n"
        out += self.body
        return bytes(out)

    def header(self, name: str) -> str | None:
        n = name.lower()
        for k, v in self.headers:
            if k.lower() == n:
                return v
        return None


@dataclass(frozen=True)
class Verdict:
    """The end-of-message answer: ``accept``, ``quarantine`` (with a reason) or ``tempfail``."""

    action: str = "accept"
    reason: str = ""


ACCEPT = Verdict("accept")

Handler = Callable[[MilterMessage], Awaitable[Verdict]]


def _packet(cmd: bytes, data: bytes = b"") -> bytes:
    return struct.pack(">I", len(data) + 1) + cmd + data


def encode_verdict(v: Verdict) -> bytes:
    if v.action == "quarantine":
        reason = (v.reason or "held by mailflow").replace("\0", " ").encode("utf-8", "replace")[:900]
        return _packet(SMFIR_QUARANTINE, reason + b"\0") + _packet(SMFIR_ACCEPT)
    if v.action == "tempfail":
        return _packet(SMFIR_TEMPFAIL)
    return _packet(SMFIR_ACCEPT)


class MilterServer:
    """The milter protocol on ``host:port``; ``handler(message) -> Verdict`` at end of message.

    The handler gets at most ``timeout`` seconds; on timeout or error the answer is
    accept (fail open). ``max_body`` bounds the body bytes kept per message.
    """

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 10026, timeout: float = 1.0,
                 max_body: int = 2 * 1024 * 1024, quarantine: bool = False,
                 on_verdict: Callable[[Verdict, float], None] | None = None, no_reply: bool | None = None) -> None:
        self.handler = handler
        # negotiate "no reply" steps (one round trip per message) unless MAILFLOW_MILTER_NO_REPLY=0
        self.no_reply = (os.environ.get("MAILFLOW_MILTER_NO_REPLY", "1") != "0") if no_reply is None else no_reply
        self.host, self.port = host, port
        self.timeout = timeout
        self.max_body = max_body
        self.quarantine = quarantine  # ask for SMFIF_QUARANTINE in the negotiation
        self.on_verdict = on_verdict
        self.server: asyncio.base_events.Server | None = None
        self.sessions = 0
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def bound_port(self) -> int:
        assert self.server is not None
        return self.server.sockets[0].getsockname()[1]

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, self.host, self.port)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            for w in list(self._writers):  # open MTA sessions end too (Postfix reconnects or accepts)
                w.close()
            try:
                await asyncio.wait_for(self.server.wait_closed(), 2)
            except asyncio.TimeoutError:  # pragma: no cover
                pass

    async def _verdict(self, msg: MilterMessage) -> Verdict:
        t0 = time.perf_counter()
        try:
            v = await asyncio.wait_for(self.handler(msg), self.timeout)
        except asyncio.TimeoutError:
            log.warning("milter: no verdict within %.2fs; accepted (fail open)", self.timeout)
            v = ACCEPT
        except Exception:
            log.error("milter: the handler failed; accepted (fail open)", exc_info=True)
            v = ACCEPT
        if v.action == "quarantine" and not self.quarantine:
            v = ACCEPT
        if self.on_verdict is not None:
            try:
                self.on_verdict(v, time.perf_counter() - t0)
            except Exception:  # pragma: no cover - metrics must not break mail
                pass
        return v

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.sessions += 1
        self._writers.add(writer)
        sock = writer.get_extra_info("socket")
        quickack = None
        if sock is not None:
            import socket as _socket

            try:
                sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            except OSError:  # pragma: no cover
                pass
            # With "no reply" steps, Postfix writes several small packets in a row without
            # waiting; its Nagle algorithm then waits for our ACK of the first one, which the
            # kernel delays by up to 40 ms when we send nothing back. TCP_QUICKACK (Linux; not
            # sticky, so renewed after every read) makes those ACKs immediate.
            if hasattr(_socket, "TCP_QUICKACK"):
                def quickack(_s=sock, _o=_socket.TCP_QUICKACK, _l=_socket.IPPROTO_TCP) -> None:
                    try:
                        _s.setsockopt(_l, _o, 1)
                    except OSError:  # pragma: no cover
                        pass
                quickack()
        protocol = 0  # negotiated protocol flags
        msg = MilterMessage()
        pending_macros: dict[str, str] = {}
        try:
            while True:
                head = await reader.readexactly(4)
                (length,) = struct.unpack(">I", head)
                if not 1 <= length <= MAX_PACKET:
                    raise ValueError(f"bad milter packet length {length}")
                pkt = await reader.readexactly(length)
                if quickack is not None:
                    quickack()
                cmd, data = pkt[:1], pkt[1:]
                if cmd == SMFIC_OPTNEG:
                    version, actions, offered = struct.unpack(">III", data[:12])
                    protocol = offered & (WANT_PROTOCOL if self.no_reply else WANT_PROTOCOL & ~_ALL_NR)
                    want_actions = (SMFIF_QUARANTINE if self.quarantine else 0) & actions
                    writer.write(_packet(SMFIC_OPTNEG, struct.pack(">III", min(version, MILTER_VERSION),
                                                                   want_actions, protocol)))
                    await writer.drain()
                    continue
                if cmd == SMFIC_MACRO:
                    parts = data[1:].split(b"\0")
                    for k, v in zip(parts[0::2], parts[1::2]):
                        name = k.decode("utf-8", "replace").strip("{}")
                        pending_macros[name] = v.decode("utf-8", "replace")
                    msg.macros.update(pending_macros)
                    pending_macros = {}
                    continue
                if cmd == SMFIC_MAIL:
                    macros = msg.macros
                    msg = MilterMessage(mail_from=_addr(data), macros=dict(macros))
                elif cmd == SMFIC_RCPT:
                    if len(msg.rcpts) < 10000:
                        msg.rcpts.append(_addr(data))
                elif cmd == SMFIC_HEADER:
                    name, _, rest = data.partition(b"\0")
                    value = rest.rstrip(b"\0")
                    if len(msg.headers) < 2000:
                        msg.headers.append((name.decode("utf-8", "replace"), value.decode("utf-8", "surrogateescape")))
                elif cmd == SMFIC_BODY:
                    msg.body_size += len(data)
                    room = self.max_body - len(msg.body)
                    if room > 0:
                        msg.body += data[:room]
                elif cmd == SMFIC_BODYEOB:
                    if data:
                        msg.body_size += len(data)
                        room = self.max_body - len(msg.body)
                        if room > 0:
                            msg.body += data[:room]
                    writer.write(encode_verdict(await self._verdict(msg)))
                    await writer.drain()
                    msg = MilterMessage(macros={k: v for k, v in msg.macros.items() if k != "i"})
                    continue
                elif cmd == SMFIC_ABORT:
                    msg = MilterMessage(macros={k: v for k, v in msg.macros.items() if k != "i"})
                    continue
                elif cmd == SMFIC_QUIT:
                    break
                elif cmd == SMFIC_QUIT_NC:
                    msg = MilterMessage()
                    continue
                # every other step: a reply unless "no reply" was negotiated for it
                nr = _STEP_NR.get(cmd)
                if nr is None or not protocol & nr:
                    writer.write(_packet(SMFIR_CONTINUE))
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except (ValueError, struct.error) as exc:
            log.warning("milter: closing a session: %s", exc)
        finally:
            self.sessions -= 1
            self._writers.discard(writer)
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):  # pragma: no cover
                pass


# --------------------------------------------------------------- the MTA side (tests, bench)
class MtaClient:
    """The MTA's side of the protocol, blocking, for tests and ``bench/guard_milter.py``:
    ``send_message(mail_from, rcpts, raw) -> (verdict letter, quarantine reason)``.

    Offers what Postfix 3.7 offers (all actions, every protocol step flag) and honours
    the flags the milter negotiated (no reply expected where it asked for none).
    """

    def __init__(self, host: str, port: int, timeout: float = 10.0) -> None:
        import socket

        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.protocol = 0
        self._out = bytearray()  # buffered like Postfix's stream: flushed when a reply is awaited
        self.sock.sendall(_packet(SMFIC_OPTNEG, struct.pack(">III", 6, 0x1FF, 0x1FFFFF)))
        cmd, data = self._read()
        assert cmd == SMFIC_OPTNEG, cmd
        _, self.actions, self.protocol = struct.unpack(">III", data[:12])
        self._n = 0

    def _send(self, data: bytes) -> None:
        self._out += data

    def _read(self) -> tuple[bytes, bytes]:
        if self._out:
            self.sock.sendall(self._out)
            self._out.clear()
        head = self._exact(4)
        (n,) = struct.unpack(">I", head)
        pkt = self._exact(n)
        return pkt[:1], pkt[1:]

    def _exact(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("milter closed the connection")
            buf += chunk
        return bytes(buf)

    def _step(self, cmd: bytes, data: bytes, skip_flag: int = 0) -> None:
        if skip_flag and self.protocol & skip_flag:
            return
        self._send(_packet(cmd, data))
        nr = _STEP_NR.get(cmd)
        if nr is not None and not self.protocol & nr:
            c, _ = self._read()
            assert c == SMFIR_CONTINUE, c

    def send_message(self, mail_from: str, rcpts: Sequence[str], raw: bytes,
                     queue_id: str | None = None) -> tuple[str, str]:
        self._n += 1
        qid = queue_id or f"Q{os.getpid():X}{self._n:06X}"
        self._step(SMFIC_CONNECT, b"localhost\x004\x00\x00127.0.0.1\x00", SMFIP_NOCONNECT)
        self._step(SMFIC_HELO, b"client.example\x00", SMFIP_NOHELO)
        self._send(_packet(SMFIC_MACRO, b"M" + b"i\x00" + qid.encode() + b"\x00"))
        self._step(SMFIC_MAIL, f"<{mail_from}>".encode() + b"\x00")
        for r in rcpts:
            self._step(SMFIC_RCPT, f"<{r}>".encode() + b"\x00")
        self._step(SMFIC_DATA, b"", SMFIP_NODATA)
        head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
        lines = head.split(b"\n")
        headers: list[list[bytes]] = []
        for ln in lines:
            if ln[:1] in (b" ", b"\t") and headers:
                headers[-1][1] += b"\n" + ln
            elif b":" in ln:
                k, _, v = ln.partition(b":")
                headers.append([k, v.lstrip(b" ")])
        for k, v in headers:
            self._step(SMFIC_HEADER, k + b"\x00" + v + b"\x00")
        self._step(SMFIC_EOH, b"")
        body = body.replace(b"\n", b"\r\n")
        for i in range(0, len(body), 65535):
            self._step(SMFIC_BODY, body[i:i + 65535])
        self._send(_packet(SMFIC_BODYEOB, b""))
        reason = ""
        while True:
            c, data = self._read()
            if c == SMFIR_QUARANTINE:
                reason = data.rstrip(b"\0").decode()
                continue
            return c.decode(), reason

    def close(self) -> None:
        try:
            self.sock.sendall(_packet(SMFIC_QUIT))
        except OSError:
            pass
        self.sock.close()


# ------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class MilterSettings:
    """The milter's own settings plus the worker's (:class:`streams.settings.WorkerSettings`)."""

    worker: Any
    listen_host: str = "127.0.0.1"
    listen_port: int = 10026
    timeout: float = 1.0
    wait_ack: float = 0.0
    max_body: int = 2 * 1024 * 1024
    mime: Any = None  # MimeOptions
    #: the tap's spool of records the broker did not take ("": none; the tap alone)
    spool_dir: str = ""
    spool_max_bytes: int = 1 << 30

    @property
    def listen(self) -> str:
        return f"{self.listen_host}:{self.listen_port}"


def _listen(text: str) -> tuple[str, int] | None:
    return parse_listen(text) if text else None


def milter_options(listen_name: str = "listen", listen_default: str = DEFAULT_LISTEN,
                   listen_shown: str | None = None) -> list[Option]:
    """The milter's options (shared by ``mailflow tap milter`` and ``mailflow guard --milter-listen``).

    The listen address is read into ``listen_name`` (None: no milter)."""
    return [
        Option(listen_name, _listen, _listen(listen_default), "address the milter listens on (Postfix smtpd_milters "
               "= inet:HOST:PORT)", "HOST:PORT", shown=listen_shown or listen_default),
        Option("milter_timeout", float, 1.0, "longest time the milter takes for a message before it accepts it anyway",
               "S", check=between(0.01, 60, " seconds"), env="TIMEOUT"),
        Option("body_chars", int, 4000, "characters of the plain-text body put in the event", "N",
               check=between(0, 100_000)),
        Option("template_header", str.strip, "X-Template-Id", "header carrying the template id", "NAME"),
        automated_header_option("sender_kind=automated rule, as for `mailflow tap smtp`"),
        Option("max_body_bytes", int, 2 * 1024 * 1024, "body bytes kept per message (the rest is counted, not kept)",
               "BYTES", check=between(1024, 1 << 30)),
    ]


WAIT_ACK = Option("wait_ack", float, 0.0, "wait up to S seconds for the broker before accepting", "S",
                  check=between(0, 30, " seconds"))
SPOOL_OPTIONS = [
    Option("spool_dir", str.strip, None, "where events the broker did not take wait to be sent again ('none': "
           "they are counted as failed and lost)", "DIR", shown="$MAILFLOW_DATA_DIR/milter-spool"),
    Option("spool_max_bytes", int, 1 << 30, "most bytes the spool keeps (beyond: counted as failed)", "BYTES",
           check=between(1 << 20, 1 << 40)),
]
OPTIONS = Options(MILTER_ENV_PREFIX, [WAIT_ACK] + milter_options() + SPOOL_OPTIONS)


def milter_settings(values, worker, listen_name: str = "listen") -> MilterSettings:
    """:class:`MilterSettings` from the values of :func:`milter_options` (port -1: no milter)."""
    from .mime import MimeOptions

    mime = MimeOptions(body_chars=values.body_chars, template_header=values.template_header,
                       automated_rules=values.automated_header, internal_domains=tuple(worker.internal_domains))
    host, port = getattr(values, listen_name) or ("", -1)
    spool = getattr(values, "spool_dir", "")
    if spool is None:  # the tap's default
        spool = os.path.join(worker.data_dir, "milter-spool")
    return MilterSettings(worker=worker, listen_host=host, listen_port=port, timeout=values.milter_timeout,
                          wait_ack=getattr(values, "wait_ack", 0.0), max_body=values.max_body_bytes, mime=mime,
                          spool_dir="" if spool.lower() == "none" else spool,
                          spool_max_bytes=getattr(values, "spool_max_bytes", 1 << 30))


def parse_milter_settings(argv: Sequence[str] | None = None,
                          env: Mapping[str, str] | None = None) -> tuple[MilterSettings, Any]:
    """Settings from flags and environment; raises :class:`ConfigError` listing every problem.

    Returns the settings and the values read (one attribute per option).
    """
    env = os.environ if env is None else env
    parsed = OPTIONS.parse(argv, env)
    worker = worker_settings("tap milter", parsed.rest, env, parsed.problems)
    if parsed.problems:
        raise ConfigError(parsed.problems)
    return milter_settings(parsed.values, worker), parsed.values


# ------------------------------------------------------------------------------ tap
TAP_RESULTS = ("produced", "dead_lettered", "not_outbound", "spooled", "failed")


class TapMilterMetrics:
    def __init__(self, registry) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.messages = Counter("mailflow_tap_milter_messages_total", "Messages seen by the tap milter, by outcome",
                                ["result"], registry=registry)
        for r in TAP_RESULTS:
            self.messages.labels(r)
        self.verdict_seconds = Histogram(
            "mailflow_tap_milter_verdict_seconds", "Time from end of message to the milter's answer",
            registry=registry, buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 1, float("inf")))
        self.spool_records = Gauge("mailflow_tap_milter_spool_records",
                                   "Records the broker did not take, kept in the spool to be sent again",
                                   registry=registry)
        self.spool_resent = Counter("mailflow_tap_milter_spool_resent_total",
                                    "Spooled records sent to the broker after all", registry=registry)


# ------------------------------------------------------------------------ the fast path
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_CHARSET = re.compile(r"""charset\s*=\s*"?([A-Za-z0-9._:+-]+)""", re.IGNORECASE)


class _Headers:
    """What :class:`streams.taps.mime.HeaderRule` needs of a message (``get_all``)."""

    def __init__(self, headers: list[tuple[str, str]]) -> None:
        self._h: dict[str, list[str]] = {}
        for k, v in headers:
            self._h.setdefault(k.lower(), []).append(v)

    def get_all(self, name: str, failobj=None):
        return self._h.get(name.lower(), failobj)

    def first(self, name: str) -> str | None:
        v = self._h.get(name.lower())
        return v[0] if v else None

    def get(self, name: str, failobj=None):
        v = self.first(name)
        return failobj if v is None else _FOLD.sub("", v).strip()


def _unfold(v: str) -> str:
    v = _FOLD.sub("", v).strip()
    if "=?" in v:
        try:
            v = str(make_header(decode_header(v)))
        except Exception:  # an encoded word the decoder refuses: keep it as it came
            pass
    return v


def fast_event(msg: MilterMessage, options: Any, arrival: float) -> dict | None:
    """The contract event of a **single-part text/plain** message, built from the headers the
    milter already has, without the ``email`` package's header registry (about 10x cheaper:
    the guard's inline scoring and the tap's CPU per message). The same fields and rules as
    :func:`streams.taps.mime.message_to_event` (its address cleaning, id and rule helpers);
    ``None`` for any other shape (multipart, HTML, attachments, no usable sender): the caller
    then uses ``message_to_event`` itself. ``{}``: not outbound (outside the internal domains).
    """
    from . import mime

    h = _Headers(msg.headers)
    ctype = (h.first("Content-Type") or "text/plain").strip()
    if not ctype.lower().startswith("text/plain") or h.first("Content-Disposition"):
        return None

    def addrs(name: str) -> list[str]:
        vals = h.get_all(name) or []
        out = []
        for _, a in getaddresses([_FOLD.sub("", v) for v in vals]):
            c = mime._clean_address(a)
            if c is not None:
                out.append(c)
        return out

    froms = addrs("From")
    sender = froms[0] if len(froms) == 1 else None
    if sender is None:
        senders = addrs("Sender")
        sender = senders[0] if senders else (froms[0] if froms else None)
    if sender is None:
        return None
    if options.internal_domains:
        domain = sender.rpartition("@")[2]
        if not any(domain == d or domain.endswith("." + d) for d in options.internal_domains):
            return {}
    to = list(dict.fromkeys(addrs("To")))
    cc = [a for a in dict.fromkeys(addrs("Cc")) if a not in to]
    visible = set(to) | set(cc)
    bcc = [a for a in dict.fromkeys(addrs("Bcc") + mime.journal_recipients(msg.rcpts, options.journal_local))
           if a not in visible]
    if not (to or cc or bcc) or len(to) + len(cc) + len(bcc) > 1000:
        return None
    mid = mime._first_id(h.first("Message-ID"))
    event: dict[str, Any] = {"event_id": mid or mime.digest_id(msg.raw()), "ts": mime._timestamp(h, arrival),
                             "sender": sender}
    if to:
        event["to"] = to
    if cc:
        event["cc"] = cc
    if bcc:
        event["bcc"] = bcc
    subject = h.first("Subject")
    if subject is not None and _unfold(subject):
        event["subject"] = _unfold(subject)
    irt = mime._first_id(h.first("In-Reply-To"))
    if irt:
        event["in_reply_to"] = irt
    thread = mime._first_id(h.first("References")) or irt
    if thread:
        event["thread_id"] = thread
    if options.template_header:
        tid = h.first(options.template_header)
        if tid and tid.strip():
            event["template_id"] = _unfold(tid)[:1024]
    for rule in options.automated_rules:
        if rule.matches(h):
            event["sender_kind"] = "automated"
            break
    if options.body_chars > 0 and msg.body:
        cte = (h.first("Content-Transfer-Encoding") or "").strip().lower()
        m = _CHARSET.search(ctype)
        enc = bytes(msg.body[: min(len(msg.body), options.max_body_scan, options.body_chars * 16 + 1024)])
        if cte == "base64":
            data = re.sub(rb"[^A-Za-z0-9+/]", b"", enc)
            try:
                raw = base64.b64decode(data[: len(data) - len(data) % 4])
            except (binascii.Error, ValueError):
                raw = b""
        elif cte == "quoted-printable":
            if len(enc) < len(msg.body):
                cut = enc.rfind(b"\n")
                enc = enc[: cut + 1] if cut > 0 else enc
            raw = quopri.decodestring(enc)
        else:
            raw = enc
        try:
            text = raw.decode(m.group(1) if m else "utf-8", "replace")
        except LookupError:
            text = raw.decode("utf-8", "replace")
        body = text.replace("\r\n", "\n").replace("\r", "\n").strip()[: options.body_chars]
        if body:
            event["body"] = body
    return event


def message_event(msg: MilterMessage, options, arrival: float | None = None):
    """``("event", key, value_bytes, event)`` | ``("dead", key, reason, detail)`` | ``("skip",)``."""
    import orjson

    from detectors.errors import EventRejected
    from detectors.events import parse_event
    from streams.produce import sender_key

    from .mime import MalformedMessage, message_to_event

    event = fast_event(msg, options, time.time() if arrival is None else arrival)
    if event == {}:
        return ("skip",)
    if event is None:
        raw = msg.raw()
        try:
            event = message_to_event(raw, msg.mail_from, tuple(msg.rcpts), options=options, arrival=arrival)
        except MalformedMessage as exc:
            return ("dead", None, exc.reason, exc.detail, raw)
        if event is None:
            return ("skip",)
    if msg.queue_id:
        event["queue_id"] = msg.queue_id
    value = orjson.dumps(event)
    key = sender_key(value)
    try:
        parse_event(value)
    except EventRejected as exc:
        return ("dead", key, "invalid_event", f"{exc.reason}: {exc.detail}", msg.raw())
    return ("event", key, value, event)


class TapMilterHandler:
    """Accept at once; build the event and produce it in the background (or wait ``wait_ack``).

    A record the broker does not take goes to ``spool`` (:class:`streams.taps.spool.Spool`;
    counted ``spooled``), and :meth:`resend_spooled` sends it later; without a spool, or
    with the spool full, it is counted ``failed`` and logged."""

    def __init__(self, settings: MilterSettings, sink, metrics: TapMilterMetrics, spool=None) -> None:
        self.settings = settings
        self.sink = sink
        self.metrics = metrics
        self.spool = spool
        self._tasks: set[asyncio.Task] = set()
        if spool is not None:
            metrics.spool_records.set(spool.records)

    async def _produce(self, msg: MilterMessage) -> None:
        from streams.deadletter import make_dead_letter

        w = self.settings.worker
        loop = asyncio.get_running_loop()
        try:
            out = await loop.run_in_executor(None, message_event, msg, self.settings.mime, time.time())
        except Exception as exc:  # a conversion bug: nothing to send or keep
            self.metrics.messages.labels("failed").inc()
            log.warning("tap milter: no event built (%s); the message was delivered", type(exc).__name__)
            return
        if out[0] == "skip":
            self.metrics.messages.labels("not_outbound").inc()
            return
        if out[0] == "event":
            record, result = (w.input_topic, out[1], out[2], ()), "produced"
        else:
            _, key, reason, detail, raw = out
            dl = make_dead_letter(raw, key, reason, detail, "milter-tap", None, None,
                                  max_bytes=w.dead_letter_max_bytes)
            record, result = (w.dlq_topic, dl.key, dl.value, dl.headers), "dead_lettered"
        try:
            await self.sink.send(*record)
        except Exception as exc:
            await self._keep(record, exc)
            return
        self.metrics.messages.labels(result).inc()

    async def _keep(self, record: tuple, exc: BaseException) -> None:
        """The broker did not take ``record``: into the spool, or counted as failed."""
        spool = self.spool
        if spool is not None:
            kept = await asyncio.get_running_loop().run_in_executor(None, lambda: spool.append(*record))
            if kept:
                self.metrics.messages.labels("spooled").inc()
                self.metrics.spool_records.set(spool.records)
                return
        self.metrics.messages.labels("failed").inc()
        log.warning("tap milter: an event was not produced (%s)%s; the message was delivered", type(exc).__name__,
                    "" if spool is None else ", and the spool is full or not writable")

    async def resend_spooled(self) -> int:
        """Send what the spool keeps (oldest first, until the broker refuses); returns how many."""
        spool = self.spool
        if spool is None or not spool.records:
            return 0
        try:
            n = await spool.resend(self.sink.send)
        except OSError as exc:
            log.warning("tap milter: the spool could not be read (%s)", type(exc).__name__)
            n = 0
        if n:
            self.metrics.spool_resent.inc(n)
            log.info("tap milter: sent %d spooled record(s); %d left", n, spool.records)
        self.metrics.spool_records.set(spool.records)
        return n

    async def resend_loop(self, interval: float = 5.0) -> None:
        """:meth:`resend_spooled` now and every ``interval`` seconds (the tap's background task)."""
        while True:
            try:
                await self.resend_spooled()
            except Exception:  # a send raising something unexpected: try again later
                log.warning("tap milter: resending the spool failed", exc_info=True)
            await asyncio.sleep(interval)

    #: events being built or produced at once; beyond that a message is accepted without one
    #: (counted ``failed``), so a broker that stopped acknowledging cannot grow memory without bound
    MAX_PENDING = 1000

    async def __call__(self, msg: MilterMessage) -> Verdict:
        if len(self._tasks) >= self.MAX_PENDING:
            self.metrics.messages.labels("failed").inc()
            log.warning("tap milter: %d events pending; accepted a message without producing its event",
                        len(self._tasks))
            return ACCEPT
        task = asyncio.ensure_future(self._produce(msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if self.settings.wait_ack > 0:
            try:
                await asyncio.wait_for(asyncio.shield(task), self.settings.wait_ack)
            except asyncio.TimeoutError:
                pass
        return ACCEPT

    async def drain(self, timeout: float = 10.0) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)


def _parser() -> argparse.ArgumentParser:
    return OPTIONS.parser("mailflow tap milter", description=(
        "Milter tap: Postfix (smtpd_milters = inet:HOST:PORT, milter_default_action = accept) shows each "
        "message to it; it accepts at once and produces one contract event (envelope recipients, so Bcc, "
        "and the queue id) to the input topic. Also takes every `mailflow worker` option."))


def _sink(settings: MilterSettings):
    from .smtp import KafkaSink, TapSettings

    return KafkaSink(TapSettings(worker=settings.worker, produce_timeout=5.0))


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    return run_command("tap milter", argv, env, parser=_parser, parse=lambda a, e: parse_milter_settings(a, e)[0],
                       serve=_serve_tap)


def _serve_tap(settings: MilterSettings) -> int:
    w = settings.worker
    setup_logging(w.log_level, {"kafka": logging.WARNING}, w.log_format)
    # the event is built and produced in threads after the accept; a short GIL switch interval
    # (default 5 ms) lets the event loop answer the next message without waiting for them
    sys.setswitchinterval(0.0005)
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry()
    metrics = TapMilterMetrics(registry)
    start_metrics(registry, w)
    sink = _sink(settings)
    spool = None
    if settings.spool_dir:
        from .spool import Spool, SpoolError

        try:
            spool = Spool(settings.spool_dir, settings.spool_max_bytes)
        except SpoolError as exc:
            raise Fail(str(exc)) from None
    handler = TapMilterHandler(settings, sink, metrics, spool)
    server = MilterServer(handler, settings.listen_host, settings.listen_port, timeout=settings.timeout,
                          max_body=settings.max_body,
                          on_verdict=lambda v, s: metrics.verdict_seconds.observe(s))

    async def run() -> int:
        try:
            await server.start()
        except OSError as exc:
            raise Fail(f"cannot listen on {settings.listen}: {exc}") from None
        log.info("tap milter listening on %s:%d; broker %s, input %s", settings.listen_host, server.bound_port,
                 ",".join(w.bootstrap_servers), w.input_topic)
        print(f"mailflow tap milter: listening on {settings.listen_host}:{server.bound_port}", file=sys.stderr, flush=True)
        if spool is not None and spool.records:
            log.info("tap milter: %d spooled record(s) from before the start wait to be sent", spool.records)
        resender = asyncio.ensure_future(handler.resend_loop()) if spool is not None else None
        await until_stopped()
        await server.stop()
        await handler.drain()
        if resender is not None:
            resender.cancel()
            spool.close()
        await asyncio.get_running_loop().run_in_executor(None, sink.close)
        return 0

    return asyncio.run(run())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
