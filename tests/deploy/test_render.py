"""``mailflow deploy render``: deploy/ with a company's runbook URL and business hours,
still valid for promtool and amtool; bad flags listed together."""

from __future__ import annotations

import subprocess

import pytest

from streams.render import DASHBOARD_URL, RUNBOOK_URL, main

WIKI = "https://wiki.example.com/mailflow/runbook.md"
GRAFANA = "https://grafana.example.com/d/mailflow-launch/launch-monitoring"


def _ok(cmd, cwd=None):
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=cwd)
    assert res.returncode == 0, f"{cmd}: {res.stdout}\n{res.stderr}"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("render") / "deploy"
    assert main(["render", "--out", str(out), "--runbook-url", WIKI, "--dashboard-url", GRAFANA,
                 "--business-hours", "07:30-19:00",
                 "--business-days", "monday:friday,saturday", "--timezone", "Europe/Berlin"]) == 0
    return out


def test_business_hours_follow_the_company_clock(rendered, deploy, amtool):
    am = rendered / "alertmanager" / "alertmanager.yml"
    _ok([amtool, "check-config", str(am)])
    example = deploy.load_yaml(rendered / "alertmanager" / "examples" / "slack-teams.yml")
    assert example["time_intervals"] == deploy.load_yaml(am)["time_intervals"]  # the example follows too
    cfg = deploy.load_yaml(am)
    (interval,) = [t for t in cfg["time_intervals"] if t["name"] == "business-hours"]
    assert interval["time_intervals"] == [{
        "weekdays": ["monday:friday", "saturday"], "times": [{"start_time": "07:30", "end_time": "19:00"}],
        "location": "Europe/Berlin"}]
    (route,) = [r for r in cfg["route"]["routes"] if r.get("active_time_intervals")]
    assert route["matchers"] == ['schedule="business-hours"'] and route["active_time_intervals"] == ["business-hours"]
    assert not route.get("continue")  # outside the interval nothing else notifies it


def test_every_runbook_link_points_to_the_company_runbook(rendered, deploy, promtool):
    rules = rendered / "prometheus" / "rules"
    text = (rules / "alerts.yml").read_text()
    assert RUNBOOK_URL not in text and text.count(WIKI + "#") >= 10
    _ok([promtool, "check", "rules", str(rules / "recording.yml"), str(rules / "alerts.yml")])
    tests = sorted((rendered / "prometheus" / "tests").glob("*.yml"))
    assert len(tests) >= 5
    for test in tests:  # the unit tests expect the new links
        _ok([promtool, "test", "rules", test.name], cwd=test.parent)


def test_every_alert_links_the_company_dashboard_detector_alerts_with_their_account(rendered, deploy):
    doc = deploy.load_yaml(rendered / "prometheus" / "rules" / "alerts.yml")
    rules = [r for g in doc["groups"] for r in g["rules"] if "alert" in r]
    assert DASHBOARD_URL not in (rendered / "prometheus" / "rules" / "alerts.yml").read_text()
    for r in rules:
        url = r["annotations"]["dashboard_url"]
        if r["labels"]["component"] == "detector":
            assert url == GRAFANA + "?var-sender={{ $labels.sender | urlquery }}", r["alert"]
        else:
            assert url == GRAFANA, r["alert"]
    am = deploy.load_yaml(rendered / "alertmanager" / "alertmanager.yml")
    (pager,) = [x for x in am["receivers"] if x["name"] == "pager"]
    assert pager["pagerduty_configs"][0]["details"]["dashboard"] == "{{ (index .Alerts 0).Annotations.dashboard_url }}"


def test_the_shipped_files_are_what_render_writes_by_default(tmp_path, deploy):
    out = tmp_path / "d"
    assert main(["render", "--out", str(out)]) == 0
    for name in ("alertmanager/alertmanager.yml", "prometheus/rules/alerts.yml"):
        assert (out / name).read_text() == (deploy.repo / "deploy" / name).read_text(), name


def test_bad_flags_are_listed_together_and_nothing_is_written(tmp_path, capsys):
    out = tmp_path / "never"
    rc = main(["render", "--out", str(out), "--runbook-url", "ftp://x", "--dashboard-url", "grafana/d/x",
               "--business-hours", "19:00-07:00",
               "--business-days", "mon", "--timezone", "Mars/Olympus"])
    err = capsys.readouterr().err
    assert rc == 2 and not out.exists()
    for flag in ("--runbook-url", "--dashboard-url", "--business-hours", "--business-days", "--timezone"):
        assert f"- {flag}:" in err, flag
