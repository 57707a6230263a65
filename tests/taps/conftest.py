"""A private Postfix instance per test session, an in-test SMTP sink and the tap as a subprocess.

The Postfix instance (``postfix_mta`` fixture) is Debian's ``postfix`` (installed by
``scripts/install-servers.sh``) run with its own configuration directory:

* config, queue, data and log directories under one temp dir; the config directory is
  listed in ``/etc/postfix/main.cf`` ``alternate_config_directories`` for the session
  (added on start, removed on teardown);
* smtpd on a free loopback port only (master.cf), ``inet_interfaces = loopback-only``,
  no DNS (``disable_dns_lookups``, ``smtp_host_lookup = native``);
* every message goes to ``relayhost = [127.0.0.1]:SINKPORT``: the sink (an aiosmtpd
  Controller in a thread) stands in for the customers' mailboxes;
* every message is journalled to the tap: ``recipient_bcc_maps`` adds
  ``journal+LOCAL=DOMAIN@mailflow-tap.invalid`` for each original recipient (the journal
  envelope; docs/connect-your-mail.md), ``transport_maps`` routes ``mailflow-tap.invalid`` to
  ``[127.0.0.1]:TAPPORT`` through a ``mailflow_tap`` transport (one transaction for all of a
  message's journal recipients);
* short retry times, so a copy the tap deferred with 451 is retried within seconds.

It is started with ``postfix -c DIR start`` and stopped with ``postfix -c DIR stop``
(and, should that fail, its master is killed by the pid in its own pid file).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Callable

import pytest

POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"
POSTCONF = shutil.which("postconf") or "/usr/sbin/postconf"
POSTQUEUE = shutil.which("postqueue") or "/usr/sbin/postqueue"
JOURNAL_DOMAIN = "mailflow-tap.invalid"
REPO = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- the sink
@dataclass
class SinkMessage:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


class _SinkHandler:
    def __init__(self) -> None:
        self.messages: list[SinkMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(SinkMessage(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 delivered to the sink"


class Sink:
    """The customers' mailboxes: every message Postfix relays (``messages``)."""

    def __init__(self, port: int) -> None:
        from aiosmtpd.controller import Controller

        self.handler = _SinkHandler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port, server_hostname="sink.test",
                                     data_size_limit=64 * 1024 * 1024)
        self.port = port

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[SinkMessage]:
        with self.handler.lock:
            return list(self.handler.messages)

    def with_message_id(self, mid: str) -> list[SinkMessage]:
        needle = mid.encode()
        return [m for m in self.messages if needle in m.data[:8192]]

    def wait_for(self, pred: Callable[[list[SinkMessage]], bool], timeout: float = 30.0) -> list[SinkMessage]:
        deadline = time.monotonic() + timeout
        while True:
            msgs = self.messages
            if pred(msgs):
                return msgs
            if time.monotonic() > deadline:
                raise AssertionError(f"sink: condition not met within {timeout}s ({len(msgs)} messages)")
            time.sleep(0.1)


# ------------------------------------------------------------------------ the Postfix
def _run(cmd: list[str], timeout: float = 60.0, check: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stdout}{p.stderr}")
    return p


def _split_list(v: str) -> list[str]:
    return [x for x in v.replace(",", " ").split() if x]


def _alternate_dirs() -> list[str]:
    return _split_list(_run([POSTCONF, "-h", "alternate_config_directories"]).stdout.strip())


def _set_alternate_dirs(dirs: list[str]) -> None:
    _run([POSTCONF, "-e", f"alternate_config_directories = {' '.join(dirs)}"])


@dataclass
class PrivatePostfix:
    base: Path
    smtp_port: int
    tap_port: int
    sink: Sink
    config_dir: Path = field(init=False)
    queue_dir: Path = field(init=False)
    data_dir: Path = field(init=False)
    log_file: Path = field(init=False)

    def __post_init__(self) -> None:
        self.config_dir = self.base / "config"
        self.queue_dir = self.base / "queue"
        self.data_dir = self.base / "data"
        self.log_dir = self.base / "log"
        self.log_file = self.log_dir / "maillog"

    # -- configuration
    def write_config(self) -> None:
        for d in (self.config_dir, self.queue_dir, self.data_dir, self.log_dir):
            d.mkdir(parents=True, exist_ok=True)
        os.chmod(self.base, 0o755)
        shutil.chown(self.data_dir, "postfix", "postfix")
        # the journal envelope: one journal+LOCAL=DOMAIN@JOURNAL_DOMAIN per original recipient
        (self.config_dir / "journal_bcc").write_text(
            f"/^(.+)@([^@]+)$/ journal+${{1}}=${{2}}@{JOURNAL_DOMAIN}\n")
        (self.config_dir / "transport").write_text(f"{JOURNAL_DOMAIN} mailflow_tap:[127.0.0.1]:{self.tap_port}\n")
        main_cf = f"""\
# private Postfix of the mailflow-sentinel tap tests (tests/taps/conftest.py)
compatibility_level = 3.6
queue_directory = {self.queue_dir}
data_directory = {self.data_dir}
mail_owner = postfix
setgid_group = postdrop
myhostname = mailflow-test.localdomain
mydomain = localdomain
myorigin = $myhostname
mydestination =
local_recipient_maps =
local_transport = error:5.1.1 no local delivery in the test instance
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_banner = $myhostname ESMTP
# mail from the tests is relayed as Postfix relays an application server's mail: headers as
# they came (no From/Message-ID/Date added), so malformed mail reaches the tap malformed
local_header_rewrite_clients =
biff = no
relayhost = [127.0.0.1]:{self.sink.port}
disable_dns_lookups = yes
smtp_host_lookup = native
smtp_tls_security_level = none
smtpd_tls_security_level = none
recipient_bcc_maps = regexp:{self.config_dir}/journal_bcc
transport_maps = texthash:{self.config_dir}/transport
mailflow_tap_destination_recipient_limit = 1000
mailflow_tap_destination_concurrency_limit = 4
maillog_file = {self.log_file}
maillog_file_prefixes = {self.log_dir}
message_size_limit = 40000000
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtp_connect_timeout = 5s
delay_warning_time = 0
"""
        (self.config_dir / "main.cf").write_text(main_cf)
        # the system's master.cf (same daemons), with every inet service replaced by one
        # loopback smtpd on our port, the postlogd that maillog_file needs, and the tap transport
        lines, skip_options = [], False
        for line in Path("/etc/postfix/master.cf").read_text().splitlines():
            fields = line.split()
            if skip_options and line[:1].isspace():
                continue
            skip_options = len(fields) > 1 and not line.startswith("#") and fields[1] == "inet"
            if not skip_options:
                lines.append(line)
        lines.append(f"127.0.0.1:{self.smtp_port} inet n - n - - smtpd")
        if not any(ln.startswith("postlog ") for ln in lines):
            lines.append("postlog   unix-dgram n  -       n       -       1       postlogd")
        lines.append("mailflow_tap unix  -       -       n       -       -       smtp")
        (self.config_dir / "master.cf").write_text("\n".join(lines) + "\n")
        _run([POSTCONF, "-c", str(self.config_dir), "-F", "*/*/chroot = n"])
        warn = _run([POSTCONF, "-c", str(self.config_dir), "-n"], check=False)
        if warn.returncode != 0:
            raise RuntimeError(f"postconf refused the private main.cf: {warn.stderr}")

    # -- life cycle
    def postfix(self, *args: str, timeout: float = 60.0, check: bool = True) -> subprocess.CompletedProcess:
        return _run([POSTFIX, "-c", str(self.config_dir), *args], timeout=timeout, check=check)

    @property
    def master_pid(self) -> int | None:
        try:
            return int((self.queue_dir / "pid" / "master.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def start(self) -> None:
        self.postfix("check")
        self.postfix("start")
        deadline = time.monotonic() + 20
        while True:
            try:
                with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=5) as s:
                    s.noop()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"private Postfix did not listen on {self.smtp_port}: {self.log_tail()}")
                time.sleep(0.2)

    def stop(self) -> None:
        pid = self.master_pid
        self.postfix("stop", check=False, timeout=30)
        if pid is not None:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.1)
            if _alive(pid) and self.master_pid == pid:
                os.kill(pid, signal.SIGKILL)

    # -- helpers
    def send(self, msg: EmailMessage, from_addr: str | None = None, to_addrs: list[str] | None = None) -> dict:
        """Submit ``msg`` over SMTP (smtplib); returns smtplib's refused-recipients dict."""
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=60) as s:
            return s.send_message(msg, from_addr=from_addr, to_addrs=to_addrs)

    def send_bytes(self, data: bytes, from_addr: str, to_addrs: list[str]) -> dict:
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=60) as s:
            return s.sendmail(from_addr, to_addrs, data)

    def queue(self) -> list[dict]:
        """Every queued message (``postqueue -c DIR -j``): queue_name, queue_id, recipients ..."""
        p = _run([POSTQUEUE, "-c", str(self.config_dir), "-j"], check=False)
        return [json.loads(line) for line in p.stdout.splitlines() if line.strip().startswith("{")]

    def hold_queue(self) -> list[dict]:
        return [m for m in self.queue() if m.get("queue_name") == "hold"]

    def deferred(self) -> list[dict]:
        return [m for m in self.queue() if m.get("queue_name") == "deferred"]

    def flush(self) -> None:
        _run([POSTQUEUE, "-c", str(self.config_dir), "-f"], check=False)

    def wait_queue_empty(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self.queue():
            if time.monotonic() > deadline:
                raise AssertionError(f"Postfix queue not empty after {timeout}s: {self.queue()}")
            self.flush()
            time.sleep(0.5)

    # -- per-test main.cf parameters (tests/guard: policy service, milters); additive helpers
    def get_param(self, name: str) -> str | None:
        """``name``'s value if main.cf sets it (``postconf -n``), else None."""
        p = _run([POSTCONF, "-c", str(self.config_dir), "-n", "-h", name], check=False)
        v = p.stdout.strip()
        return v if p.returncode == 0 and v else None

    def set_params(self, params: dict[str, str]) -> dict[str, str | None]:
        """Set main.cf ``params`` (``postconf -e``) and reload; returns the old values (None: unset)."""
        old = {k: self.get_param(k) for k in params}
        _run([POSTCONF, "-c", str(self.config_dir), "-e", *[f"{k} = {v}" for k, v in params.items()]])
        self.reload()
        return old

    def restore_params(self, old: dict[str, str | None]) -> None:
        keep = {k: v for k, v in old.items() if v is not None}
        gone = [k for k, v in old.items() if v is None]
        if keep:
            _run([POSTCONF, "-c", str(self.config_dir), "-e", *[f"{k} = {v}" for k, v in keep.items()]])
        if gone:
            _run([POSTCONF, "-c", str(self.config_dir), "-X", *gone])
        self.reload()

    def reload(self) -> None:
        """``postfix -c DIR reload``; waits a moment so new smtpd processes read the new main.cf."""
        self.postfix("reload")
        time.sleep(1.0)

    def drop_held(self) -> None:
        """Delete every message in the hold queue (``postsuper -c DIR -d ALL hold``)."""
        _run([shutil.which("postsuper") or "/usr/sbin/postsuper", "-c", str(self.config_dir), "-d", "ALL", "hold"],
             check=False)

    def log_text(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-n:])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover
        return True
    return True


@pytest.fixture(scope="session")
def mail_sink(free_port):
    sink = Sink(free_port())
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture(scope="session")
def postfix_mta(mail_sink, free_port):
    """The session's private Postfix (see the module doc); skipped where postfix is not installed."""
    if not (os.path.exists(POSTFIX) and os.path.exists(POSTCONF) and os.path.exists("/etc/postfix/main.cf")):
        pytest.skip("postfix is not installed (bash scripts/install-servers.sh)")
    if os.geteuid() != 0:
        pytest.skip("a private Postfix instance needs root (its master runs as root)")
    base = Path(tempfile.mkdtemp(prefix="mailflow-postfix-"))
    mta = PrivatePostfix(base, smtp_port=free_port(), tap_port=free_port(), sink=mail_sink)
    mta.write_config()
    cfg = str(mta.config_dir)
    # entries of earlier sessions whose directories are gone (a killed run) are dropped
    dirs = [d for d in _alternate_dirs() if not (d.startswith(tempfile.gettempdir() + "/mailflow-postfix-")
                                                 and not os.path.isdir(d))]
    added = cfg not in dirs
    if added:
        _set_alternate_dirs(dirs + [cfg])
    try:
        mta.start()
        yield mta
    finally:
        try:
            mta.stop()
        finally:
            if added:
                _set_alternate_dirs([d for d in _alternate_dirs() if d != cfg])
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postfix_params(postfix_mta):
    """``postfix_params(name=value, ...)``: main.cf parameters for one test, restored (and
    held mail deleted) at its end."""
    saved: list[dict] = []

    def apply(**params: str) -> None:
        saved.append(postfix_mta.set_params(params))

    yield apply
    postfix_mta.drop_held()
    for old in reversed(saved):
        postfix_mta.restore_params(old)


# ---------------------------------------------------------------------------- the tap
class TapProcess:
    """``mailflow tap smtp`` as a subprocess; stopped by its pid (SIGTERM, then SIGKILL)."""

    def __init__(self, port: int, broker_url: str, metrics_port: int, extra: list[str] | None = None,
                 env: dict | None = None, log_path: Path | None = None) -> None:
        self.port = port
        self.metrics_port = metrics_port
        self.cmd = [sys.executable, "-m", "streams.cli", "tap", "smtp", "--listen", f"127.0.0.1:{port}",
                    "--broker", broker_url, "--metrics-port", str(metrics_port), "--metrics-host", "127.0.0.1",
                    *(extra or [])]
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.log_path = log_path or Path(tempfile.mkstemp(prefix="mailflow-tap-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> "TapProcess":
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.cmd, cwd=REPO, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tap exited with {self.proc.returncode}: {self.log()}")
            try:
                with smtplib.SMTP("127.0.0.1", self.port, timeout=5) as s:
                    s.noop()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"tap did not listen within {timeout}s: {self.log()}")
                time.sleep(0.1)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def metrics(self) -> str:
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as r:
            return r.read().decode()

    def metric(self, name: str, labels: str = "") -> float:
        want = f"{name}{{{labels}}}" if labels else name
        for line in self.metrics().splitlines():
            if line.startswith(want + " "):
                return float(line.split()[-1])
        return 0.0

    def wait_metric(self, name: str, labels: str, ok: Callable[[float], bool], timeout: float = 30.0) -> float:
        """The value of a series once ``ok(value)``; an AssertionError naming every
        ``mailflow_tap_`` series and the tap's log tail if it is not within ``timeout``.

        The tap counts a message after the broker acknowledged its event, so a consumer can
        read the event a moment before the count moves: assert on the count by waiting."""
        deadline = time.monotonic() + timeout
        while True:
            v = self.metric(name, labels)
            if ok(v):
                return v
            if time.monotonic() > deadline:
                series = [ln for ln in self.metrics().splitlines() if ln.startswith("mailflow_tap_")]
                raise AssertionError(f"{name}{{{labels}}} = {v} after {timeout}s\n" + "\n".join(series)
                                     + "\n--- tap log (tail) ---\n" + self.log()[-4000:])
            time.sleep(0.2)

    def peak_rss_kib(self) -> int:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0

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

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


@pytest.fixture
def tap_factory(free_port, tmp_path):
    """``tap_factory(port, broker_url, *extra_flags)``: a started tap, stopped at test end."""
    started: list[TapProcess] = []

    def make(port: int, broker_url: str, *extra: str, env: dict | None = None) -> TapProcess:
        t = TapProcess(port, broker_url, free_port(), list(extra), env=env,
                       log_path=tmp_path / f"tap-{len(started)}.log")
        started.append(t)
        return t.start()

    yield make
    for t in started:
        t.stop()


def consume(bootstrap: str, topic: str, want: Callable[[list], bool], timeout: float = 30.0) -> list:
    """Records of ``topic`` (kafka-python ConsumerRecord) until ``want(records)`` or the timeout."""
    from kafka import KafkaConsumer

    c = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False,
                      group_id=None, consumer_timeout_ms=500)
    records: list = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            for batch in c.poll(timeout_ms=500).values():
                records.extend(batch)
            if want(records):
                break
    finally:
        c.close()
    return records


def create_topics(bootstrap: str, *topics: str) -> None:
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="mailflow-tap-tests")
    try:
        admin.create_topics([NewTopic(t, 1, 1) for t in topics])
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()
