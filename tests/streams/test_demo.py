"""``mailflow demo`` end to end: embedded broker, worker subprocess, launch-day scenario."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from detectors.evaluation.matching import Label
from streams.demo.console import Style, format_alert
from streams.demo.scenario import Scenario
from streams.demo.verdict import verdict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RAMP = "orders@example.com"


def pid_gone(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.1)
    return False


class DemoRun:
    """The demo as a subprocess; stdout lines collected by a thread."""

    def __init__(self, *args: str) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "demo", "--metrics-port", str(_free_port()), *args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )
        self.lines: list[str] = []
        self._cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self._cv:
                self.lines.append(line.rstrip("\n"))
                self._cv.notify_all()
        with self._cv:
            self._cv.notify_all()

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cv:
            while True:
                for line in self.lines[seen:]:
                    m = rx.search(line)
                    if m:
                        return m
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and seen == len(self.lines)):
                    raise AssertionError(f"no line matching {pattern!r}; output:\n" + "\n".join(self.lines[-60:]))
                self._cv.wait(min(left, 0.5))

    def pids(self) -> tuple[int, int]:
        broker = int(self.wait_for(r"^broker .*pid (\d+)\)", 30).group(1))
        worker = int(self.wait_for(r"^worker\s+pid (\d+)", 30).group(1))
        return broker, worker

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _free_port() -> int:
    from streams.demo.broker import free_port

    return free_port()


def alert_lines(lines: list[str]) -> list[str]:
    return [l for l in lines if l.startswith("[sim ")]


@pytest.mark.broker
def test_demo_id_request_alert_then_ctrl_c_leaves_nothing_behind():
    run = DemoRun("--speed", "20", "--no-color")
    try:
        broker_pid, worker_pid = run.pids()
        t0 = time.monotonic()
        run.wait_for(r"^metrics\s+http://127\.0\.0\.1:\d+/metrics", 10)
        run.wait_for(r"^\[sim \d\d:\d\d\] (CRITICAL|WARNING) sensitive_request\s+care@example\.com", 120)
        assert time.monotonic() - t0 < 120  # the id-request incident shows within two minutes
        run.wait_for(r"^simulated time 13:00, [\d,]+ events sent, launch ramp x[\d.]+ of normal", 60)
        assert not [l for l in alert_lines(run.lines) if RAMP in l], "an alert fired on the launch ramp"
        assert "\x1b[" not in "\n".join(run.lines)  # --no-color (and not a TTY)
        run.proc.send_signal(signal.SIGINT)
        assert run.proc.wait(60) == 130
        assert pid_gone(worker_pid), "worker outlived the demo"
        assert pid_gone(broker_pid), "broker outlived the demo"
        out = "\n".join(run.lines)
        assert out.index("worker stopped") < out.index("broker stopped")  # worker first, then broker
    finally:
        run.kill()


@pytest.mark.broker
def test_demo_runs_to_a_verdict():
    run = DemoRun("--speed", "40", "--no-color")
    try:
        run.wait_for(r"^verdict$", 240)
        assert run.proc.wait(60) == 0
        out = "\n".join(run.lines)
        assert re.search(r"✓ id-request-blast: caught at sim \d\d:\d\d by .*sensitive_request", out), out[-3000:]
        assert re.search(r"\d+ of its \d+ messages went out before the first alert", out)
        assert "launch ramp (orders@example.com)" in out
        assert "broker stopped" in out
    finally:
        run.kill()


@pytest.mark.broker
def test_demo_killed_hard_leaves_no_orphans():
    run = DemoRun("--speed", "20", "--no-color")
    try:
        broker_pid, worker_pid = run.pids()
        run.wait_for(r"^worker ready", 90)
        run.proc.kill()  # SIGKILL: no handler, no atexit -- the kernel's parent-death signal must do it
        run.proc.wait(10)
        assert pid_gone(worker_pid), "worker orphaned"
        assert pid_gone(broker_pid), "broker orphaned"
    finally:
        run.kill()


def test_bad_settings_listed():
    r = subprocess.run(
        [sys.executable, "-m", "streams.cli", "demo", "--speed", "0", "--broker", "http://x", "--metrics-port", "70000"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert r.returncode == 2
    for needle in ("--speed", "--broker", "--metrics-port"):
        assert needle in r.stderr


def test_format_alert_colour_and_plain():
    a = {"ts": "2017-08-24T11:31:49.468Z", "severity": "critical", "detector": "sensitive_request",
         "sender": "care@example.com", "template": "id_verification", "score": 0.887, "summary": "Asked for IDs."}
    plain = format_alert(a, Style(False))
    assert plain == "[sim 11:31] CRITICAL sensitive_request  care@example.com  score 0.89  Asked for IDs."
    coloured = format_alert(a, Style(True))
    assert "\x1b[1;31mCRITICAL\x1b[0m" in coloured and "\x1b[36msensitive_request\x1b[0m" in coloured
    assert "\x1b[1;33mWARNING" in format_alert(dict(a, severity="warning"), Style(True))


def _scenario() -> Scenario:
    import orjson

    recs = [(1000.0 + i, b"care@example.com", orjson.dumps({"event_id": f"b{i}", "ts": 1000 + i})) for i in range(10)]
    recs += [(1000.0 + i, b"orders@example.com", orjson.dumps({"event_id": f"o{i}", "ts": 1000 + i})) for i in range(5)]
    return Scenario(
        records=sorted(recs),
        labels=[
            Label("id-request-blast", "care@example.com", 1000, 1009, tuple(f"b{i}" for i in range(10))),
            Label("launch-ramp", RAMP, 1000, 1004, tuple(f"o{i}" for i in range(5)), benign=True),
        ],
        launch_start=0.0,
    )


def test_verdict():
    sc = _scenario()
    alert = {"ts": "1970-01-01T00:16:43Z", "detector": "sensitive_request", "sender": "care@example.com",
             "event_ids": ["b3", "b1"]}
    v = verdict(sc, [alert], Style(False))
    text = "\n".join(v.lines)
    assert v.ok and "caught at sim 00:16" in text and "4 of its 10 messages went out before the first alert" in text
    assert "no alert fired" in text
    v = verdict(sc, [alert, {"ts": 1002, "detector": "template_spike", "sender": RAMP, "event_ids": ["o2"]}], Style(False))
    assert not v.ok and "1 alert(s) fired on legitimate traffic (template_spike x1)" in "\n".join(v.lines)
    v = verdict(sc, [], Style(False))
    assert not v.ok and "MISSED" in "\n".join(v.lines)


def test_verdict_matches_alerts_as_evaluate_does():
    """The shared rule: caught only by an alert its own messages raised; the sender's other alerts
    while the incident lasts (and the quiet period after) are the incident's, not "other"."""
    sc = _scenario()
    # raised by mail outside the incident, though its sample names incident messages: not a catch
    sampled = {"ts": 1003, "detector": "template_spike", "sender": "care@example.com", "event_ids": ["x1", "b2"]}
    v = verdict(sc, [sampled], Style(False))
    text = "\n".join(v.lines)
    assert not v.ok and "MISSED" in text and "other alert" not in text  # inside the window: the incident's
    caught = {"ts": 1005, "detector": "sensitive_request", "sender": "care@example.com", "event_ids": ["b5"]}
    v = verdict(sc, [sampled, caught], Style(False))
    text = "\n".join(v.lines)
    assert v.ok and "by sensitive_request, template_spike (2 alerts)" in text
    assert "6 of its 10 messages went out before the first alert" in text
    late = {"ts": 1009 + 3601, "detector": "fanout", "sender": "care@example.com", "event_ids": ["x2"]}
    stranger = {"ts": 1005, "detector": "fanout", "sender": "x@example.org", "event_ids": ["y1"]}
    text = "\n".join(verdict(sc, [caught, late, stranger], Style(False), quiet=3600).lines)
    assert "(1 alert)" in text and "2 other alert(s)" in text and "fanout/x@example.org" in text
    v = verdict(sc, [caught], Style(False), sent_until=999.0)
    assert "not reached" in "\n".join(v.lines)
