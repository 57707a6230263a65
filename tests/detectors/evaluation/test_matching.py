"""The one rule for "an alert belongs to an incident", shared by ``mailflow evaluate`` and ``mailflow demo``."""

from __future__ import annotations

import ast
import pathlib
from dataclasses import dataclass, field

import pytest

from detectors.evaluation import matching
from detectors.evaluation.matching import (LEAD_SECONDS, Label, attribute, belongs, first_detection, in_window,
                                           parse_labels, position, raised_by)

ROOT = pathlib.Path(__file__).resolve().parents[3]
INC = Label("blast", "hr@x.com", 100.0, 200.0, ("e1", "e2", "e3"))


@dataclass
class A:
    sender: str
    ts: float
    event_ids: list[str] = field(default_factory=list)
    severity: str = "warning"


def test_raised_by_is_about_the_first_event_id_only():
    assert raised_by(INC, ["e2", "zz"]) and position(INC, ["e2", "zz"]) == 1
    assert not raised_by(INC, ["zz", "e2"]) and position(INC, ["zz", "e2"]) is None  # a sample is not a cause
    assert not raised_by(INC, []) and position(INC, []) is None


@pytest.mark.parametrize("sender, ts, inside", [
    ("hr@x.com", 100.0 - LEAD_SECONDS, True), ("hr@x.com", 100.0 - LEAD_SECONDS - 0.01, False),
    ("hr@x.com", 200.0 + 60.0, True), ("hr@x.com", 200.0 + 60.01, False), ("other@x.com", 150.0, False),
])
def test_the_window_runs_from_just_before_the_first_message_to_the_quiet_period_after_the_last(sender, ts, inside):
    assert in_window(INC, sender, ts, quiet=60.0) is inside
    assert belongs(INC, sender, ts, ["e1"], quiet=60.0)  # raised by it: always its own


def test_a_label_without_sender_has_no_window():
    everyone = Label("late", None, 0.0, 1e12, ("l1",), benign=True)
    assert not in_window(everyone, "a@b.c", 5.0, quiet=3600)
    assert belongs(everyone, "a@b.c", 5.0, ["l1"], quiet=3600)


def test_a_label_that_raised_the_alert_wins_over_an_earlier_window():
    window = Label("ramp", "hr@x.com", 0.0, 1000.0, ("r1",), benign=True)
    assert attribute([window, INC], A("hr@x.com", 150.0, ["e1"]), 60.0) is INC
    assert attribute([window, INC], A("hr@x.com", 150.0, ["x"]), 60.0) is window  # then label order
    assert attribute([INC], A("hr@x.com", 999.0, ["x"]), 60.0) is None


def test_first_detection_is_the_earliest_message_of_the_labels_sender():
    alerts = [A("hr@x.com", 190.0, ["e3"]), A("hr@x.com", 150.0, ["e2"]), A("hr@x.com", 151.0, ["e2"]),
              A("mallory@y.org", 100.0, ["e1"])]  # another sender's alert is not a detection
    first, pos = first_detection(INC, alerts)
    assert first is alerts[1] and pos == 1
    assert first_detection(INC, [A("hr@x.com", 150.0, ["x", "e1"])]) is None


def test_labels_of_the_simulator_parse_in_one_shape():
    from detectors.sim.shop import generate

    _, labels = generate("launch-day", 3, days=3, scale=0.05)
    parsed = parse_labels(labels)
    assert [lb.name for lb in parsed if not lb.benign] == [e["name"] for e in labels["incidents"]]
    assert [lb.name for lb in parsed if lb.benign] == [e["name"] for e in labels["negatives"]]
    for lb, e in zip(parsed, labels["incidents"] + labels["negatives"]):
        assert (lb.sender, lb.start, lb.end, list(lb.event_ids)) == (e["sender"], e["start_ts"], e["end_ts"],
                                                                      e["event_ids"])


def _imports(path: pathlib.Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
    return names


def test_evaluate_and_the_demo_use_this_rule_and_no_other():
    assert ".matching" in _imports(ROOT / "detectors/evaluation/evaluate.py")
    demo = ROOT / "streams/demo"
    users = {p.name for p in demo.glob("*.py") if "detectors.evaluation.matching" in _imports(p)}
    assert {"scenario.py", "verdict.py"} <= users
    assert not any("def matches" in p.read_text() for p in demo.glob("*.py"))
    assert _imports(pathlib.Path(matching.__file__)) <= {"__future__", "dataclasses", "typing"}
