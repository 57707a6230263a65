"""End to end with the real servers, no Prometheus: broker -> worker -(push)-> Alertmanager -> webhook.

Starts the embedded Tansu broker, one ``mailflow worker`` subprocess posting its
detector alerts straight to Alertmanager (``--alertmanager-url``, re-posted every
2 s), and, only *after* the incident has been produced and processed, the real
Alertmanager (the routing of deploy/alertmanager/alertmanager.yml through the
``deploy`` fixture's ``alertmanager_test_config``: receivers pointed at a small
HTTP server of this test, timers shortened) on the port the worker was given.
So the worker raises the alerts while Alertmanager is down, and the tests check
that

* while it is down the posts fail, are counted (``result="error"``) and kept
  (``mailflow_alertmanager_pending_alerts`` > 0), and nothing is lost: once it is
  up the page (critical, receiver ``pager``) reaches the webhook, naming
  ``care@example.com`` with the alert's summary and exactly the labels
  ``alertname, severity, component, detector, sender[, template]``;
* nothing pages for ``orders@example.com`` (the launch ramp: a hard negative);
* Alertmanager's own API lists the pushed alerts as active with ``endsAt`` in the
  future, pushed further ahead by the worker's re-posts while the episode is open;
* the worker's /metrics: ``result="ok"`` posts, nothing pending once delivered, and
  the push latency measured from the raise (so it includes the outage).

As in test_e2e_paging.py the scenario is produced only up to a few minutes (event
time) after the end of the incident, so the episodes are still open at the end.
Every wait is bounded; the servers are stopped by their pids in the finalisers.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:  # --import-mode=importlib puts no test directory on sys.path
    sys.path.insert(0, _HERE)
import e2e_helpers as h  # noqa: E402

pytestmark = [pytest.mark.servers, pytest.mark.broker]

INCIDENT_SENDER = "care@example.com"
RAMP_SENDER = "orders@example.com"
PARTITIONS = 2
RESEND = 2.0              # --alertmanager-resend-interval
OUTAGE = 4.0              # seconds Alertmanager stays down after the alerts are raised
WAIT_WORKER = 90.0        # worker: /metrics up and /readyz ready
WAIT_PROCESSED = 90.0     # every produced event processed
WAIT_PAGE = 60.0          # page at the webhook once Alertmanager is up
BASE_LABELS = {"alertname", "severity", "component", "detector", "sender"}


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def am_binary():
    binary = h.alertmanager_binary()
    if not binary:
        pytest.skip("the Alertmanager server is not installed (run `make servers`)")
    for mod in ("streams.demo.broker", "streams.worker", "streams.notify", "detectors.sim.shop", "kafka"):
        try:
            __import__(mod)
        except ImportError as exc:
            pytest.skip(f"{mod} is not available: {exc}")
    return binary


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("e2e-direct-push")


@pytest.fixture(scope="module")
def webhook():
    server = h.start_recorder()
    yield server
    h.stop_recorder(server)


@pytest.fixture(scope="module")
def push_broker(am_binary):
    """A broker of its own: the topic names of the contract, no other test's records."""
    from streams.demo.broker import TansuBroker

    with TansuBroker() as b:
        h.create_topics(b.bootstrap, ("mail.outbound", "mail.alerts", "mail.outbound.dlq"), PARTITIONS)
        yield b


@pytest.fixture(scope="module")
def am_port():
    """Chosen now, listened on only once the incident is in (the worker is told it at start)."""
    return h.free_port()


@pytest.fixture(scope="module")
def worker(push_broker, am_port, workdir):
    port = h.free_port()
    log = workdir / "worker.log"
    cmd = h.worker_command(sys.executable, push_broker.url, port, f"mailflow-e2e-push-{os.getpid()}",
                           workdir / "worker-data", PARTITIONS, [f"http://127.0.0.1:{am_port}"], RESEND)
    proc = h.spawn(cmd, log, h.worker_env())
    try:
        def ready():
            if proc.poll() is not None:
                pytest.fail(f"worker exited with {proc.returncode}\n{h.tail(log)}")
            return (b"mailflow_alertmanager_posts_total" in h.http_get(f"http://127.0.0.1:{port}/metrics")
                    and h.http_get(f"http://127.0.0.1:{port}/readyz") is not None)  # 503 raises: not yet

        # /readyz: partitions assigned and the table recovered. A worker whose log ends at
        # "[^---Recovery]: Starting..." is stuck in Faust's start-up (not an Alertmanager matter)
        h.wait_for(ready, WAIT_WORKER, "the worker's /metrics (with the Alertmanager push) and /readyz",
                   diagnostics=lambda: h.tail(log))
        yield {"port": port, "proc": proc, "log": log}
    finally:
        h.kill(proc)


@pytest.fixture(scope="module")
def scenario(am_binary):
    from detectors.sim.shop import generate

    events, labels = generate("launch-day", 1, days=3, scale=0.2)
    (incident,) = [i for i in labels["incidents"] if i["sender"] == INCIDENT_SENDER]
    assert any(n["sender"] == RAMP_SENDER for n in labels["negatives"]), "the launch ramp is missing from launch-day"
    cutoff = incident["end_ts"] + 300
    return [e for e in events if h.event_ts(e["ts"]) <= cutoff], incident


@pytest.fixture(scope="module")
def outage(push_broker, worker, scenario):
    """Produce the scenario while Alertmanager is down; the worker's metrics of the outage."""
    from kafka import KafkaProducer

    events, _ = scenario
    producer = KafkaProducer(bootstrap_servers=push_broker.bootstrap, client_id="e2e-push-producer",
                             linger_ms=20, acks=1, request_timeout_ms=15000)
    try:
        for ev in events:
            producer.send("mail.outbound", key=ev["sender"].encode(), value=json.dumps(ev).encode())
        producer.flush(timeout=60)
    finally:
        producer.close(timeout=10)
    n = len(events)
    h.wait_for(lambda: h.events_handled(h.scrape(worker["port"])) >= n, WAIT_PROCESSED,
               f"the worker to process {n} events", diagnostics=lambda: h.tail(worker["log"]))

    def failing():
        s = h.scrape(worker["port"])
        return s if (h.sample(s, "mailflow_alertmanager_posts_total", result="error") >= 2
                     and h.sample(s, "mailflow_alertmanager_pending_alerts") > 0) else None

    h.wait_for(failing, 30, "failed posts to the absent Alertmanager", diagnostics=lambda: h.tail(worker["log"]))
    time.sleep(OUTAGE)  # Alertmanager stays down a little longer: retries keep failing
    return {"events": n, "metrics": h.scrape(worker["port"]), "up_at": None}  # up_at: Alertmanager started


@pytest.fixture(scope="module")
def alertmanager(am_binary, webhook, workdir, deploy, am_port, outage):
    cfg = deploy.alertmanager_test_config(f"http://127.0.0.1:{webhook.server_port}")
    am = h.Alertmanager(am_binary, cfg, workdir, port=am_port)
    try:
        am.start()
        outage["up_at"] = am.started_at
        yield am
    finally:
        am.stop()


@pytest.fixture(scope="module")
def alert_records(push_broker, outage, scenario):
    """The alerts the worker wrote to mail.alerts for the incident's account (the contract's records)."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer("mail.alerts", bootstrap_servers=push_broker.bootstrap, group_id=None,
                             client_id=f"e2e-push-alerts-{uuid.uuid4().hex[:6]}", auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=3000)
    records: list[dict] = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            batch = [json.loads(m.value) for m in consumer]
            records += batch
            if not batch and any(r["sender"] == INCIDENT_SENDER and r["severity"] == "critical" for r in records):
                break
    finally:
        consumer.close()
    mine = [r for r in records if r["sender"] == INCIDENT_SENDER]
    assert any(r["severity"] == "critical" for r in mine), f"no critical alert for {INCIDENT_SENDER} in mail.alerts"
    return records


def _diagnostics(webhook, worker, am=None):
    def text():
        out = [f"webhook paths: {sorted({p for p, _, _ in webhook.received})}", h.tail(worker["log"], 30)]
        if am is not None:
            try:
                out.insert(0, "Alertmanager alerts: " + json.dumps([a["labels"] for a in am.alerts()])[:1500])
            except Exception as exc:  # noqa: BLE001 - diagnostics only
                out.insert(0, f"Alertmanager API: {exc!r}")
            out.append(h.tail(am.log, 20))
        return "\n".join(out)
    return text


@pytest.fixture(scope="module")
def page(alertmanager, webhook, worker):
    """The first page naming the incident's account, once Alertmanager is up."""
    found = h.wait_for(lambda: h.pages(webhook.received, INCIDENT_SENDER), WAIT_PAGE,
                       f"a page naming {INCIDENT_SENDER} at the pager webhook",
                       diagnostics=_diagnostics(webhook, worker, alertmanager))
    return found[0]


# --------------------------------------------------------------------------- tests
def test_posts_fail_and_are_kept_while_alertmanager_is_down(outage):
    m = outage["metrics"]
    assert h.sample(m, "mailflow_alertmanager_posts_total", result="error") >= 2
    assert h.sample(m, "mailflow_alertmanager_posts_total", result="ok") == 0
    assert h.sample(m, "mailflow_alertmanager_pending_alerts") > 0
    assert h.histogram(m, "mailflow_alertmanager_push_seconds")[1] == 0  # nothing accepted yet


def test_page_reaches_the_pager_once_alertmanager_is_up(page, outage, webhook, scenario, alert_records):
    payload, alert, got = page
    _, incident = scenario
    print(f"E2E direct page {got - outage['up_at']:.1f}s after Alertmanager was started:", json.dumps(alert)[:700],
          "| notification paths:", sorted({p for p, _, _ in webhook.received}))
    assert payload["receiver"] == "pager"
    assert payload["groupLabels"].get("sender") == INCIDENT_SENDER
    assert got >= outage["up_at"]
    for _, a, _ in h.pages(webhook.received, INCIDENT_SENDER):
        lab, ann = a["labels"], a["annotations"]
        assert lab["alertname"] == "MailflowDetectorCritical" and lab["severity"] == "critical"
        assert lab["component"] == "detector" and lab["sender"] == INCIDENT_SENDER
        # the contract's alerts of this detector and template: the page is one of them
        recs = [r for r in alert_records if r["sender"] == INCIDENT_SENDER and r["severity"] == "critical"
                and r["detector"] == lab["detector"] and (r["template"] or "") == lab.get("template", "")]
        assert recs, f"no critical {lab['detector']} alert in mail.alerts with template {lab.get('template')!r}"
        # exactly the labels of the rules' alert: template only when the alert has one, no free text
        assert set(lab) == BASE_LABELS | ({"template"} if recs[0]["template"] else set()), lab
        # the alert's summary; like the Prometheus path's (a label of mailflow_active_alert_info)
        # it is clipped to 200 characters, ending in "…"
        summary = ann["summary"]
        assert summary and any(summary == r["summary"] or (summary.endswith("…") and len(summary) == 200
                                                           and r["summary"].startswith(summary[:-1]))
                               for r in recs), (summary, [r["summary"] for r in recs])
        assert ann["account"] == INCIDENT_SENDER and ann["detector"] == lab["detector"]
        assert f"for account {INCIDENT_SENDER}" in ann["description"]
        assert ann["runbook_url"].endswith(f"docs/runbook.md#{lab['detector']}")
        assert 0.0 <= float(ann["score"]) <= 1.0
        assert ann["event_ids"].split(",")[0] in incident["event_ids"]  # names the message that raised it
        assert isinstance(json.loads(ann["evidence"]), dict)
    # the PagerDuty-style receiver of the same route was called too, and chat (continue: true)
    pd = [p for path, p, _ in webhook.received if path.startswith("/pager/pagerduty")]
    assert any(INCIDENT_SENDER in json.dumps(p) for p in pd), "no PagerDuty event naming the account"
    assert any(path.startswith("/chat/") and INCIDENT_SENDER in json.dumps(p) for path, p, _ in webhook.received)


def test_nothing_pages_for_the_launch_ramp(page, alertmanager, webhook, worker):
    # everything raised is delivered (nothing pending), then give grouping a few group_waits to act
    h.wait_for(lambda: h.sample(h.scrape(worker["port"]), "mailflow_alertmanager_pending_alerts") == 0, 30,
               "every alert delivered", interval=0.2)
    time.sleep(4)
    crit = [a["labels"] for a in alertmanager.alerts(sender=RAMP_SENDER, severity="critical")]
    assert crit == [], f"critical alert for the launch ramp in Alertmanager: {crit}"
    assert h.pages(webhook.received, RAMP_SENDER) == []
    assert not any(RAMP_SENDER in json.dumps(p) for path, p, _ in webhook.received if path.startswith("/pager/"))


def test_alertmanager_lists_the_pushed_alerts_while_open(page, alertmanager):
    first = alertmanager.alerts(sender=INCIDENT_SENDER, component="detector")
    assert first, "Alertmanager lists no alert for the incident's account"
    now = time.time()
    for a in first:
        assert a["status"]["state"] == "active", a
        assert set(a["labels"]) <= BASE_LABELS | {"template"} and BASE_LABELS <= set(a["labels"])
        assert h.rfc3339_ts(a["endsAt"]) > now, (a["endsAt"], now)
        assert h.rfc3339_ts(a["endsAt"]) <= now + 4 * RESEND + 5  # four resend intervals ahead, not forever
    assert any(a["labels"]["severity"] == "critical" for a in first)
    # the worker re-posts open alerts: endsAt moves on, past the first deadline
    ends = {a["fingerprint"]: h.rfc3339_ts(a["endsAt"]) for a in first}
    wait = max(ends.values()) - time.time() + 0.5

    def moved():
        later = {a["fingerprint"]: a for a in alertmanager.alerts(sender=INCIDENT_SENDER, component="detector")}
        return all(fp in later and later[fp]["status"]["state"] == "active"
                   and h.rfc3339_ts(later[fp]["endsAt"]) > ends[fp] for fp in ends)

    time.sleep(max(0.0, min(wait, 4 * RESEND + 5)))
    h.wait_for(moved, 4 * RESEND, "the re-posted alerts' endsAt to move on while still active", interval=0.5)


def test_worker_metrics_once_delivered(page, outage, worker):
    def delivered():
        s = h.scrape(worker["port"])
        return s if (h.sample(s, "mailflow_alertmanager_pending_alerts") == 0
                     and h.sample(s, "mailflow_alertmanager_posts_total", result="ok") > 0) else None

    s = h.wait_for(delivered, 30, "posts_total{result=ok} > 0 and nothing pending", interval=0.2)
    assert h.sample(s, "mailflow_alertmanager_posts_total", result="error") >= \
        h.sample(outage["metrics"], "mailflow_alertmanager_posts_total", result="error") >= 2
    buckets, count, total = h.histogram(s, "mailflow_alertmanager_push_seconds")
    assert count > 0
    # measured from the raise, so the outage is in it: no alert was accepted within 2 s
    assert dict(buckets)[2.0] == 0, f"push latency ignores the outage: {buckets}"
    assert total / count >= OUTAGE
