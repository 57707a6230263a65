"""The dead-letter policy of the streaming worker: what a dead letter holds, and how it is written.

A rejected input record (it broke the event contract) or a valid one the detectors
failed on (reason ``internal_error``) is copied to the dead-letter topic: its key and
value byte for byte, the reason and where it came from in Kafka headers. Three rules
make sure that copy can never stop the worker (``docs/dead-letters.md``):

1. **Never larger than the topic allows.** A copy whose record (value + key +
   headers, as the producer counts it) would exceed ``dead_letter_max_bytes``
   (:class:`streams.settings.WorkerSettings`; default 960 KiB, under the producer's
   1,000,000-byte request limit and Kafka's default ``max.message.bytes``) is stored
   **truncated**: the longest prefix of the value that fits, with the original
   size and the SHA-256 of the original bytes in headers, so the record can be
   told apart from a complete one and matched against the source.
2. **A failing write is retried** (:class:`DeadLetterWriter`: bounded attempts with
   exponential backoff; a size refusal halves the stored prefix), then counted in
   ``mailflow_dead_letter_failed_total`` and logged -- never raised. The input
   record is acked after that either way, so one bad record cannot hold its
   partition back.
3. **No fire and forget.** Dead letters are not buffered with ``send_soon`` (a send
   error there crashes Faust's producer buffer, and with it the worker, before the
   offset is committed: the same record then kills every restart). They are sent
   with ``Topic.send`` and their delivery is awaited before the input offsets are
   acked.

Headers (values UTF-8 text; every dead letter carries all of the first seven):

========================== ==========================================================
``mailflow-reason``         why: a :data:`detectors.errors.REJECT_REASONS` value or ``internal_error``
``mailflow-detail``         a short explanation (at most 500 characters; never addresses, subjects or bodies)
``mailflow-source-topic``   the input topic
``mailflow-source-partition`` its partition (``-1`` if unknown)
``mailflow-source-offset``  the record's offset (``-1`` if unknown)
``mailflow-original-size``  bytes of the original value (0 for a null value)
``mailflow-original-sha256`` lowercase hex SHA-256 of the original value bytes
``mailflow-truncated``      only on truncated copies: ``true``
``mailflow-stored-size``    only on truncated copies: bytes of the value actually stored
``mailflow-original-key-size`` only when the key itself was too large and was cut (to 1 KiB)
========================== ==========================================================

This module imports neither Faust nor Kafka.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Sequence

__all__ = [
    "HEADER_REASON", "HEADER_DETAIL", "HEADER_SOURCE_TOPIC", "HEADER_SOURCE_PARTITION", "HEADER_SOURCE_OFFSET",
    "HEADER_ORIGINAL_SIZE", "HEADER_ORIGINAL_SHA256", "HEADER_TRUNCATED", "HEADER_STORED_SIZE",
    "HEADER_ORIGINAL_KEY_SIZE", "DEFAULT_MAX_BYTES", "MIN_MAX_BYTES", "PRODUCER_MAX_REQUEST_SIZE",
    "DeadLetter", "dlq_headers", "make_dead_letter", "record_size", "is_size_error", "DeadLetterWriter",
]

log = logging.getLogger(__name__)

HEADER_REASON = "mailflow-reason"
HEADER_DETAIL = "mailflow-detail"
HEADER_SOURCE_TOPIC = "mailflow-source-topic"
HEADER_SOURCE_PARTITION = "mailflow-source-partition"
HEADER_SOURCE_OFFSET = "mailflow-source-offset"
HEADER_ORIGINAL_SIZE = "mailflow-original-size"
HEADER_ORIGINAL_SHA256 = "mailflow-original-sha256"
HEADER_TRUNCATED = "mailflow-truncated"
HEADER_STORED_SIZE = "mailflow-stored-size"
HEADER_ORIGINAL_KEY_SIZE = "mailflow-original-key-size"

#: Faust's producer refuses requests above this (its ``producer_max_request_size``).
PRODUCER_MAX_REQUEST_SIZE = 1_000_000
#: Default largest dead-letter record: 960 KiB, headroom under the producer's limit
#: and under Kafka's default ``max.message.bytes`` (1,048,588).
DEFAULT_MAX_BYTES = 960 * 1024
#: Smallest allowed setting: room for the headers and a useful prefix.
MIN_MAX_BYTES = 16 * 1024
#: A key longer than this is cut when the record would not fit otherwise.
MAX_KEY_BYTES = 1024

#: Record-batch header (61) + per-record overhead (21) as aiokafka estimates them.
_BATCH_OVERHEAD = 61 + 21
#: Upper bound of a varint length prefix.
_VARINT = 5


def dlq_headers(
    reason: str,
    detail: str,
    topic: str,
    partition: int | None,
    offset: int | None,
    *,
    original: bytes | None = None,
    stored_size: int | None = None,
    key_size: int | None = None,
) -> list[tuple[str, bytes]]:
    """Kafka headers of a dead letter (values UTF-8; detail never holds addresses, subjects or bodies).

    With ``original`` (the original value bytes; ``b""`` for a null value) the size
    and digest headers are added; with ``stored_size`` (a truncated copy) the
    truncation headers; with ``key_size`` the original size of a cut key.
    """
    headers = [
        (HEADER_REASON, reason.encode()),
        (HEADER_DETAIL, detail[:500].encode("utf-8", "replace")),
        (HEADER_SOURCE_TOPIC, (topic or "").encode()),
        (HEADER_SOURCE_PARTITION, str(-1 if partition is None else partition).encode()),
        (HEADER_SOURCE_OFFSET, str(-1 if offset is None else offset).encode()),
    ]
    if original is not None:
        headers.append((HEADER_ORIGINAL_SIZE, str(len(original)).encode()))
        headers.append((HEADER_ORIGINAL_SHA256, hashlib.sha256(original).hexdigest().encode()))
    if stored_size is not None:
        headers.append((HEADER_TRUNCATED, b"true"))
        headers.append((HEADER_STORED_SIZE, str(stored_size).encode()))
    if key_size is not None:
        headers.append((HEADER_ORIGINAL_KEY_SIZE, str(key_size).encode()))
    return headers


def record_size(key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes]]) -> int:
    """An upper bound of the bytes the producer counts for one record (aiokafka's estimate, varints at 5 bytes)."""
    n = _BATCH_OVERHEAD + _VARINT
    n += 1 if key is None else _VARINT + len(key)
    n += 1 if value is None else _VARINT + len(value)
    for k, v in headers:
        n += 2 * _VARINT + len(k.encode("utf-8")) + (0 if v is None else len(v))
    return n


@dataclass
class DeadLetter:
    """One dead letter, ready to send: what is stored and what it stands for."""

    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    reason: str
    topic: str
    partition: int | None
    offset: int | None
    original_size: int
    truncated: bool = False
    #: why the last write attempt failed (``repr`` of the error), for the log
    error: str | None = field(default=None, compare=False)
    #: the last attempt was refused because the record is too large
    size_refused: bool = field(default=False, compare=False)
    _original: bytes | None = field(default=None, repr=False, compare=False)
    _detail: str = field(default="", repr=False, compare=False)

    @property
    def size(self) -> int:
        return record_size(self.key, self.value, self.headers)

    def shrink(self, max_bytes: int) -> "DeadLetter":
        """The same dead letter truncated to fit ``max_bytes`` (after a size refusal)."""
        return make_dead_letter(
            self._original, self.key, self.reason, self._detail, self.topic, self.partition, self.offset, max_bytes,
            original_key_size=_header_int(self.headers, HEADER_ORIGINAL_KEY_SIZE),
        )


def _header_int(headers: Sequence[tuple[str, bytes]], name: str) -> int | None:
    for k, v in headers:
        if k == name:
            try:
                return int(v)
            except (TypeError, ValueError):
                return None
    return None


def _as_bytes(v: Any) -> bytes | None:
    if v is None or isinstance(v, bytes):
        return v
    if isinstance(v, (bytearray, memoryview)):
        return bytes(v)
    return str(v).encode("utf-8", "replace")


def make_dead_letter(
    value: Any,
    key: Any,
    reason: str,
    detail: str,
    topic: str,
    partition: int | None,
    offset: int | None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    original_key_size: int | None = None,
) -> DeadLetter:
    """The dead letter of one input record: value and key as bytes, headers, truncated to ``max_bytes``.

    A null value stays null (original size 0, digest of no bytes). A value whose
    record would exceed ``max_bytes`` is cut to the longest prefix that fits; a key
    so long that the headers and a 1 KiB prefix do not fit is cut to 1 KiB.
    """
    raw = _as_bytes(value)
    k = _as_bytes(key)
    original = raw if raw is not None else b""
    headers = dlq_headers(reason, detail, topic, partition, offset, original=original, key_size=original_key_size)
    if record_size(k, raw, headers) <= max_bytes:
        return DeadLetter(k, raw, headers, reason, topic, partition, offset, len(original), False,
                          _original=raw, _detail=detail)
    # truncated: headers with the largest numbers they can hold, then the prefix that fits
    if k is not None and len(k) > MAX_KEY_BYTES and record_size(k, b"x" * MAX_KEY_BYTES, headers) + 64 > max_bytes:
        original_key_size = len(k) if original_key_size is None else original_key_size
        k = k[:MAX_KEY_BYTES]
    worst = dlq_headers(reason, detail, topic, partition, offset, original=original, stored_size=len(original),
                        key_size=original_key_size)
    budget = max(0, max_bytes - record_size(k, b"", worst))
    stored = original[:budget]
    headers = dlq_headers(reason, detail, topic, partition, offset, original=original, stored_size=len(stored),
                          key_size=original_key_size)
    return DeadLetter(k, stored, headers, reason, topic, partition, offset, len(original), True,
                      _original=raw, _detail=detail)


def is_size_error(exc: BaseException | None) -> bool:
    """Was ``exc`` (or what caused it) a refusal because the record is too large?"""
    seen = 0
    while exc is not None and seen < 5:
        text = f"{type(exc).__name__} {exc}"
        if "MessageSizeTooLarge" in text or "RecordListTooLarge" in text or "MESSAGE_SIZE_TOO_LARGE" in text:
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


Send = Callable[..., Awaitable[Any]]


class DeadLetterWriter:
    """Writes dead letters with bounded retries; never raises for a failed write.

    ``send(key=, value=, headers=)`` is awaited to hand a record to the producer and
    returns a future of its delivery (Faust's ``Topic.send`` with ``force=True``);
    both steps can fail. Each round sends every pending letter (each hand-over at most
    ``timeout`` seconds), then waits for all deliveries (at most ``timeout`` seconds
    together); the failed ones are retried after
    ``backoff * 2**round`` seconds (at most ``max_backoff``), ``attempts`` rounds in
    all. A letter refused as too large is cut to half its size before the next
    round. What still fails is counted in ``metrics.dead_letter_failed`` and logged
    (coordinates and reason, never the content).
    """

    def __init__(
        self,
        send: Send,
        metrics: Any,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        attempts: int = 5,
        backoff: float = 0.2,
        max_backoff: float = 5.0,
        timeout: float = 15.0,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.send = send
        self.metrics = metrics
        self.max_bytes = max_bytes
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        self.sleep = sleep

    async def _deliver(self, letters: Sequence[DeadLetter]) -> list[DeadLetter]:
        """One round: send all, await all; returns the failed letters (``error`` set)."""
        failed: list[DeadLetter] = []
        waiting: list[tuple[DeadLetter, Any]] = []
        stalled = None
        for dl in letters:
            if stalled is not None:  # the producer is not taking records: the rest wait for the next round
                dl.error = stalled
                failed.append(dl)
                continue
            try:
                fut = await asyncio.wait_for(self.send(key=dl.key, value=dl.value, headers=dl.headers), self.timeout)
            except asyncio.TimeoutError:  # e.g. waiting for the topic's metadata
                dl.error = stalled = f"not handed to the producer within {self.timeout:g}s"
                failed.append(dl)
                continue
            except Exception as exc:  # refused before it reached the producer's buffer
                dl.error = repr(exc)
                dl.size_refused = is_size_error(exc)
                failed.append(dl)
                continue
            waiting.append((dl, fut))
        tasks = [(dl, asyncio.ensure_future(f)) for dl, f in waiting if asyncio.isfuture(f) or asyncio.iscoroutine(f)]
        if tasks:
            await asyncio.wait([t for _, t in tasks], timeout=self.timeout)
        for dl, task in tasks:
            if not task.done():
                dl.error = f"no delivery report within {self.timeout:g}s"
                failed.append(dl)
            elif task.cancelled():
                dl.error = "cancelled"
                failed.append(dl)
            elif task.exception() is not None:
                exc = task.exception()
                dl.error = repr(exc)
                dl.size_refused = is_size_error(exc)
                failed.append(dl)
        return failed

    async def write(self, letters: Sequence[DeadLetter]) -> int:
        """Write ``letters``; returns how many could not be written (counted and logged)."""
        pending = list(letters)
        for attempt in range(self.attempts):
            if not pending:
                return 0
            failed = await self._deliver(pending)
            if not failed:
                return 0
            pending = []
            for dl in failed:
                if dl.size_refused:
                    smaller = dl.shrink(max(1024, dl.size // 2))
                    smaller.error = dl.error
                    if not dl.truncated:
                        self.metrics.dead_letters_truncated.inc()
                    dl = smaller
                pending.append(dl)
            if attempt + 1 < self.attempts:
                log.warning("dead-letter write failed for %d record(s) (attempt %d of %d, first: %s); retrying",
                            len(pending), attempt + 1, self.attempts, pending[0].error)
                await self.sleep(min(self.max_backoff, self.backoff * (2 ** attempt)))
        for dl in pending:
            self.metrics.dead_letter_failed.inc()
            log.error(
                "dead letter NOT written after %d attempts: %s[%s]@%s reason=%s size=%d: %s "
                "(the input record is acked anyway; see mailflow_dead_letter_failed_total)",
                self.attempts, dl.topic, dl.partition, dl.offset, dl.reason, dl.original_size, dl.error,
            )
        return len(pending)
