"""``mailflow evaluate`` on a short run: what it reports of an incident and of a benign window."""

from __future__ import annotations

import contextlib
import io

import pytest

from detectors.alerts import Alert
from detectors.evaluation.evaluate import ScenarioResult, _score, evaluate_scenario, main
from detectors.evaluation.matching import Label

ARGS = ["--world", "shop", "--scenario", "id-request-blast", "--scenario", "invoice-run", "--seeds", "1",
        "--days", "8"]


@pytest.fixture(scope="module")
def report() -> tuple[int, str]:
    """One short run of the command (two scenarios, one seed, 8 days): its status and output."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(list(ARGS))
    return status, out.getvalue()


def _row(text: str, section: str, scenario: str) -> list[str]:
    """The cells of ``scenario``'s row in the table under the heading starting with ``section``."""
    block = text.split(section, 1)[1].split("\n\n", 1)[0]
    for line in block.splitlines():
        cells = line.split()
        if len(cells) > 1 and cells[1] == scenario:
            return cells
    raise AssertionError(f"no {scenario} row under {section!r}:\n{text}")


def test_the_incident_is_reported_detected_with_messages_before_its_first_page(report):
    status, text = report
    assert status == 0  # nothing missed, nothing paged falsely
    world, scenario, seed, incident, messages, detected, before_alert, before_page = \
        _row(text, "Incidents", "id-request-blast")[:8]
    assert (world, seed, incident, detected) == ("shop", "1", "id-request-blast", "yes")
    assert int(messages) > 100 and before_page.isdigit() and int(before_page) < int(messages)
    assert int(before_alert) <= int(before_page)


def test_a_benign_windows_false_alerts_are_attributed_to_it(report):
    _, text = report
    cells = _row(text, "False alerts", "invoice-run")
    paged_on, warned_on, pages_wk, warnings_wk = cells[3:7]
    assert paged_on == "none" and pages_wk == "0.00"
    assert warned_on == "invoice-run" and float(warnings_wk) > 0  # the invoice run's warning, by name
    summary = text.split("Summary", 1)[1]
    assert "shop   tuning  0" in summary  # no incident missed


def test_the_result_behind_the_report():
    r = evaluate_scenario("invoice-run", 1, days=8)
    assert r.world == "shop" and r.events > 10_000 and not r.incidents
    assert r.false and {f.cause for f in r.false} == {"invoice-run"} and not r.false_pages
    assert r.negatives_warned == ["invoice-run"] and "invoice-run" in r.negatives


def _alert(sender: str, ts: float, ids: list[str], severity: str = "warning", detector: str = "fanout") -> Alert:
    return Alert(detector=detector, severity=severity, sender=sender, template="t", score=0.9, summary="",
                 ts=ts, event_ids=ids)


def test_scoring_by_the_shared_rule():
    inc = Label("blast", "hr@x.com", 100.0, 200.0, ("e1", "e2", "e3"))
    ramp = Label("ramp", "shop@x.com", 100.0, 500.0, ("r1", "r2"), benign=True)
    everyone = Label("redelivery", None, 0.0, 1000.0, ("d1",), benign=True)
    alerts = [
        _alert("hr@x.com", 150.0, ["x0"]),  # the sender's other mail during the incident: explained
        _alert("hr@x.com", 160.0, ["e2"], "critical", "sensitive_request"),  # detects, 1 message before
        _alert("shop@x.com", 300.0, ["s9"]),  # in the ramp's window: the ramp's false warning
        _alert("shop@x.com", 310.0, ["s10"], "critical"),  # same episode, escalated: a false page after all
        _alert("z@y.org", 400.0, ["d1"], detector="mail_loop"),  # raised by a re-delivered message
        _alert("q@y.org", 400.0, ["q1"], detector="mail_loop"),  # nobody's
    ]
    res = ScenarioResult("s", 1, 6, 7.0, 1.0)
    _score(res, [inc, ramp, everyone], alerts, quiet=60.0)
    (i,) = res.incidents
    assert (i.detected, i.before_first_alert, i.before_first_page, i.first_detector, i.delay_seconds) == \
        (True, 1, 1, "sensitive_request", 60.0)
    assert [(f.sender, f.severity, f.cause) for f in res.false] == [
        ("shop@x.com", "critical", "ramp"), ("z@y.org", "warning", "redelivery"),
        ("q@y.org", "warning", "unlabelled q@y.org")]
    assert res.negatives_alerted == ["ramp"] and res.negatives_warned == ["redelivery"]
