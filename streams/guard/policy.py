"""Postfix's policy delegation protocol (SMTPD_POLICY_README), server side, on asyncio.

Postfix (``check_policy_service inet:HOST:PORT``) opens a connection and sends, per
request, ``name=value`` lines ending with an empty line; the server answers one
``action=...`` line and an empty line. A connection carries many requests. This module
parses those blocks (:func:`parse_request`, :class:`RequestReader`) and serves them with
a ``decide(request) -> action`` callback (:class:`PolicyServer`).

Only ``request=smtpd_access_policy`` is known; any other request (or a broken one) is
answered ``DUNNO``, so Postfix goes on with its other restrictions. A block larger than
:data:`MAX_REQUEST_BYTES` closes the connection (Postfix then applies its
``default_action``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Mapping

__all__ = ["parse_request", "RequestReader", "PolicyServer", "format_action", "MAX_REQUEST_BYTES"]

log = logging.getLogger("mailflow.guard.policy")

MAX_REQUEST_BYTES = 64 * 1024
_MAX_LINE = 8 * 1024


def parse_request(block: bytes | str) -> dict[str, str]:
    """The attributes of one request block (``name=value`` lines; the empty end line optional).

    Names are lower-cased; a value keeps everything after the first ``=``; lines without
    ``=`` are ignored; a repeated name keeps its last value.

    >>> parse_request(b"request=smtpd_access_policy\\nprotocol_state=END-OF-MESSAGE\\nsender=Care@Shop.example\\n\\n")
    {'request': 'smtpd_access_policy', 'protocol_state': 'END-OF-MESSAGE', 'sender': 'Care@Shop.example'}
    """
    text = block.decode("utf-8", "replace") if isinstance(block, (bytes, bytearray)) else block
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.rstrip("\r")
        if not line:
            continue
        name, eq, value = line.partition("=")
        if not eq:
            continue
        out[name.strip().lower()] = value
    return out


def format_action(action: str) -> bytes:
    """``action=ACTION\\n\\n`` (newlines in ``action`` replaced, so a reply cannot be split)."""
    clean = " ".join(action.replace("\r", " ").replace("\n", " ").split())
    return f"action={clean}\n\n".encode("utf-8", "replace")


class RequestReader:
    """Incremental parser: feed bytes, get complete request dicts (for tests and the server)."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._lines: list[bytes] = []
        self._size = 0

    def feed(self, data: bytes) -> list[dict[str, str]]:
        self._buf += data
        out: list[dict[str, str]] = []
        while True:
            i = self._buf.find(b"\n")
            if i < 0:
                if len(self._buf) > _MAX_LINE:
                    raise ValueError("policy request line too long")
                return out
            line = bytes(self._buf[:i]).rstrip(b"\r")
            del self._buf[: i + 1]
            if not line:
                if self._lines:
                    out.append(parse_request(b"\n".join(self._lines)))
                self._lines, self._size = [], 0
                continue
            self._size += len(line) + 1
            if self._size > MAX_REQUEST_BYTES:
                raise ValueError("policy request too large")
            self._lines.append(line)


Decide = Callable[[Mapping[str, str]], "str | Awaitable[str]"]


class PolicyServer:
    """Serves the policy protocol on ``host:port`` with ``decide(attrs) -> action``.

    ``decide`` may be sync or async; if it raises, the answer is ``DUNNO`` (fail open).
    """

    def __init__(self, decide: Decide, host: str = "127.0.0.1", port: int = 10040,
                 idle_timeout: float = 300.0) -> None:
        self.decide = decide
        self.host = host
        self.port = port
        self.idle_timeout = idle_timeout
        self.server: asyncio.base_events.Server | None = None
        self.requests = 0

    @property
    def bound_port(self) -> int:
        assert self.server is not None
        return self.server.sockets[0].getsockname()[1]

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, self.host, self.port, limit=_MAX_LINE * 2)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            try:
                await asyncio.wait_for(self.server.wait_closed(), 2)
            except asyncio.TimeoutError:  # pragma: no cover - clients still connected
                pass

    async def answer(self, attrs: Mapping[str, str]) -> str:
        if attrs.get("request") != "smtpd_access_policy":
            return "DUNNO"
        try:
            action = self.decide(attrs)
            if asyncio.iscoroutine(action) or isinstance(action, asyncio.Future):
                action = await action
            return str(action or "DUNNO")
        except Exception:  # fail open: a bug in the guard never stops mail
            log.error("guard policy: deciding failed; answered DUNNO", exc_info=True)
            return "DUNNO"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        parser = RequestReader()
        try:
            while True:
                data = await asyncio.wait_for(reader.read(16384), self.idle_timeout)
                if not data:
                    break
                for attrs in parser.feed(data):
                    self.requests += 1
                    writer.write(format_action(await self.answer(attrs)))
                await writer.drain()
        except (asyncio.TimeoutError, ConnectionError, ValueError) as exc:
            log.debug("guard policy: closing a connection: %s", type(exc).__name__)
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):  # pragma: no cover
                pass
