"""``mailflow produce FILE``: publish a JSON Lines event file to the input topic.

Each non-blank line is sent as one record whose value is the line's bytes,
unchanged (the line terminator aside) -- malformed lines included: the worker's
dead-letter path deals with them. The record key is the event's ``sender``
(normalised like the detectors do: trimmed, ``Name <addr>`` unwrapped,
lower-cased) when the line parses as a JSON object with a string ``sender``;
otherwise the record has no key.

Exit status: 0 when every record was acknowledged, 1 on a runtime failure
(broker unreachable, delivery failures, read error), 2 on bad settings.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import IO, Callable, Iterable, Iterator

import orjson

from detectors.errors import ConfigError

from detectors.cli.progress import Progress
from detectors.events import address_key

from .settings import INPUT_TOPIC, LOCAL_BROKER, TOPIC_RE, parse_broker_url

__all__ = [
    "main",
    "parse_broker_url",
    "sender_key",
    "make_producer",
    "Progress",
    "RateLimiter",
    "DEFAULT_BROKER",
    "DEFAULT_TOPIC",
]

DEFAULT_BROKER = os.environ.get("MAILFLOW_BROKER", LOCAL_BROKER)
DEFAULT_TOPIC = INPUT_TOPIC


# -- settings -------------------------------------------------------------------
def validate(args: argparse.Namespace) -> list[str]:
    """Every problem with the settings, one line each (empty when fine)."""
    problems: list[str] = []
    if args.file != "-":
        if not os.path.exists(args.file):
            problems.append(f"FILE: {args.file!r} does not exist")
        elif os.path.isdir(args.file):
            problems.append(f"FILE: {args.file!r} is a directory")
        elif not os.access(args.file, os.R_OK):
            problems.append(f"FILE: {args.file!r} is not readable (permission denied)")
    try:
        args.bootstrap = parse_broker_url(args.broker)
    except ValueError as exc:
        problems.append(f"--broker: {exc}")
    if not TOPIC_RE.match(args.topic or "") or args.topic in (".", ".."):
        problems.append(f"--topic: {args.topic!r} is not a valid Kafka topic name (1-249 of A-Z a-z 0-9 . _ -)")
    if not (args.rate >= 0) or args.rate == float("inf"):  # also catches NaN
        problems.append(f"--rate: must be a finite number >= 0 (0 = as fast as possible), got {args.rate!r}")
    if not (args.timeout > 0) or args.timeout == float("inf"):
        problems.append(f"--timeout: must be a positive number of seconds, got {args.timeout!r}")
    return problems


# -- keys -----------------------------------------------------------------------
def sender_key(line: bytes) -> bytes | None:
    """The record key for one JSON Lines line: the normalised sender, or ``None``.

    >>> sender_key(b'{"sender": " Care <Care@Example.com>", "ts": 1}')
    b'care@example.com'
    >>> sender_key(b'not json') is None, sender_key(b'[1]') is None, sender_key(b'{"sender": 3}') is None
    (True, True, True)
    """
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(obj, dict):
        return None
    sender = obj.get("sender")
    if not isinstance(sender, str):
        return None
    key = address_key(sender)
    return key.encode("utf-8", "surrogatepass") if key else None


def iter_lines(stream: IO[bytes]) -> Iterator[bytes]:
    """Non-blank lines of a binary stream, without their terminator (``\\n`` or ``\\r\\n``)."""
    for raw in stream:
        if raw.endswith(b"\n"):
            raw = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1]
        if raw.strip():
            yield raw


def count_lines(path: str) -> int:
    """Non-blank lines in a file (fast binary scan); used for the progress ETA."""
    n = 0
    with open(path, "rb") as f:
        for raw in f:
            if raw.strip():
                n += 1
    return n


# -- pacing and progress ----------------------------------------------------------
class RateLimiter:
    """Paces calls to ``rate`` per second (0: no limit), catching up after stalls
    without bursting more than ``burst`` events."""

    def __init__(self, rate: float, burst: float | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = float(rate)
        self.interval = 1.0 / self.rate if self.rate > 0 else 0.0
        self.burst = burst if burst is not None else max(1.0, self.rate * 0.1)
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None

    def wait(self) -> None:
        if self.interval == 0.0:
            return
        now = self._clock()
        if self._next is None:
            self._next = now
        # never let a stall accumulate more than `burst` events of credit
        floor = now - self.burst * self.interval
        if self._next < floor:
            self._next = floor
        delay = self._next - now
        if delay > 0.0005:
            self._sleep(delay)
        self._next += self.interval


# -- Kafka ----------------------------------------------------------------------
def make_producer(bootstrap: list[str] | str, timeout: float = 10.0, **overrides):
    """A kafka-python ``KafkaProducer`` tuned for bulk publishing; raises
    ``kafka.errors.KafkaError`` (``KafkaTimeoutError``) within ``timeout`` when no
    broker answers."""
    from kafka import KafkaProducer

    ms = int(timeout * 1000)
    config = dict(
        bootstrap_servers=bootstrap,
        client_id="mailflow-produce",
        acks=1,
        enable_idempotence=False,
        linger_ms=5,
        batch_size=256 * 1024,
        max_request_size=1024 * 1024,
        bootstrap_timeout_ms=ms,
        max_block_ms=ms,
        request_timeout_ms=max(ms, 5000),
        delivery_timeout_ms=max(2 * ms, 30000),
        retries=5,
    )
    config.update(overrides)
    return KafkaProducer(**config)


class _Delivery:
    """Counts acknowledgements and failures from producer callbacks."""

    def __init__(self) -> None:
        self.acked = 0
        self.failed = 0
        self.first_error: BaseException | None = None

    def ok(self, _metadata) -> None:
        self.acked += 1

    def err(self, exc: BaseException) -> None:
        self.failed += 1
        if self.first_error is None:
            self.first_error = exc


def publish(lines: Iterable[bytes], producer, topic: str, rate: float = 0.0,
            progress: Progress | None = None, max_bytes: int | None = None) -> tuple[int, int, int, _Delivery]:
    """Send each line as one record; returns ``(sent, keyless, oversized, delivery)``.

    Lines longer than the producer's ``max_request_size`` cannot be sent at all;
    they are counted in ``oversized`` and skipped (the worker would reject them as
    ``too_large`` anyway).
    """
    limiter = RateLimiter(rate)
    delivery = _Delivery()
    sent = keyless = oversized = 0
    for line in lines:
        if max_bytes is not None and len(line) > max_bytes:
            oversized += 1
            continue
        limiter.wait()
        key = sender_key(line)
        if key is None:
            keyless += 1
        fut = producer.send(topic, value=line, key=key)
        fut.add_callback(delivery.ok)
        fut.add_errback(delivery.err)
        sent += 1
        if progress is not None and (sent & 63) == 0:
            progress.update(sent)
        if delivery.failed and delivery.acked == 0 and delivery.failed >= 10:
            break  # nothing gets through: stop early
    return sent, keyless, oversized, delivery


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mailflow produce",
        description="Publish a JSON Lines event file to the input topic (one record per line, "
        "value unchanged, keyed by sender).",
    )
    p.add_argument("file", metavar="FILE", help="JSON Lines file, or - for standard input")
    p.add_argument("--broker", default=DEFAULT_BROKER,
                   help=f"Kafka broker URL, e.g. kafka://127.0.0.1:9092 (default: $MAILFLOW_BROKER or {DEFAULT_BROKER})")
    p.add_argument("--topic", default=DEFAULT_TOPIC, help=f"input topic (default: {DEFAULT_TOPIC})")
    p.add_argument("--rate", type=float, default=0.0, metavar="N",
                   help="events per second; 0 = as fast as possible (default: 0)")
    p.add_argument("--timeout", type=float, default=10.0, metavar="S",
                   help="seconds to wait for the broker before giving up (default: 10)")
    p.add_argument("--no-progress", action="store_true", help="no progress display on standard error")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    problems = validate(args)
    if problems:
        print(f"mailflow produce: {ConfigError(problems)}", file=sys.stderr)
        return 2

    err = sys.stderr
    total: int | None = None
    if args.file != "-" and not args.no_progress:
        try:
            total = count_lines(args.file)
        except OSError as exc:
            print(f"mailflow produce: cannot read {args.file!r}: {exc.strerror or exc}", file=err)
            return 1

    from kafka.errors import KafkaError

    try:
        producer = make_producer(args.bootstrap, timeout=args.timeout)
    except KafkaError as exc:
        print(f"mailflow produce: cannot reach the broker at {args.broker} within {args.timeout:g}s "
              f"({type(exc).__name__}: {exc})", file=err)
        return 1

    progress = Progress(total, stream=err, enabled=not args.no_progress)
    t0 = time.monotonic()
    status = 0
    sent = keyless = oversized = 0
    delivery = _Delivery()
    try:
        stream = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")
        try:
            sent, keyless, oversized, delivery = publish(
                iter_lines(stream), producer, args.topic, rate=args.rate, progress=progress,
                max_bytes=producer.config["max_request_size"] - 512,
            )
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
        producer.flush(timeout=max(args.timeout, 30.0))
    except KafkaError as exc:
        print(f"\nmailflow produce: Kafka error: {type(exc).__name__}: {exc}", file=err)
        status = 1
    except OSError as exc:
        print(f"\nmailflow produce: cannot read {args.file!r}: {exc.strerror or exc}", file=err)
        status = 1
    except KeyboardInterrupt:
        print("\nmailflow produce: interrupted", file=err)
        status = 130
    finally:
        progress.count = delivery.acked if delivery.acked else progress.count
        progress.close()
        try:
            producer.close(timeout=5)
        except Exception:
            pass
    elapsed = time.monotonic() - t0
    rate = delivery.acked / elapsed if elapsed > 0 else 0.0
    msg = (f"mailflow produce: {delivery.acked:,} of {sent:,} events acknowledged on {args.topic} "
           f"in {elapsed:.1f}s ({rate:,.0f} events/s)")
    if keyless:
        msg += f"; {keyless:,} without a sender key (unparsable lines, sent as they are)"
    if oversized:
        msg += f"; {oversized:,} lines larger than the producer's request limit skipped"
    print(msg, file=err)
    if oversized:
        status = status or 1
    if delivery.failed or delivery.acked < sent:
        missing = sent - delivery.acked
        detail = f": {type(delivery.first_error).__name__}: {delivery.first_error}" if delivery.first_error else ""
        print(f"mailflow produce: {missing:,} events were not delivered{detail}", file=err)
        status = status or 1
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
