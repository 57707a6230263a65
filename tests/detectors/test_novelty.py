"""Template novelty as a River detector (detectors/novelty.py), and its place in the pipeline."""

from __future__ import annotations

import pickle
import random

import pytest

from detectors import Sentinel, SentinelConfig, parse_event
from detectors.novelty import TemplateNovelty

T0 = 1_503_532_800
DAY = 86_400


def legacy_novelty(total, age, sender_age, cats, unrelated, ts, hist, n=20, max_age=DAY, warm_up=DAY,
                   critical=0.85, min_unrelated=3):
    """The score and habit update as ``Sentinel._novelty_check`` computed them inline (before the class)."""
    if age > max_age or sender_age < warm_up:
        return None
    s = 1.0 - 0.4 * 2.718281828 ** (-(total - n) / n)
    habitual = hist[0] * 0.5 ** ((ts - hist[1]) / (30 * 86_400)) >= 2.0
    if total == n:
        hist[0] = hist[0] * 0.5 ** ((ts - hist[1]) / (30 * 86_400)) + 1.0
        hist[1] = ts
    if not cats and unrelated < min_unrelated:
        return 0.0 if habitual else min(s, critical - 0.01)
    return max(s, critical)


def test_the_same_scores_and_habit_as_the_inline_code_it_replaces():
    rng = random.Random(5)
    det = TemplateNovelty()
    hist = [0.0, 0.0]
    bound = det.bind(hist)
    ref_hist = [0.0, 0.0]
    ts = T0
    for _ in range(3000):
        ts += rng.choice([60, 3600, DAY, 5 * DAY])
        x = {"ts": ts, "volume": rng.choice([20, 20, 21, 35, 80]), "template_age": rng.choice([0, 600, DAY, DAY + 1]),
             "sender_age": rng.choice([0, DAY - 1, DAY, 9 * DAY]),
             "categories": rng.choice([None, frozenset(), frozenset({"passport"})]),
             "unrelated": rng.choice([0, 1, 3, 12])}
        want = legacy_novelty(x["volume"], x["template_age"], x["sender_age"], x["categories"], x["unrelated"],
                              ts, ref_hist)
        got = bound.score_one(x)
        bound.learn_one(x)
        assert got == (0.0 if want is None else want)
        assert hist == ref_hist  # the history is the sender's list itself, updated in place


def test_bind_shares_the_history_and_keeps_the_parameters():
    det = TemplateNovelty(min_count=5, habit_count=1.0)
    hist = [0.0, 0.0]
    twin = det.bind(hist)
    assert twin is not det and twin._get_params() == det._get_params()
    twin.learn_one({"ts": T0, "volume": 5, "template_age": 0, "sender_age": 2 * DAY})
    assert hist == [1.0, T0]
    assert det._history == [0.0, 0.0]  # the prototype learned nothing
    assert pickle.loads(pickle.dumps(twin))._history == hist


@pytest.mark.parametrize("x", [
    {"volume": 19, "template_age": 0, "sender_age": 2 * DAY},  # not at volume yet
    {"volume": 30, "template_age": DAY + 1, "sender_age": 2 * DAY},  # no longer young
    {"volume": 30, "template_age": 0, "sender_age": DAY - 1},  # appeared in the sender's warm-up
    {"volume": 30, "template_age": 0, "sender_age": 2 * DAY, "novel": False},
    {"volume": 30, "template_age": 0, "sender_age": 2 * DAY, "automated": False},
])
def test_outside_its_conditions_it_scores_zero_and_learns_nothing(x):
    det = TemplateNovelty()
    assert det.score_one({"ts": T0, **x}) == 0.0
    det.learn_one({"ts": T0, **{**x, "volume": 20 if x["volume"] >= 20 else x["volume"]}})
    assert det._history == [0.0, 0.0]


def test_alone_a_warning_with_harm_a_page():
    det = TemplateNovelty()
    x = {"ts": T0, "volume": 200, "template_age": 60, "sender_age": 2 * DAY}
    assert 0.6 <= det.score_one(x) < 0.85
    assert det.score_one({**x, "unrelated": 3}) >= 0.85
    assert det.score_one({**x, "categories": frozenset({"passport"})}) >= 0.85


def test_the_pipeline_scores_a_new_template_through_the_detector():
    s = Sentinel(SentinelConfig())
    st = s.new_state()
    sender = "news@shop.example"

    def ev(i, ts, tid, to):
        return parse_event({"event_id": f"{tid}-{i}", "ts": ts, "sender": sender, "sender_kind": "automated",
                            "template_id": tid, "to": [to], "subject": f"About {tid}", "body": f"Hello from {tid}."})

    for i in range(300):  # two days of an established template
        s.process(ev(i, T0 + 600 * i, "old", f"c{i}@gmail.com"), st)
    start = T0 + 2 * DAY + 60
    outs = [s.process(ev(i, start + 10 * i, "new", f"n{i}@gmail.com"), st) for i in range(25)]
    assert all("template_novelty" not in o.scores for o in outs[:19])
    assert [round(o.scores["template_novelty"], 3) for o in outs[19:21]] == [0.6, 0.62]
    alerts = [a for o in outs for a in o.alerts if a.detector == "template_novelty"]
    assert len(alerts) == 1 and alerts[0].severity == "warning" and alerts[0].evidence["messages"] == 20
    assert st.novel_history[0] == 1.0  # learned: one new template at volume
    # past its young window the template is no longer scored at all
    late = s.process(ev(99, start + DAY + 3600, "new", "z@gmail.com"), st)
    assert "template_novelty" not in late.scores
