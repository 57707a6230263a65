"""Alertmanager: the config checks, routing (amtool), grouping, inhibition, test variant."""

from __future__ import annotations

import re

import pytest
import yaml


def _routes_test(deploy, amtool, config, *labels):
    res = deploy.run([amtool, "config", "routes", "test", f"--config.file={config}", *labels])
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout.strip()


def test_amtool_check_config(deploy, amtool):
    res = deploy.run([amtool, "check-config", str(deploy.am_dir / "alertmanager.yml")])
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1 templates" in res.stdout, "the notification template file was not found"


@pytest.mark.parametrize("labels, receivers", [
    # a critical detector alert pages (and is shown in chat)
    (["alertname=MailflowDetectorCritical", "severity=critical", "component=detector", "sender=care@example.com"], "pager,chat"),
    # a warning goes to chat only
    (["alertname=MailflowDetectorWarning", "severity=warning", "component=detector", "sender=orders@example.com"], "chat"),
    # a pipeline outage pages
    (["alertname=MailflowWorkerDown", "severity=critical", "component=pipeline"], "pager,chat"),
    (["alertname=MailflowConsumerLagGrowing", "severity=warning", "component=pipeline"], "chat"),
    # no events in business hours: the pager only, and only inside the business-hours interval
    (["alertname=MailflowNoEventsInBusinessHours", "severity=critical", "component=pipeline",
      "schedule=business-hours"], "pager"),
    # anything unexpected still reaches a human
    (["alertname=Other"], "chat"),
])
def test_routing(deploy, amtool, labels, receivers):
    assert _routes_test(deploy, amtool, deploy.am_dir / "alertmanager.yml", *labels) == receivers


def test_grouping_and_resolve(deploy):
    cfg = deploy.load_yaml(deploy.am_dir / "alertmanager.yml")
    route = cfg["route"]
    assert set(route["group_by"]) == {"alertname", "sender"}, "group per account and alert name"
    for key in ("group_wait", "group_interval", "repeat_interval"):
        assert route.get(key), key
    for rcv in cfg["receivers"]:
        configs = [c for k, v in rcv.items() if k.endswith("_configs") for c in v]
        assert configs, f"receiver {rcv['name']} sends nowhere"
        for c in configs:
            assert c.get("send_resolved") is True, f"receiver {rcv['name']}: resolved notifications are not sent"
    names = {r["name"] for r in cfg["receivers"]}
    assert {"pager", "chat"} <= names
    pager = next(r for r in cfg["receivers"] if r["name"] == "pager")
    assert pager.get("pagerduty_configs") and pager.get("webhook_configs")


def _matches(matchers: list[str], labels: dict[str, str]) -> bool:
    for m in matchers:
        name, op, value = re.fullmatch(r'\s*(\w+)\s*(=~|!~|!=|=)\s*"(.*)"\s*', m).groups()
        v = labels.get(name, "")
        ok = {"=": v == value, "!=": v != value, "=~": re.fullmatch(value, v) is not None, "!~": re.fullmatch(value, v) is None}[op]
        if not ok:
            return False
    return True


def test_pipeline_outage_inhibits_per_account_alerts(deploy):
    cfg = deploy.load_yaml(deploy.am_dir / "alertmanager.yml")
    rules = {r["alert"]: r for r in deploy.alert_rules()}

    def labels_of(name, **extra):
        return {"alertname": name, **{k: str(v) for k, v in rules[name]["labels"].items()}, **extra}

    outage = [labels_of("MailflowWorkerDown", instance="worker-1:9108"), labels_of("MailflowNoEventsProcessed"),
              labels_of("MailflowNoEventsInBusinessHours")]
    account = [labels_of("MailflowDetectorCritical", sender="care@example.com", detector="fanout"),
               labels_of("MailflowDetectorWarning", sender="orders@example.com", detector="template_spike")]

    def inhibited(target, source):
        for rule in cfg["inhibit_rules"]:
            if (_matches(rule["source_matchers"], source) and _matches(rule["target_matchers"], target)
                    and all(source.get(l, "") == target.get(l, "") for l in rule.get("equal", []))):
                return True
        return False

    for src in outage:
        for tgt in account:
            assert inhibited(tgt, src), f"{src['alertname']} does not inhibit {tgt['alertname']}"
        # the outage alert itself is never inhibited by the other outage alert
        for other in outage:
            assert not inhibited(src, other)
    # an account's critical alert does not silence another account's warning
    crit = labels_of("MailflowDetectorCritical", sender="care@example.com", detector="fanout")
    warn_other = labels_of("MailflowDetectorWarning", sender="orders@example.com", detector="fanout")
    warn_same = labels_of("MailflowDetectorWarning", sender="care@example.com", detector="fanout")
    assert not inhibited(warn_other, crit)
    assert inhibited(warn_same, crit)
    # a detector alert never inhibits a pipeline alert
    assert not any(inhibited(o, a) for o in outage for a in account)


def test_generated_test_config_keeps_the_routing(deploy, amtool, tmp_path):
    """The end-to-end test's variant: same routing and inhibition, local URLs, short timers."""
    real = deploy.load_yaml(deploy.am_dir / "alertmanager.yml")
    cfg = deploy.alertmanager_test_config("http://127.0.0.1:9")
    text = yaml.safe_dump(cfg)
    assert ".invalid" not in text and "pagerduty.com" not in text
    assert cfg["inhibit_rules"] == real["inhibit_rules"]
    assert cfg["route"]["group_by"] == real["route"]["group_by"]
    assert [r.get("matchers") for r in cfg["route"]["routes"]] == [r.get("matchers") for r in real["route"]["routes"]]
    path = tmp_path / "alertmanager.yml"
    path.write_text(text)
    res = deploy.run([amtool, "check-config", str(path)])
    assert res.returncode == 0, res.stdout + res.stderr
    assert _routes_test(deploy, amtool, path, "severity=critical", "sender=care@example.com") == "pager,chat"


def test_slack_and_teams_example_routes_like_the_shipped_config(deploy, amtool):
    """deploy/alertmanager/examples/slack-teams.yml: a valid config whose routing, grouping,
    inhibition and business hours are the shipped file's; only the receivers differ."""
    example = deploy.am_dir / "examples" / "slack-teams.yml"
    res = deploy.run([amtool, "check-config", str(example)])
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1 templates" in res.stdout, "the example does not find the notification template"
    shipped, ex = deploy.load_yaml(deploy.am_dir / "alertmanager.yml"), deploy.load_yaml(example)
    for key in ("route", "inhibit_rules", "time_intervals", "global"):
        assert ex[key] == shipped[key], key
    names = {r["name"]: r for r in ex["receivers"]}
    assert set(names) == {r["name"] for r in shipped["receivers"]}
    assert names["pager"]["pagerduty_configs"] and names["pager"]["slack_configs"]
    assert names["chat"]["slack_configs"] and names["chat"]["webhook_configs"]  # Slack, and Teams via the bridge
