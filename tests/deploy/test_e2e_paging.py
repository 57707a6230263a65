"""End to end with the real servers: broker -> worker -> Prometheus -> Alertmanager -> webhook.

Starts the embedded Tansu broker, one ``mailflow worker`` subprocess, Prometheus
(scraping the worker every second with the project's rules) and Alertmanager
(the real routing of deploy/alertmanager/alertmanager.yml, receivers pointed at a
small HTTP server of this test, group_wait shortened), produces the
``launch-day`` scenario and checks that

* the page (critical, receiver ``pager``) reaches the webhook, naming the account
  ``care@example.com`` with the alert's summary;
* nothing pages for ``orders@example.com`` (the launch ramp: a hard negative);
* every query of the Grafana dashboard returns data from Prometheus.

The scenario is produced up to a few minutes (event time) after the end of the
incident: episodes close after an hour of quiet *event* time, and replaying the
rest of the day at full speed would close them within a second of wall time,
before Prometheus can scrape them. A real incident is paged while it happens.

Every wait is bounded; the servers are killed by the fixtures' finalisers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:  # --import-mode=importlib puts no test directory on sys.path
    sys.path.insert(0, _HERE)
import e2e_helpers as h  # noqa: E402

pytestmark = [pytest.mark.servers, pytest.mark.broker]

REPO = Path(__file__).resolve().parents[2]
INCIDENT_SENDER = "care@example.com"
RAMP_SENDER = "orders@example.com"
PARTITIONS = 2
WAIT_WORKER = 90.0        # worker: /metrics up and consuming
WAIT_PROCESSED = 90.0     # every produced event processed
WAIT_PAGE = 60.0          # page at the webhook after processing


# --------------------------------------------------------------------------- helpers
# shared with the other end-to-end tests and bench/page_latency.py (e2e_helpers.py)
_free_port, _http_get, _wait, _spawn, _kill, _tail, _ts = (
    h.free_port, h.http_get, h.wait_for, h.spawn, h.kill, h.tail, h.event_ts)


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def binaries():
    prometheus = shutil.which("prometheus")
    alertmanager = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if not (prometheus and alertmanager):
        pytest.skip("Prometheus/Alertmanager servers are not installed (run `make servers`)")
    for mod in ("streams.demo.broker", "streams.worker", "detectors.sim.shop", "kafka"):
        try:
            __import__(mod)
        except ImportError as exc:
            pytest.skip(f"{mod} is not available yet: {exc}")
    return prometheus, alertmanager


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("e2e-paging")


@pytest.fixture(scope="module")
def webhook():
    server = h.start_recorder()
    yield server
    h.stop_recorder(server)


@pytest.fixture(scope="module")
def e2e_broker(binaries):
    """A broker of its own: the topic names of the contract, no other test's records."""
    from streams.demo.broker import TansuBroker

    with TansuBroker() as b:
        yield b


@pytest.fixture(scope="module")
def topics(e2e_broker):
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=e2e_broker.bootstrap, client_id="e2e-admin", request_timeout_ms=15000)
    try:
        existing = set(admin.list_topics())
        new = [NewTopic(t, num_partitions=PARTITIONS, replication_factor=1)
               for t in ("mail.outbound", "mail.alerts", "mail.outbound.dlq") if t not in existing]
        if new:
            admin.create_topics(new)
    finally:
        admin.close()
    return "mail.outbound"


@pytest.fixture(scope="module")
def worker(e2e_broker, topics, workdir):
    port = _free_port()
    log = workdir / "worker.log"
    cmd = [sys.executable, "-m", "streams.cli", "worker",
           "--broker", e2e_broker.url, "--metrics-port", str(port), "--metrics-host", "127.0.0.1",
           "--app-id", f"mailflow-e2e-{os.getpid()}", "--partitions", str(PARTITIONS),
           "--data-dir", str(workdir / "worker-data"), "--internal-domain", "example.com",
           "--expire-interval", "1", "--lag-interval", "1", "--session-timeout", "10"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    proc = _spawn(cmd, log, env)
    try:
        def ready():
            if proc.poll() is not None:
                pytest.fail(f"worker exited with {proc.returncode}\n{_tail(log)}")
            return b"mailflow_events_processed_total" in _http_get(f"http://127.0.0.1:{port}/metrics")

        _wait(ready, WAIT_WORKER, "the worker's /metrics", diagnostics=lambda: _tail(log))
        yield {"port": port, "proc": proc, "log": log}
    finally:
        _kill(proc)


@pytest.fixture(scope="module")
def alertmanager(binaries, webhook, workdir, deploy):
    port = _free_port()
    cfg = deploy.alertmanager_test_config(f"http://127.0.0.1:{webhook.server_port}")
    path = workdir / "alertmanager.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    log = workdir / "alertmanager.log"
    proc = _spawn([binaries[1], f"--config.file={path}", f"--storage.path={workdir / 'am-data'}",
                   f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=info"], log)
    try:
        _wait(lambda: _http_get(f"http://127.0.0.1:{port}/-/ready") is not None, 30, "Alertmanager ready",
              diagnostics=lambda: _tail(log))
        yield {"port": port, "url": f"http://127.0.0.1:{port}", "log": log, "proc": proc}
    finally:
        _kill(proc)


@pytest.fixture(scope="module")
def prometheus(binaries, worker, alertmanager, workdir, deploy):
    port = _free_port()
    real = deploy.load_yaml(deploy.prom_dir / "prometheus.yml")
    (job,) = [j for j in real["scrape_configs"] if j["job_name"] == "mailflow-worker"]
    cfg = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s",
                   "external_labels": real["global"].get("external_labels", {})},
        "rule_files": [str((deploy.prom_dir / rf).resolve()) for rf in real["rule_files"]],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{alertmanager['port']}"]}]}]},
        "scrape_configs": [{"job_name": job["job_name"], "static_configs": [{"targets": [f"127.0.0.1:{worker['port']}"]}]}],
    }
    path = workdir / "prometheus.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    log = workdir / "prometheus.log"
    proc = _spawn([binaries[0], f"--config.file={path}", f"--storage.tsdb.path={workdir / 'prom-data'}",
                   f"--web.listen-address=127.0.0.1:{port}", "--rules.alert.resend-delay=1s",
                   "--log.level=info"], log)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _http_get(f"{base}/-/ready") is not None, 30, "Prometheus ready", diagnostics=lambda: _tail(log))
        yield {"port": port, "url": base, "log": log, "proc": proc}
    finally:
        _kill(proc)


def _query(prom_url: str, expr: str) -> list:
    url = f"{prom_url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    doc = json.loads(_http_get(url, timeout=5))
    assert doc["status"] == "success", doc
    return doc["data"]["result"]


@pytest.fixture(scope="module")
def scenario(binaries):
    from detectors.sim.shop import generate

    events, labels = generate("launch-day", 1, days=3, scale=0.2)
    (incident,) = [i for i in labels["incidents"] if i["sender"] == INCIDENT_SENDER]
    assert any(n["sender"] == RAMP_SENDER for n in labels["negatives"]), "the launch ramp is missing from launch-day"
    cutoff = incident["end_ts"] + 300
    return [e for e in events if _ts(e["ts"]) <= cutoff], labels


@pytest.fixture(scope="module")
def produced(e2e_broker, topics, worker, prometheus, scenario):
    from kafka import KafkaProducer

    events, _ = scenario
    producer = KafkaProducer(bootstrap_servers=e2e_broker.bootstrap, client_id="e2e-producer",
                             linger_ms=20, acks=1, request_timeout_ms=15000)
    try:
        for ev in events:
            producer.send(topics, key=ev["sender"].encode(), value=json.dumps(ev).encode())
        producer.flush(timeout=60)
    finally:
        producer.close(timeout=10)
    n = len(events)

    def all_processed():
        v = _query(prometheus["url"], "sum(mailflow_events_processed_total) + sum(mailflow_events_duplicate_total)"
                                      " + sum(mailflow_events_rejected_total)")
        return v and float(v[0]["value"][1]) >= n

    _wait(all_processed, WAIT_PROCESSED, f"the worker to process {n} events",
          diagnostics=lambda: _tail(worker["log"]))
    return n


# --------------------------------------------------------------------------- tests
def _pages(webhook, sender=None, status="firing"):
    """Alerts of webhook notifications sent to the pager receiver."""
    out = []
    for path, payload, _ in list(webhook.received):
        if not path.startswith("/pager/webhook") or not isinstance(payload, dict):
            continue
        for a in payload.get("alerts", []):
            if a.get("status") == status and (sender is None or a["labels"].get("sender") == sender):
                out.append((payload, a))
    return out


def test_critical_alert_pages_naming_the_account(produced, webhook, prometheus, alertmanager, worker):
    def diagnostics():
        firing = _query(prometheus["url"], 'ALERTS{alertstate="firing"}')
        return (f"firing in Prometheus: {[f['metric'] for f in firing][:10]}\n"
                f"webhook paths: {[p for p, _, _ in webhook.received]}\n"
                f"{_tail(worker['log'])}\n{_tail(alertmanager['log'])}\n{_tail(prometheus['log'], 15)}")

    pages = _wait(lambda: _pages(webhook, INCIDENT_SENDER), WAIT_PAGE,
                  f"a page naming {INCIDENT_SENDER} at the pager webhook", diagnostics=diagnostics)
    payload, alert = pages[0]
    print("E2E page:", json.dumps(alert)[:700], "| notification paths:", sorted({p for p, _, _ in webhook.received}))
    assert payload["receiver"] == "pager"
    assert payload["groupLabels"].get("sender") == INCIDENT_SENDER
    assert alert["labels"]["severity"] == "critical"
    assert alert["labels"]["alertname"] == "MailflowDetectorCritical"
    assert alert["annotations"]["account"] == INCIDENT_SENDER
    summary = alert["annotations"]["summary"]
    # the summary is no label of the alert: the annotation reads it from mailflow_active_alert_info
    assert "summary" not in alert["labels"]
    info = {r["metric"]["summary"] for r in _query(prometheus["url"], "mailflow_active_alert_info")
            if r["metric"].get("sender") == INCIDENT_SENDER and r["metric"]["detector"] == alert["labels"]["detector"]}
    assert summary in info, (summary, info)
    assert INCIDENT_SENDER in summary or alert["labels"]["detector"] in alert["annotations"]["description"]
    assert "docs/runbook.md#" in alert["annotations"]["runbook_url"]
    # the PagerDuty-style receiver of the same route was called too, with the account in its description
    pd = [p for path, p, _ in webhook.received if path.startswith("/pager/pagerduty")]
    assert any(INCIDENT_SENDER in json.dumps(p) for p in pd), "no PagerDuty event naming the account"
    # and chat saw it as well (continue: true)
    assert any(path.startswith("/chat/") and INCIDENT_SENDER in json.dumps(p) for path, p, _ in webhook.received)


def test_nothing_pages_for_the_launch_ramp(produced, webhook, prometheus):
    # the worker has processed everything (fixture); give rules and grouping a moment to act
    time.sleep(4)
    crit = _query(prometheus["url"], f'ALERTS{{severity="critical", sender="{RAMP_SENDER}"}}')
    assert crit == [], f"critical alert for the launch ramp: {crit}"
    assert _pages(webhook, RAMP_SENDER) == []
    # no pipeline alert is firing either (it would inhibit the per-account pages)
    pipeline = _query(prometheus["url"], 'ALERTS{alertstate="firing", component="pipeline"}')
    assert pipeline == [], pipeline


def test_every_dashboard_query_returns_data(produced, prometheus, deploy):
    dashboard = json.loads(deploy.dashboard.read_text(encoding="utf-8"))
    exprs = deploy.dashboard_exprs(dashboard)
    # panels of `mailflow guard` (it runs next to the MTA, not in this worker set-up) query
    # only the guard's own metrics; tests/guard checks that the guard exports them
    guard = [(w, e) for w, e in exprs if set(re.findall(r"mailflow_[a-z_]+", e)) and
             all(n.startswith("mailflow_guard_") for n in re.findall(r"mailflow_[a-z_]+", e))]
    assert guard, "the dashboard has a held-mail (guard) panel"
    exprs = [x for x in exprs if x not in guard]
    empty: list[str] = []

    def check():
        empty.clear()
        for where, expr in exprs:
            if not _query(prometheus["url"], deploy.concrete_expr(expr)):
                empty.append(f"{where}: {expr}")
        return not empty

    _wait(check, 30, "data for every dashboard query", interval=2, diagnostics=lambda: "\n".join(empty))
