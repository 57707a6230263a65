"""Helpers of the end-to-end tests with the real servers, and of bench/page_latency.py.

No pytest in here (a failed wait raises :class:`WaitTimeout`, an ``AssertionError``,
so pytest reports it as a failure), so the bench can use the same code. The test
modules run under ``--import-mode=importlib`` and cannot import each other: they
load this module by putting its directory on ``sys.path``.

Servers are started in a session of their own (:func:`spawn`) and stopped by
their process group (:func:`kill`), never by name. Every wait is a polling loop
with a deadline.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[2]
AM_CONFIG = REPO / "deploy" / "alertmanager" / "alertmanager.yml"


class WaitTimeout(AssertionError):
    """A bounded wait ran out."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = 3.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.5,
             diagnostics: Callable[[], str] | None = None) -> Any:
    """``predicate()``'s first truthy value, polled until ``timeout`` seconds (:class:`WaitTimeout` then)."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except WaitTimeout:
            raise
        except Exception as exc:  # servers still starting
            last_exc = exc
        time.sleep(interval)
    extra = diagnostics() if diagnostics else ""
    raise WaitTimeout(f"timed out after {timeout:.0f}s waiting for {what} (last error: {last_exc!r})\n{extra}")


def spawn(cmd: list[str], log_path: Path, env: dict | None = None) -> subprocess.Popen:
    """Start ``cmd`` in a new session (its own process group), output to ``log_path``."""
    log = open(log_path, "wb")
    try:
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=REPO, env=env, start_new_session=True)
    finally:
        log.close()


def kill(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM the process group of ``proc`` (started by :func:`spawn`), SIGKILL after ``timeout``."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(5)


def tail(path: Path, n: int = 40) -> str:
    try:
        lines = Path(path).read_text(errors="replace").splitlines()[-n:]
    except OSError:
        return f"({path} unreadable)"
    return f"--- {Path(path).name} (last {len(lines)} lines)\n" + "\n".join(lines)


def event_ts(value) -> float:
    """Event time in Unix seconds (the contract allows numbers and RFC 3339 strings)."""
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except ValueError:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def rfc3339_ts(value: str) -> float:
    """Alertmanager's timestamps (``2024-05-01T10:00:00.123Z``, nanoseconds allowed) in Unix seconds."""
    v = value.replace("Z", "+00:00")
    if "." in v:  # fromisoformat of 3.11 takes at most microseconds
        head, rest = v.split(".", 1)
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits):]
        v = f"{head}.{digits[:6]}{zone}"
    return datetime.fromisoformat(v).timestamp()


def alertmanager_binary() -> str | None:
    return shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


# --------------------------------------------------------------------------- webhook recorder
class Recorder(BaseHTTPRequestHandler):
    """Records every POST as ``(path, payload, receipt time.time())`` in ``server.received``."""

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        got = time.time()
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            payload = {"_raw": body.decode("utf-8", "replace")}
        self.server.received.append((self.path, payload, got))
        self.send_response(202 if "pagerduty" in self.path else 200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "success", "message": "Event processed"}')

    def log_message(self, *args):  # quiet
        pass


def start_recorder() -> ThreadingHTTPServer:
    """A running webhook recorder on a free loopback port (``.server_port``, ``.received``); ``stop_recorder`` it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.received = []
    threading.Thread(target=server.serve_forever, name="e2e-webhook", daemon=True).start()
    return server


def stop_recorder(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()


def pages(received: list, sender: str | None = None, status: str = "firing") -> list[tuple[dict, dict, float]]:
    """``(notification, alert, receipt time)`` of the alerts of notifications to the pager's webhook."""
    out = []
    for path, payload, got in list(received):
        if not path.startswith("/pager/webhook") or not isinstance(payload, dict):
            continue
        for a in payload.get("alerts", []):
            if a.get("status") == status and (sender is None or a.get("labels", {}).get("sender") == sender):
                out.append((payload, a, got))
    return out


# --------------------------------------------------------------------------- Alertmanager
def alertmanager_config(base_url: str, critical_group_wait: str | None = None) -> dict:
    """The real alertmanager.yml with every receiver URL pointed at ``base_url/<receiver>/<kind>/<i>``
    (as ``alertmanager_test_config`` of tests/deploy/conftest.py does), template paths made
    absolute, and every timer as the project sets it, except the ``group_wait`` of the
    ``severity="critical"`` route when ``critical_group_wait`` is given."""
    import yaml

    with open(AM_CONFIG, encoding="utf-8") as f:
        cfg = copy.deepcopy(yaml.safe_load(f))
    for rcv in cfg.get("receivers", []):
        for key, value in list(rcv.items()):
            if not key.endswith("_configs"):
                continue
            kind = key[: -len("_configs")]
            for i, c in enumerate(value):
                for url_key in ("url", "api_url"):
                    if url_key in c:
                        c[url_key] = f"{base_url.rstrip('/')}/{rcv['name']}/{kind}/{i}"
    if critical_group_wait is not None:
        route = critical_route(cfg)
        route["group_wait"] = critical_group_wait
    cfg["templates"] = [str((AM_CONFIG.parent / t).resolve()) if not Path(t).is_absolute() else t
                        for t in cfg.get("templates", [])]
    return cfg


def critical_route(cfg: dict) -> dict:
    """The child route of ``cfg`` matching ``severity="critical"`` (the pager's)."""
    for r in cfg["route"].get("routes", []) or []:
        if 'severity="critical"' in (r.get("matchers") or []):
            return r
    raise LookupError('no severity="critical" route in the Alertmanager configuration')


def effective_group_wait(cfg: dict, route: dict) -> str:
    return str(route.get("group_wait", cfg["route"].get("group_wait", "30s")))


class Alertmanager:
    """A real Alertmanager subprocess on 127.0.0.1:``port`` (clustering off)."""

    def __init__(self, binary: str, config: dict, workdir: Path, port: int | None = None) -> None:
        import yaml

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = Path(workdir)
        self.config_path = self.workdir / "alertmanager.yml"
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        self.log = self.workdir / "alertmanager.log"
        self.cmd = [binary, f"--config.file={self.config_path}", f"--storage.path={self.workdir / 'am-data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address=", "--log.level=info"]
        self.proc: subprocess.Popen | None = None
        self.started_at: float | None = None

    def start(self, timeout: float = 30.0) -> "Alertmanager":
        self.started_at = time.time()  # before the process exists: nothing can be notified earlier
        self.proc = spawn(self.cmd, self.log)

        def ready():
            if self.proc.poll() is not None:
                raise WaitTimeout(f"Alertmanager exited with {self.proc.returncode}\n{tail(self.log)}")
            return http_get(f"{self.url}/-/ready") is not None

        wait_for(ready, timeout, "Alertmanager ready", interval=0.2, diagnostics=lambda: tail(self.log))
        return self

    def stop(self) -> None:
        if self.proc is not None:
            kill(self.proc)

    def alerts(self, **filters: str) -> list[dict]:
        """``GET /api/v2/alerts``, with ``filter=name="value"`` matchers."""
        query = urllib.parse.urlencode([("filter", f'{k}="{v}"') for k, v in filters.items()])
        return json.loads(http_get(f"{self.url}/api/v2/alerts" + (f"?{query}" if query else ""), timeout=5))


# --------------------------------------------------------------------------- worker
def scrape(port: int) -> dict[tuple[str, tuple], float]:
    """The worker's ``/metrics`` as {(sample name, sorted labels): value}."""
    from prometheus_client.parser import text_string_to_metric_families

    text = http_get(f"http://127.0.0.1:{port}/metrics", timeout=3).decode()
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def sample(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples: dict, name: str) -> float:
    """The sum of every series of ``name``."""
    return sum(v for (n, _), v in samples.items() if n == name)


def events_handled(samples: dict) -> float:
    """Events the worker is done with: processed, duplicates and rejected."""
    return sum(total(samples, n) for n in ("mailflow_events_processed_total", "mailflow_events_duplicate_total",
                                            "mailflow_events_rejected_total"))


def histogram(samples: dict, name: str) -> tuple[list[tuple[float, float]], float, float]:
    """``([(le, cumulative count)], count, sum)`` of a label-less histogram."""
    buckets = sorted((float(dict(lab)["le"]), v) for (n, lab), v in samples.items() if n == f"{name}_bucket")
    return buckets, sample(samples, f"{name}_count"), sample(samples, f"{name}_sum")


def histogram_quantile(q: float, buckets: list[tuple[float, float]]) -> float | None:
    """PromQL's ``histogram_quantile`` (linear inside the bucket) of cumulative ``buckets``."""
    if not buckets or buckets[-1][1] <= 0:
        return None
    count = buckets[-1][1]
    rank = q * count
    prev_le, prev_c = 0.0, 0.0
    for le, c in buckets:
        if c >= rank:
            if le == float("inf"):
                return prev_le
            return prev_le + (le - prev_le) * ((rank - prev_c) / (c - prev_c) if c > prev_c else 1.0)
        prev_le, prev_c = le, c
    return prev_le


def worker_command(python: str, broker_url: str, metrics_port: int, app_id: str, data_dir: Path,
                   partitions: int, alertmanager_urls: list[str], resend_interval: float | None = None,
                   extra: list[str] | None = None) -> list[str]:
    cmd = [python, "-m", "streams.cli", "worker",
           "--broker", broker_url, "--metrics-port", str(metrics_port), "--metrics-host", "127.0.0.1",
           "--app-id", app_id, "--partitions", str(partitions),
           "--data-dir", str(data_dir), "--internal-domain", "example.com",
           "--expire-interval", "1", "--lag-interval", "1", "--session-timeout", "10"]
    for u in alertmanager_urls:
        cmd += ["--alertmanager-url", u]
    if resend_interval is not None:
        cmd += ["--alertmanager-resend-interval", str(resend_interval)]
    return cmd + list(extra or [])


def worker_env() -> dict:
    """The environment without any MAILFLOW_* setting of the caller's shell."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}


def create_topics(bootstrap: str, names: tuple[str, ...], partitions: int) -> None:
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="e2e-admin", request_timeout_ms=15000)
    try:
        existing = set(admin.list_topics())
        new = [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in names if t not in existing]
        if new:
            admin.create_topics(new)
    finally:
        admin.close()
