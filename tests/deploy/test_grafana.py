"""Grafana provisioning and the "Launch monitoring" dashboard."""

from __future__ import annotations

import json

import pytest
import yaml


@pytest.fixture(scope="module")
def dashboard(deploy):
    return json.loads(deploy.dashboard.read_text(encoding="utf-8"))


def test_provisioning_files(deploy):
    ds = deploy.load_yaml(deploy.grafana_dir / "datasources" / "prometheus.yml")
    (prom,) = [d for d in ds["datasources"] if d["type"] == "prometheus"]
    assert prom["url"] == "http://prometheus:9090"
    prov = deploy.load_yaml(deploy.grafana_dir / "dashboards" / "dashboards.yml")
    (provider,) = prov["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/etc/grafana/provisioning/dashboards"


def test_dashboard_identity_and_datasource(deploy, dashboard):
    """Portable: every query goes through the ``datasource`` variable (any Prometheus of the
    Grafana it is imported into, the default one first), and ``__inputs`` lets Grafana's
    import dialog ask for it; no datasource uid of this project's Grafana is hard-coded."""
    assert dashboard["title"] == "Launch monitoring"
    assert dashboard["uid"]
    (var,) = [v for v in dashboard["templating"]["list"] if v["name"] == "datasource"]
    assert var["type"] == "datasource" and var["query"] == "prometheus"
    assert dashboard["templating"]["list"][0] is var  # before the variables whose queries use it
    (inp,) = dashboard["__inputs"]
    assert inp["type"] == "datasource" and inp["pluginId"] == "prometheus"
    ds = deploy.load_yaml(deploy.grafana_dir / "datasources" / "prometheus.yml")["datasources"][0]
    assert ds["uid"] not in deploy.dashboard.read_text(encoding="utf-8")
    want = {"type": "prometheus", "uid": "${datasource}"}
    for v in dashboard["templating"]["list"][1:]:
        assert v["datasource"] == want, v["name"]
    for p in dashboard["panels"]:
        if p["type"] == "row":
            continue
        assert p["datasource"] == want, p["title"]
        for t in p["targets"]:
            assert t["datasource"] == want, p["title"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"


@pytest.mark.parametrize("needle", [
    "mailflow_sender_events_total",                # events per second by account
    "sender_template:mailflow_template_bucket_messages:max",  # template volume ...
    "sender_template:mailflow_template_baseline_messages:max",  # ... against its baseline
    "mailflow_sender_unrelated_recipients",        # fan-out per account
    "mailflow_active_alert",                       # active alerts with summaries
    "mailflow_consumer_lag_messages",              # pipeline: lag
    "mailflow_events_rejected_total",              # pipeline: dead letters
    "mailflow_alert_latency_seconds_bucket",       # pipeline: latency
])
def test_dashboard_covers(deploy, dashboard, needle):
    assert any(needle in e for _, e in deploy.dashboard_exprs(dashboard)), needle


def test_active_alerts_table_shows_summaries(dashboard):
    (table,) = [p for p in dashboard["panels"] if p["type"] == "table" and p["title"] == "Active alerts"]
    (t,) = table["targets"]
    assert t["instant"] and t.get("format") == "table"
    for label in ("sender", "summary", "detector", "severity", "template"):
        assert label in t["expr"]


def test_dashboard_queries_use_known_metrics(deploy, dashboard):
    recorded = deploy.recorded_names()
    for where, expr in deploy.dashboard_exprs(dashboard):
        names = deploy.metric_names(expr)
        assert names, f"{where}: no metric in {expr!r}"
        for n in names:
            assert deploy.known_metric(n, recorded), f"{where}: unknown metric {n}"


def test_dashboard_queries_parse(deploy, dashboard, promtool, tmp_path):
    """Every panel query, with Grafana's variables filled in, is valid PromQL (promtool check rules)."""
    exprs = deploy.dashboard_exprs(dashboard)
    assert len(exprs) >= 10
    rules = [{"record": f"dashboard:query_{i}:check", "expr": deploy.concrete_expr(e)} for i, (_, e) in enumerate(exprs)]
    path = tmp_path / "dashboard_queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    res = deploy.run([promtool, "check", "rules", str(path)])
    assert res.returncode == 0, "\n".join(f"query_{i}: {w}" for i, (w, _) in enumerate(exprs)) + "\n" + res.stdout + res.stderr
