"""Tests of recipient fan-out and relayed replies (detectors/fanout.py)."""

from __future__ import annotations

import pytest

from detectors.fanout import FanOut, ReplyRelay, recipient_groups

FREE = frozenset({"gmail.com", "yahoo.com", "orange.fr"})
NONE: frozenset = frozenset()


def test_freemail_addresses_are_separate_customers():
    assert recipient_groups(("a@gmail.com", "b@gmail.com", "c@yahoo.com"), "shop.example", NONE, FREE) == (3, 3)


def test_one_corporate_domain_is_one_customer():
    assert recipient_groups(("a@acme.com", "b@acme.com", "c@acme.com"), "shop.example", NONE, FREE) == (3, 1)
    assert recipient_groups(("a@acme.com", "b@globex.com"), "shop.example", NONE, FREE) == (2, 2)


def test_internal_and_own_domain_excluded():
    recips = ("me@shop.example", "hr@corp.example", "x@gmail.com")
    assert recipient_groups(recips, "shop.example", frozenset({"corp.example"}), FREE) == (1, 1)
    assert recipient_groups(("a@shop.example",) * 1, "shop.example", NONE, FREE) == (0, 0)


def test_sender_on_freemail_domain_does_not_make_customers_internal():
    recips = ("a@gmail.com", "b@gmail.com", "c@gmail.com", "d@gmail.com")
    assert recipient_groups(recips, "gmail.com", NONE, FREE) == (4, 4)


def test_fanout_floor_automated_vs_human():
    det = FanOut(min_unrelated=3, min_unrelated_human=6)
    assert det.score_one({"unrelated": 2, "automated": True}) == 0.0
    assert det.score_one({"unrelated": 3, "automated": True}) == pytest.approx(0.6)
    assert det.score_one({"unrelated": 6, "automated": True}) > 0.8
    assert det.score_one({"unrelated": 5, "automated": False}) == 0.0
    assert det.score_one({"unrelated": 6, "automated": False}) == pytest.approx(0.6)
    assert det.score_one({"unrelated": 12, "automated": False}) == pytest.approx(1 - 0.4 / 2.718281828, abs=1e-6)
    assert det.score_one({"unrelated": 0, "automated": True}) == 0.0


def test_scores_rise_with_unrelated_and_stay_below_one():
    det = FanOut()
    prev = 0.0
    for u in range(0, 200):
        s = det.score_one({"unrelated": u, "automated": True})
        assert 0.0 <= s <= 1.0
        assert s >= prev
        prev = s


def test_learning_a_habit_of_several_raises_the_threshold():
    det = FanOut()
    before = det.score_one({"unrelated": 5, "automated": True})
    assert before > 0.6
    for i in range(300):
        det.learn_one({"unrelated": 4 + (i % 3), "automated": True})  # habitually 4..6 customers
    assert det.usual == pytest.approx(5, abs=0.5)
    assert det.threshold(True) > 6
    assert det.score_one({"unrelated": 5, "automated": True}) == 0.0
    assert det.score_one({"unrelated": 6, "automated": True}) == 0.0
    assert det.score_one({"unrelated": 40, "automated": True}) > 0.85


def test_single_recipient_habit_keeps_the_floor():
    det = FanOut()
    for _ in range(500):
        det.learn_one({"unrelated": 1, "automated": True})
    assert det.threshold(True) == 3.0
    assert det.threshold(False) == 6.0


def test_fanout_tolerates_missing_fields():
    det = FanOut()
    det.learn_one({})
    det.learn_one({"unrelated": None})
    det.learn_one({"unrelated": float("nan")})
    assert det.score_one({}) == 0.0
    assert 0.0 <= det.score_one({"unrelated": float("inf")}) <= 1.0
    assert det.score_one({"unrelated": 3, "automated": True}) == pytest.approx(0.6)  # nothing odd was learned


def test_reply_relay():
    det = ReplyRelay()
    relay = {"reply": True, "attachments": 1, "images": 0, "unrelated": 2}
    assert det.score_one(relay) == pytest.approx(0.75)
    assert det.score_one({**relay, "unrelated": 3}) == pytest.approx(0.85)
    assert det.score_one({**relay, "unrelated": 3, "images": 1}) == pytest.approx(0.95)
    assert det.score_one({**relay, "unrelated": 1}) == 0.0
    assert det.score_one({**relay, "reply": False}) == 0.0
    assert det.score_one({**relay, "attachments": 0}) == 0.0
    assert det.score_one({}) == 0.0
    assert det.score_one({"reply": None, "attachments": None, "unrelated": None}) == 0.0
    det.learn_one(relay)  # learns nothing
    assert det.score_one(relay) == pytest.approx(0.75)
    assert det.score_one({**relay, "unrelated": 500, "images": 3}) <= 1.0
