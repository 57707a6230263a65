"""Fixtures of the guard tests: the taps' private Postfix, sink and tap (imported from
tests/taps/conftest.py, so this directory gets the same fixtures without a copy), the
worker subprocess of tests/streams/test_worker_broker.py, and ``mailflow guard`` as a
subprocess (:class:`GuardProcess`, stopped or killed by its pid).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.taps.conftest import (  # noqa: F401  (fixtures re-exported for tests/guard)
    REPO, TapProcess, consume, create_topics, mail_sink, postfix_mta, postfix_params, tap_factory,
)


def scrape(port: int) -> dict[str, float]:
    """``/metrics`` as {sample line name with labels: value}; {} when not up."""
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=3).read().decode()
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, v = line.rpartition(" ")
            try:
                out[name] = float(v)
            except ValueError:
                pass
    return out


class GuardProcess:
    """``mailflow guard`` as a subprocess."""

    def __init__(self, broker_url: str, policy_port: int, metrics_port: int, state_dir: Path,
                 extra: list[str], log_path: Path, milter_port: int | None = None) -> None:
        self.policy_port = policy_port
        self.milter_port = milter_port
        self.metrics_port = metrics_port
        self.state_dir = state_dir
        self.cmd = [sys.executable, "-m", "streams.cli", "guard", "--broker", broker_url,
                    "--policy-listen", f"127.0.0.1:{policy_port}", "--metrics-port", str(metrics_port),
                    "--metrics-host", "127.0.0.1", "--state-dir", str(state_dir), "--max-staleness", "10", *extra]
        if milter_port is not None:
            self.cmd += ["--milter-listen", f"127.0.0.1:{milter_port}"]
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 40.0, loaded: bool = True) -> "GuardProcess":
        """Start; return once the alert view is loaded (``loaded`` False: once /metrics answers)."""
        self._log = open(self.log_path, "ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(self.cmd, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"guard exited with {self.proc.returncode}: {self.log()}")
            m = self.metrics()
            if m and (m.get("mailflow_guard_alert_view_loaded") == 1.0 or not loaded):
                return self
            if time.monotonic() > deadline:
                raise RuntimeError(f"guard did not load its alert view within {timeout}s: {self.log()}")
            time.sleep(0.2)

    def metrics(self) -> dict[str, float]:
        return scrape(self.metrics_port)

    def metric(self, name: str) -> float:
        return self.metrics().get(name, 0.0)

    def wait_metric(self, name: str, at_least: float, timeout: float = 40.0) -> float:
        deadline = time.monotonic() + timeout
        while True:
            v = self.metric(name)
            if v >= at_least:
                return v
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} = {v} < {at_least} after {timeout}s; guard log:\n{self.log()[-3000:]}")
            time.sleep(0.2)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL by pid: the guard dies without closing anything (a crash)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "_log", None) is not None:
            self._log.close()


@pytest.fixture
def guard_factory(free_port, tmp_path):
    """``guard_factory(broker_url, *flags, milter=False)``: a started guard, stopped at test end."""
    started: list[GuardProcess] = []

    def make(broker_url: str, *extra: str, milter: bool = False, loaded: bool = True) -> GuardProcess:
        g = GuardProcess(broker_url, free_port(), free_port(), tmp_path / "guard-state", list(extra),
                         tmp_path / f"guard-{len(started)}.log", milter_port=free_port() if milter else None)
        started.append(g)
        return g.start(loaded=loaded)

    yield make
    for g in started:
        g.stop()


def guard_command(*args: str) -> subprocess.CompletedProcess:
    """``mailflow guard list|release|drop ...`` as a subprocess."""
    return subprocess.run([sys.executable, "-m", "streams.cli", "guard", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})


class MilterTapProcess:
    """``mailflow tap milter`` as a subprocess; ready when its port accepts connections."""

    def __init__(self, port: int, broker_url: str, metrics_port: int, extra: list[str], log_path: Path) -> None:
        self.port, self.metrics_port, self.log_path = port, metrics_port, log_path
        self.cmd = [sys.executable, "-m", "streams.cli", "tap", "milter", "--listen", f"127.0.0.1:{port}",
                    "--broker", broker_url, "--metrics-port", str(metrics_port), "--metrics-host", "127.0.0.1",
                    "--spool-dir", str(log_path.parent / f"milter-spool-{port}"), *extra]
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> "MilterTapProcess":
        self._log = open(self.log_path, "ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(self.cmd, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tap milter exited with {self.proc.returncode}: {self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"tap milter did not listen within {timeout}s: {self.log()}")
                time.sleep(0.1)

    def metric(self, name: str) -> float:
        return scrape(self.metrics_port).get(name, 0.0)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "_log", None) is not None:
            self._log.close()
