"""``mailflow produce`` against the real embedded broker."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time

import orjson
import pytest

from streams import produce
from streams.demo.broker import TansuBroker

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def broker():
    with TansuBroker() as b:
        yield b


def run_produce(*args, stdin: bytes | None = None, timeout: float = 60):
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", "produce", *args],
        cwd=ROOT, input=stdin, capture_output=True, timeout=timeout,
    )


def consume_all(bootstrap: str, topic: str, expected: int, timeout: float = 30.0):
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, group_id=None)
    out = []
    deadline = time.monotonic() + timeout
    try:
        while len(out) < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                out.extend(records)
        # make sure nothing more arrives
        for records in consumer.poll(timeout_ms=500).values():
            out.extend(records)
    finally:
        consumer.close()
    return out


def event(i: int, sender: str) -> bytes:
    return orjson.dumps({"event_id": f"m{i}", "ts": 1700000000 + i, "sender": sender, "to": [f"r{i}@x.org"]})


@pytest.mark.broker
def test_file_values_unchanged_keys_by_sender(broker, tmp_path):
    lines = [
        event(1, "Care@Example.com"),
        event(2, "Billing <billing@example.com>"),
        b"this is { not json",
        b'{"event_id": "m4", "sender": 42}',
        b'["an", "array"]',
        "{\"event_id\": \"m6\", \"ts\": 1, \"sender\": \"care@example.com\", \"subject\": \"caf\u00e9 \u2603\", \"to\": [\"a@b.cd\"]}".encode(),
        b"\xff\xfe invalid utf-8",
        event(8, "care@EXAMPLE.com") + b"   ",  # trailing blanks kept
    ]
    path = tmp_path / "events.jsonl"
    # CRLF on one line, blank lines in between, no newline at the end
    path.write_bytes(lines[0] + b"\r\n" + b"\n   \n" + b"\n".join(lines[1:]))
    r = run_produce(str(path), "--broker", broker.url, "--topic", "produce.values")
    assert r.returncode == 0, r.stderr.decode()
    err = r.stderr.decode()
    assert f"{len(lines)} of {len(lines)} events acknowledged on produce.values" in err
    assert "4 without a sender key" in err

    records = consume_all(broker.bootstrap, "produce.values", len(lines))
    assert sorted(r.value for r in records) == sorted(lines)
    keys = {r.value: r.key for r in records}
    assert keys[lines[0]] == b"care@example.com"
    assert keys[lines[1]] == b"billing@example.com"
    assert keys[lines[5]] == b"care@example.com"
    assert keys[lines[7]] == b"care@example.com"
    for i in (2, 3, 4, 6):
        assert keys[lines[i]] is None
    # one sender -> one partition, in file order
    care = [r for r in records if r.key == b"care@example.com"]
    assert len({r.partition for r in care}) == 1
    assert [r.value for r in sorted(care, key=lambda r: r.offset)] == [lines[0], lines[5], lines[7]]


@pytest.mark.broker
def test_stdin_and_rate_limit(broker):
    n = 150
    data = b"\n".join(event(i, f"s{i % 7}@example.com") for i in range(n)) + b"\n"
    t0 = time.monotonic()
    r = run_produce("-", "--broker", broker.bootstrap, "--topic", "produce.stdin", "--rate", "100", stdin=data)
    elapsed = time.monotonic() - t0
    assert r.returncode == 0, r.stderr.decode()
    assert elapsed >= 1.4, elapsed  # 150 events at 100/s: about 1.5 s
    records = consume_all(broker.bootstrap, "produce.stdin", n)
    assert len(records) == n


@pytest.mark.broker
def test_progress_plain_when_not_a_tty(broker, tmp_path):
    path = tmp_path / "e.jsonl"
    path.write_bytes(b"\n".join(event(i, "a@example.com") for i in range(400)))
    r = run_produce(str(path), "--broker", broker.url, "--topic", "produce.progress")
    err = r.stderr.decode()
    assert r.returncode == 0, err
    assert "\r" not in err and "\x1b[" not in err
    assert "400/400 events 100.0%" in err and "events/s" in err and "ETA" in err
    r = run_produce(str(path), "--broker", broker.url, "--topic", "produce.progress", "--no-progress")
    err = r.stderr.decode()
    assert r.returncode == 0 and "ETA" not in err and len(err.strip().splitlines()) == 1


def test_bad_settings_all_listed(tmp_path):
    r = run_produce(str(tmp_path / "missing.jsonl"), "--broker", "http://x:1", "--topic", "bad topic!",
                    "--rate", "-5", "--timeout", "0")
    err = r.stderr.decode()
    assert r.returncode == 2
    for needle in ("FILE:", "does not exist", "--broker:", "--topic:", "--rate:", "--timeout:"):
        assert needle in err, err
    r = run_produce(str(tmp_path), "--broker", "kafka://127.0.0.1:9")
    assert r.returncode == 2 and "is a directory" in r.stderr.decode()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file(tmp_path):  # pragma: no cover - CI runs as root
    path = tmp_path / "secret.jsonl"
    path.write_bytes(b"{}\n")
    path.chmod(0)
    r = run_produce(str(path), "--broker", "kafka://127.0.0.1:9")
    assert r.returncode == 2 and "not readable" in r.stderr.decode()


def test_unreachable_broker_bounded(tmp_path):
    from streams.demo.broker import free_port

    path = tmp_path / "e.jsonl"
    path.write_bytes(event(1, "a@example.com") + b"\n")
    t0 = time.monotonic()
    r = run_produce(str(path), "--broker", f"kafka://127.0.0.1:{free_port()}", "--timeout", "2")
    assert r.returncode == 1
    assert time.monotonic() - t0 < 20
    assert "cannot reach the broker" in r.stderr.decode()


def test_parse_broker_url():
    assert produce.parse_broker_url("kafka://h:1") == ["h:1"]
    assert produce.parse_broker_url("h") == ["h:9092"]
    assert produce.parse_broker_url("kafka://a:1;kafka://b:2") == ["a:1", "b:2"]
    assert produce.parse_broker_url("[::1]:9093") == ["[::1]:9093"]
    for bad in ("", "http://h:1", "h:0", "h:x", "kafka://", "a:b:c"):
        with pytest.raises(ValueError):
            produce.parse_broker_url(bad)


def test_rate_limiter_paces_and_caps_burst():
    now = [0.0]
    slept = []

    def sleep(d):
        slept.append(d)
        now[0] += d

    lim = produce.RateLimiter(10, clock=lambda: now[0], sleep=sleep)
    for _ in range(11):
        lim.wait()
    assert now[0] == pytest.approx(1.0)  # 11 events at 10/s: the 11th at t = 1 s
    now[0] += 100.0  # a long stall must not turn into a 1000-event burst
    slept.clear()
    for _ in range(5):
        lim.wait()
    assert sum(slept) > 0.2
    unlimited = produce.RateLimiter(0, clock=lambda: 0.0, sleep=lambda d: pytest.fail("slept"))
    for _ in range(1000):
        unlimited.wait()


def test_progress_render():
    buf = io.StringIO()
    p = produce.Progress(1000, stream=buf, tty=True)
    p.start -= 10
    p.update(250, force=True)
    out = buf.getvalue()
    assert out.startswith("\r\x1b[K[######")
    assert "250/1,000 events  25.0%" in out and "25 events/s" in out and "ETA 0:30" in out
    p2 = produce.Progress(None, stream=io.StringIO(), tty=False)
    assert "elapsed" in p2.render()


def test_iter_lines_and_keys():
    data = io.BytesIO(b'{"sender":"A@B.c"}\r\n\n  \n{"x":1}\nlast')
    assert list(produce.iter_lines(data)) == [b'{"sender":"A@B.c"}', b'{"x":1}', b"last"]
    assert produce.sender_key(b'{"sender":"A@B.c"}') == b"a@b.c"
    assert produce.sender_key(b'{"sender":""}') is None


def test_the_record_key_is_the_table_key():
    """Co-partitioning: produce keys a record by the very address the worker keys the sender's state by."""
    from detectors.events import parse_event
    from streams.produce import sender_key

    for raw in ("Care Team <Care@Example.COM>", "  care@example.com ", "CARE@EXAMPLE.COM", "<care@example.com>"):
        line = json.dumps({"event_id": "e1", "ts": 1_700_000_000, "sender": raw, "to": ["a@b.example"],
                           "subject": "s", "body": "b"}).encode()
        assert sender_key(line) == parse_event(line).sender.encode() == b"care@example.com"
