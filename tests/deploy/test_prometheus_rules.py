"""Prometheus rules: promtool checks and unit tests, runbook links, metric names."""

from __future__ import annotations

import re

import pytest

from detectors.alerts import DETECTORS, SEVERITIES


def test_promtool_check_rules(deploy, promtool):
    res = deploy.run([promtool, "check", "rules", *map(str, deploy.rule_files)])
    assert res.returncode == 0, res.stdout + res.stderr


def test_promtool_check_config(deploy, promtool):
    """prometheus.yml parses and its rule files exist (resolved relative to it)."""
    res = deploy.run([promtool, "check", "config", str(deploy.prom_dir / "prometheus.yml")])
    assert res.returncode == 0, res.stdout + res.stderr
    assert "2 rules files found" in res.stdout or "SUCCESS" in res.stdout


def test_promtool_rule_unit_tests(deploy, promtool):
    tests = sorted((deploy.prom_dir / "tests").glob("*.yml"))
    assert tests, "no promtool unit tests under deploy/prometheus/tests/"
    res = deploy.run([promtool, "test", "rules", *map(str, tests)], timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


def test_every_alert_is_tested_firing_and_not_firing(deploy):
    firing: set[str] = set()
    silent: set[str] = set()
    for path in (deploy.prom_dir / "tests").glob("*.yml"):
        doc = deploy.load_yaml(path)
        rule_files = {(path.parent / f).resolve() for f in doc.get("rule_files", [])}
        if (deploy.prom_dir / "rules" / "alerts.yml").resolve() not in rule_files:
            continue
        for t in doc.get("tests", []):
            for case in t.get("alert_rule_test", []) or []:
                (firing if case.get("exp_alerts") else silent).add(case["alertname"])
    names = {r["alert"] for r in deploy.alert_rules()}
    assert names - firing == set(), "alerts without a firing unit test"
    assert names - silent == set(), "alerts without a not-firing unit test"


def test_alert_labels_annotations_and_runbook_links(deploy):
    anchors = deploy.github_anchors(deploy.runbook.read_text(encoding="utf-8"))
    rules = deploy.alert_rules()
    assert len({r["alert"] for r in rules}) == len(rules), "duplicate alert names"
    for r in rules:
        name, labels, ann = r["alert"], r.get("labels", {}), r.get("annotations", {})
        assert labels.get("severity") in SEVERITIES, name
        assert labels.get("component") in ("detector", "pipeline"), name
        for key in ("summary", "description", "runbook_url"):
            assert ann.get(key), f"{name}: annotation {key} missing"
        url = ann["runbook_url"]
        assert "docs/runbook.md#" in url, f"{name}: runbook_url must point into docs/runbook.md: {url}"
        anchor = url.split("#", 1)[1]
        if anchor == "{{ $labels.detector }}":
            missing = [d for d in DETECTORS if d not in anchors]
            assert not missing, f"{name}: docs/runbook.md has no section for detectors {missing}"
        else:
            assert "{{" not in anchor, f"{name}: unexpected template in runbook anchor {anchor}"
            assert anchor in anchors, f"{name}: docs/runbook.md has no heading for #{anchor}"
        # every alert has its own section in the runbook too
        assert name.lower() in anchors, f"docs/runbook.md has no section '{name}'"


def test_detector_alerts_page_on_critical_and_name_the_account(deploy):
    rules = {r["alert"]: r for r in deploy.alert_rules()}
    detector = [r for r in rules.values() if r["labels"]["component"] == "detector"]
    assert {r["labels"]["severity"] for r in detector} == set(SEVERITIES)
    for r in detector:
        expr = r["expr"]
        assert "mailflow_active_alert" in expr
        sev = r["labels"]["severity"]
        assert f'severity="{sev}"' in expr, f"{r['alert']} must select severity={sev}"
        kept = {x.strip() for x in re.search(r"by \(([^)]*)\)", expr).group(1).split(",")}
        # the alert's identity: bounded labels only; the free-text summary is an annotation
        # read from the info series (a reworded summary must not make a new alert)
        assert kept == {"detector", "severity", "sender", "template"}, f"{r['alert']} groups by {kept}"
        assert r["annotations"]["account"] == "{{ $labels.sender }}"
        assert "mailflow_active_alert_info" in r["annotations"]["summary"]
        assert 'label "summary"' in r["annotations"]["summary"]


def test_pipeline_alerts_present(deploy):
    rules = {r["alert"]: r for r in deploy.alert_rules()}
    for name in ("MailflowWorkerDown", "MailflowNoEventsProcessed", "MailflowConsumerLagGrowing", "MailflowDeadLetterRateHigh"):
        assert name in rules, name
        assert rules[name]["labels"]["component"] == "pipeline"
    assert 'up{job="mailflow-worker"}' in rules["MailflowWorkerDown"]["expr"]
    # the scrape job of prometheus.yml is the one the rules read
    jobs = {j["job_name"] for j in deploy.load_yaml(deploy.prom_dir / "prometheus.yml")["scrape_configs"]}
    assert "mailflow-worker" in jobs


def test_rules_only_use_known_metrics(deploy):
    """Every metric in a rule is exported by the worker (docs/design.md), recorded, or built in."""
    recorded = deploy.recorded_names()
    assert deploy.design_metrics(), "could not read the metric table of docs/design.md"
    for path in deploy.rule_files:
        for g in deploy.load_yaml(path)["groups"]:
            for r in g["rules"]:
                for name in deploy.metric_names(r["expr"]):
                    assert deploy.known_metric(name, recorded), f"{path.name}: {r.get('alert') or r.get('record')}: unknown metric {name}"


def test_recording_rule_names_follow_convention(deploy):
    for name in deploy.recorded_names():
        assert re.fullmatch(r"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+", name), name


@pytest.mark.parametrize("expr, expected", [
    ('sum by (sender) (rate(mailflow_sender_events_total{sender=~"a"}[5m]))', {"mailflow_sender_events_total"}),
    ("histogram_quantile(0.9, sum by (le) (rate(mailflow_alert_latency_seconds_bucket[5m])))", {"mailflow_alert_latency_seconds_bucket"}),
    ("a:b:c / on (x) up", {"a:b:c", "up"}),
])
def test_metric_name_extraction(deploy, expr, expected):
    assert deploy.metric_names(expr) == expected


def test_runbook_internal_links_resolve(deploy):
    text = deploy.runbook.read_text(encoding="utf-8")
    anchors = deploy.github_anchors(text)
    for target in re.findall(r"\]\(#([^)]+)\)", text):
        assert target in anchors, f"docs/runbook.md links to a missing section #{target}"
    # the operational how-tos the alerts rely on
    assert "check_sender_access" in text and "amtool silence add" in text


def test_failure_alerts_page_on_internal_errors_restore_and_dead_letter_failures(deploy):
    """The failures the worker survives (docs/dead-letters.md) page: any increase of their counters."""
    rules = {r["alert"]: r for r in deploy.alert_rules()}
    for name, metric in (
        ("MailflowInternalError", "mailflow_events_failed_total"),
        ("MailflowStateRestoreFailed", "mailflow_state_restore_failed_total"),
        ("MailflowDeadLetterWriteFailed", "mailflow_dead_letter_failed_total"),
    ):
        assert name in rules, name
        r = rules[name]
        assert r["labels"] == {"severity": "critical", "component": "pipeline"}, name
        expr = " ".join(r["expr"].split())
        assert re.search(rf"increase\({metric}\[\d+m\]\)\)? > 0$", expr), f"{name}: {expr}"
        assert "for" not in r, f"{name} must page at the first failure"
