"""The embedded Tansu broker: start, round trip, clean stop, no orphans."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from streams.demo.broker import BrokerError, TansuBroker, fetch_metadata

pytestmark = pytest.mark.broker

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pid_gone(pid: int, timeout: float = 10.0) -> bool:
    """True once ``pid`` no longer exists (a zombie counts as gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            if state in ("Z", "X"):
                return True
        except FileNotFoundError:
            return True
        except OSError:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
        time.sleep(0.05)
    return False


def test_start_round_trip_stop():
    from kafka import KafkaConsumer, KafkaProducer

    with TansuBroker() as broker:
        assert broker.running
        assert broker.bootstrap == f"127.0.0.1:{broker.port}"
        assert broker.url == f"kafka://127.0.0.1:{broker.port}"
        [(_node, host, port)] = fetch_metadata("127.0.0.1", broker.port)
        assert (host, port) == ("127.0.0.1", broker.port)
        pid = broker.pid
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap)
        producer.send("roundtrip", b'{"hello": 1}', key=b"a@example.com").get(timeout=10)
        producer.close()
        consumer = KafkaConsumer(
            "roundtrip",
            bootstrap_servers=broker.bootstrap,
            auto_offset_reset="earliest",
            consumer_timeout_ms=8000,
        )
        got = []
        for msg in consumer:
            got.append((msg.key, msg.value))
            break
        consumer.close()
        assert got == [(b"a@example.com", b'{"hello": 1}')]
        log = broker.log_path
    assert not broker.running
    assert pid_gone(pid)
    assert log is not None and not os.path.exists(log)  # own temp log removed
    broker.stop()  # idempotent


def test_restart_and_explicit_log(tmp_path):
    log = tmp_path / "tansu.log"
    broker = TansuBroker(log_path=str(log))
    broker.start()
    first = broker.pid
    broker.stop()
    assert pid_gone(first)
    assert log.exists() and log.read_text()  # a caller's log is kept
    broker.start()
    assert broker.running and broker.pid != first
    broker.stop()


def test_port_in_use_is_a_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        broker = TansuBroker(port=port, start_timeout=5)
        with pytest.raises(BrokerError) as info:
            broker.start()
        assert str(port) in str(info.value)
        assert not broker.running


def test_failing_binary_reports_log_tail(tmp_path, monkeypatch):
    fake = tmp_path / "tansu"
    fake.write_text("#!/bin/sh\necho 'boom: cannot start the broker' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CALF_TANSU_BIN", str(fake))
    with pytest.raises(BrokerError) as info:
        TansuBroker(start_timeout=5).start()
    msg = str(info.value)
    assert "code 3" in msg and "boom: cannot start the broker" in msg


def test_hanging_binary_times_out(tmp_path, monkeypatch):
    fake = tmp_path / "tansu"
    fake.write_text("#!/bin/sh\necho 'starting forever'\nexec sleep 60\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CALF_TANSU_BIN", str(fake))
    broker = TansuBroker(start_timeout=1)
    t0 = time.monotonic()
    with pytest.raises(BrokerError) as info:
        broker.start()
    assert time.monotonic() - t0 < 10
    assert "within" in str(info.value) and "starting forever" in str(info.value)
    assert not broker.running


@pytest.mark.parametrize("how", ["exit", "sigterm", "sigkill"])
def test_no_orphan_when_parent_goes(how):
    """Normal exit (atexit), SIGTERM and SIGKILL of the owning process all take the broker down."""
    script = textwrap.dedent(
        """
        import sys, time
        from streams.demo.broker import TansuBroker
        b = TansuBroker().start()
        print(b.pid, flush=True)
        if sys.argv[1] == "exit":
            sys.exit(0)
        time.sleep(60)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, how], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        line = child.stdout.readline()
        broker_pid = int(line)
        if how == "sigterm":
            child.send_signal(signal.SIGTERM)
        elif how == "sigkill":
            child.kill()
        child.wait(15)
        assert pid_gone(broker_pid), f"broker {broker_pid} outlived its parent ({how})"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
