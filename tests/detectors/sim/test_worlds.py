"""End to end, per simulated world: the incident pages early and no benign window pages.

Each test replays one scenario of a world through a fresh ``Sentinel`` exactly as
``mailflow evaluate`` does (shorter periods than the evaluation's, for time; the
stream warm-up of 7 days still passes before the incident day).
"""

from __future__ import annotations

import pytest

from detectors.evaluation.evaluate import HELD_OUT_SEEDS, TUNING_SEEDS, evaluate_scenario, main, world_of

CASES = [
    # (scenario, seed, days, scale)
    ("id-request-blast", 1, 10, 0.5),
    ("compromised-account", 2, 10, 0.5),
    ("bank-changed-template", 1, 9, 0.5),
    ("bank-loop", 2, 9, 0.5),
    ("bank-compromised-agent", 4, 9, 0.5),  # a held-out seed: asserted, never tuned on
    ("bank-id-blast", 3, 9, 0.5),
]


@pytest.mark.parametrize("scenario,seed,days,scale", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_the_incident_pages_early_and_nothing_benign_pages(scenario, seed, days, scale):
    r = evaluate_scenario(scenario, seed, days=days, scale=scale)
    assert r.incidents, "the scenario has no incident"
    for inc in r.incidents:
        assert inc.detected, inc
        assert inc.before_first_alert is not None and inc.before_first_alert < 10, inc
        assert inc.before_first_page is not None and inc.before_first_page < 30, inc
    assert r.false_pages == [], [(f.detector, f.sender, f.cause) for f in r.false_pages]


@pytest.mark.parametrize("scenario", ["bank-scheduled-run", "bank-surge", "launch-ramp"])
def test_volume_alone_never_pages(scenario):
    r = evaluate_scenario(scenario, 1, days=9, scale=0.5)
    assert r.false_pages == [], [(f.detector, f.sender, f.cause) for f in r.false_pages]


def test_worlds_and_seed_sets():
    assert world_of("launch-day") == "shop" and world_of("bank-loop") == "bank" and world_of("nope") is None
    assert set(TUNING_SEEDS).isdisjoint(HELD_OUT_SEEDS)


def test_evaluate_command_prints_pages_and_warnings_per_world(capsys):
    rc = main(["--world", "shop", "--scenario", "mail-merge-cc", "--seeds", "1,4", "--days", "3", "--scale", "0.2"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "before 1st page" in out and "false pages/wk" in out and "held out" in out
    assert "mail-merge-cc  4*" in out  # held-out seeds are marked


def test_evaluate_command_rejects_bad_options(capsys):
    assert main(["--world", "moon", "--scenario", "nope", "--seeds", "x"]) == 2
    err = capsys.readouterr().err
    assert "--world" in err and "--scenario" in err and "--seeds" in err
