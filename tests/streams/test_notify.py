"""The direct push of detector alerts to Alertmanager (streams/notify.py), against a
recording HTTP server that speaks the v2 API's POST (the real Alertmanager is in
tests/deploy/test_e2e_direct_push.py)."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from prometheus_client import CollectorRegistry

from streams.metrics import Metrics
from streams.notify import AlertmanagerPush

REPO = Path(__file__).resolve().parents[2]


class _AM(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        srv = self.server
        with srv.lock:
            fail = srv.fail > 0
            if fail:
                srv.fail -= 1
            else:
                srv.posts.append((self.path, json.loads(body), self.headers.get("Authorization"), time.time()))
        self.send_response(500 if fail else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def am():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _AM)
    srv.posts, srv.fail, srv.lock = [], 0, threading.Lock()
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    srv.url = f"http://127.0.0.1:{srv.server_port}"
    yield srv
    srv.shutdown()
    srv.server_close()


def alert(detector="sensitive_request", severity="critical", sender="care@shop.example", template="verify",
          score=0.95, ts=1_700_000_000.0, summary="care@shop.example (automated) asked 5 customers for a passport"):
    return SimpleNamespace(detector=detector, severity=severity, sender=sender, template=template, score=score,
                           ts=ts, summary=summary, evidence={"categories": ["passport"], "harm": ["new_sensitive_request"]},
                           event_ids=["e1", "e2"])


def wait(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError("timed out")


def alerts_posted(srv):
    with srv.lock:
        return [a for _, body, _, _ in srv.posts for a in body]


def ts(s: str) -> float:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def make(srv, **kw):
    reg = CollectorRegistry()
    push = AlertmanagerPush([srv.url], registry=reg, **kw)
    return Metrics(reg, alert_listener=push), push, reg


def test_a_raised_alert_is_posted_at_once_with_the_rules_labels_and_its_text_as_annotations(am):
    m, push, reg = make(am)
    push.start()
    try:
        t0 = time.time()
        m.alert(alert(), now=t0)
        (a,) = wait(lambda: alerts_posted(am))
        assert am.posts[0][0] == "/api/v2/alerts"
        assert a["labels"] == {"alertname": "MailflowDetectorCritical", "severity": "critical", "component": "detector",
                               "detector": "sensitive_request", "sender": "care@shop.example", "template": "verify"}
        ann = a["annotations"]
        assert ann["summary"] == "care@shop.example (automated) asked 5 customers for a passport"
        assert json.loads(ann["evidence"])["harm"] == ["new_sensitive_request"]
        assert ann["event_ids"] == "e1,e2" and ann["score"] == "0.95"
        assert ann["runbook_url"].endswith("docs/runbook.md#sensitive_request")
        # the same link as the rules' annotation ({{ $labels.sender | urlquery }})
        assert ann["dashboard_url"] == "http://localhost:3000/d/mailflow-launch/launch-monitoring?var-sender=care%40shop.example"
        assert ts(a["endsAt"]) > time.time() + 60  # open: ends only if nobody re-posts it
        assert ts(a["startsAt"]) == 1_700_000_000.0  # the alert's event time
        wait(lambda: reg.get_sample_value("mailflow_alertmanager_push_seconds_count") == 1)
        assert reg.get_sample_value("mailflow_alertmanager_posts_total", {"result": "ok"}) == 1
        assert reg.get_sample_value("mailflow_alertmanager_pending_alerts") == 0
    finally:
        push.close()


def test_the_pushed_labels_are_the_prometheus_rules_alert_labels():
    """Same label set as deploy/prometheus/rules/alerts.yml's detector alerts, so
    Alertmanager merges the two paths' alerts into one and routes them alike."""
    doc = yaml.safe_load((REPO / "deploy/prometheus/rules/alerts.yml").read_text())
    rules = {r["alert"]: r for g in doc["groups"] for r in g["rules"] if "alert" in r}
    push = AlertmanagerPush(["http://127.0.0.1:9"], registry=CollectorRegistry())
    for severity, name in (("critical", "MailflowDetectorCritical"), ("warning", "MailflowDetectorWarning")):
        rule = rules[name]
        by = {x.strip() for x in re.search(r"by \(([^)]*)\)", rule["expr"]).group(1).split(",")}
        push.firing(("fanout", "a@x.example", "t"), ("fanout", severity, "a@x.example", "t"), "s", 0.9, None, None)
        (posted,) = [a for a in push.pending() if a["labels"]["severity"] == severity and a["endsAt"] > a["startsAt"]]
        assert set(posted["labels"]) == by | set(rule["labels"]) | {"alertname"}
        assert posted["labels"]["alertname"] == name
        assert {k: posted["labels"][k] for k in rule["labels"]} == rule["labels"]


def test_escalation_resolves_the_warning_and_the_episode_end_resolves_the_critical(am):
    m, push, _ = make(am)
    push.start()
    try:
        m.alert(alert(severity="warning", score=0.6), now=time.time())
        wait(lambda: len(alerts_posted(am)) == 1)
        m.alert(alert(severity="critical", score=0.97), now=time.time())
        wait(lambda: len(alerts_posted(am)) == 3)
        now = time.time()
        states = {(a["labels"]["alertname"], ts(a["endsAt"]) > now) for a in alerts_posted(am)[1:]}
        assert states == {("MailflowDetectorWarning", False), ("MailflowDetectorCritical", True)}
        m.episode_ended(SimpleNamespace(detector="sensitive_request", sender="care@shop.example", template="verify"))
        last = wait(lambda: len(alerts_posted(am)) == 4 and alerts_posted(am)[-1])
        assert last["labels"]["alertname"] == "MailflowDetectorCritical" and ts(last["endsAt"]) <= time.time()
    finally:
        push.close()


def test_a_failed_post_is_retried_until_alertmanager_takes_it(am):
    am.fail = 2
    m, push, reg = make(am)
    push.start()
    try:
        m.alert(alert(), now=time.time())
        (a,) = wait(lambda: alerts_posted(am), timeout=15)
        assert a["labels"]["detector"] == "sensitive_request"
        assert reg.get_sample_value("mailflow_alertmanager_posts_total", {"result": "error"}) == 2
        assert reg.get_sample_value("mailflow_alertmanager_pending_alerts") == 0
    finally:
        push.close()


def test_open_alerts_are_re_posted_and_those_of_moved_partitions_are_not(am):
    reg = CollectorRegistry()
    push = AlertmanagerPush([am.url], registry=reg, resend_interval=1.0)
    m = Metrics(reg, alert_listener=push)
    push.start()
    try:
        m.alert(alert(sender="a@shop.example"), now=time.time(), partition=0)
        m.alert(alert(sender="b@shop.example"), now=time.time(), partition=1)
        wait(lambda: sum(a["labels"]["sender"] == "a@shop.example" for a in alerts_posted(am)) >= 3, timeout=10)
        m.active.forget_partitions([0])  # taken over by another worker: its alerts are that worker's to post
        n_a = sum(a["labels"]["sender"] == "a@shop.example" for a in alerts_posted(am))
        n_b = sum(a["labels"]["sender"] == "b@shop.example" for a in alerts_posted(am))
        wait(lambda: sum(a["labels"]["sender"] == "b@shop.example" for a in alerts_posted(am)) >= n_b + 2, timeout=10)
        with am.lock:
            posted_a = [(a, at) for _, body, _, at in am.posts for a in body if a["labels"]["sender"] == "a@shop.example"]
        assert len(posted_a) <= n_a + 1  # at most one re-post that was already on its way
        assert all(ts(a["endsAt"]) > at + 1 for a, at in posted_a)  # never resolved: it is still open elsewhere
    finally:
        push.close()


def test_restored_episodes_are_posted_again_and_basic_auth_is_sent(am):
    reg = CollectorRegistry()
    push = AlertmanagerPush([am.url], registry=reg, auth=("mailflow", "s3cret"))
    m = Metrics(reg, alert_listener=push)
    ep = SimpleNamespace(detector="fanout", sender="care@shop.example", template=None, severity="critical",
                         score=0.9, summary="one message showed 12 customers to each other", started_ts=1_700_000_000.0,
                         triggers=3)
    assert m.active.restore([(ep, 0)]) == 1
    push.start()
    try:
        (a,) = wait(lambda: alerts_posted(am))
        assert a["labels"]["alertname"] == "MailflowDetectorCritical" and "template" not in a["labels"]
        assert a["annotations"]["summary"] == "one message showed 12 customers to each other"
        assert "evidence" not in a["annotations"]  # not kept in the state
        assert am.posts[0][2] == "Basic bWFpbGZsb3c6czNjcmV0"
    finally:
        push.close()


def test_the_worker_settings_read_the_push_and_reject_bad_urls():
    from detectors.errors import ConfigError
    from streams.settings import parse_settings

    s = parse_settings(["--alertmanager-url", "http://am-0:9093", "--alertmanager-url", "https://am-1:9093/"],
                       env={"MAILFLOW_ALERTMANAGER_RESEND_INTERVAL": "30"})
    assert s.alertmanager_urls == ("http://am-0:9093", "https://am-1:9093/")
    assert s.alertmanager_resend_interval == 30.0
    with pytest.raises(ConfigError) as exc:
        parse_settings(["--alertmanager-url", "am-0:9093", "--alertmanager-username", "u",
                        "--alertmanager-resend-interval", "0"], env={})
    text = str(exc.value)
    assert "alertmanager_urls: 'am-0:9093'" in text
    assert "alertmanager_username, alertmanager_password" in text
    assert "alertmanager_resend_interval" in text


def test_the_pushed_summary_is_whole_where_the_info_label_is_clipped(am):
    """An annotation has no length limit: the 200-character clip is for the label only."""
    m, push, reg = make(am)
    long = "care@shop.example (automated) asked 250 customers for " + ", ".join(["a passport photo"] * 20)
    m.alert(alert(summary=long), now=time.time())
    (posted,) = push.pending()
    assert posted["annotations"]["summary"] == long and len(long) > 200
    (info,) = [s.labels["summary"] for mf in reg.collect() if mf.name == "mailflow_active_alert_info" for s in mf.samples]
    assert len(info) == 200 and info.endswith("…")
