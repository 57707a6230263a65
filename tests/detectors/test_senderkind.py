"""Tests of the sender-kind inference (detectors/senderkind.py)."""

from __future__ import annotations

import pickle

import pytest

from detectors.senderkind import SenderKind


@pytest.mark.parametrize("addr", ["no-reply@shop.example", "noreply@x.com", "orders@x.com", "Billing@x.com",
                                  "notifications+eu@x.com", "do-not-reply@x.com", "newsletter@x.com"])
def test_automated_looking_addresses(addr):
    assert SenderKind().predict(addr.lower()) == "automated"
    assert SenderKind.address_hint(addr.lower()) == 1.0


@pytest.mark.parametrize("addr", ["jane.doe@x.com", "jean-pierre.martin@x.fr", "o'brien.k@x.ie"])
def test_person_looking_addresses(addr):
    assert SenderKind().predict(addr) == "human"
    assert SenderKind.address_hint(addr) == 0.0


def test_behaviour_overrides_an_ambiguous_address():
    bot = SenderKind()
    for i in range(40):
        bot.learn_one({"templated": i > 0, "reply": False, "hour": 3})
    assert bot.predict("x7@shop.example") == "automated"

    person = SenderKind()
    for i in range(40):
        person.learn_one({"templated": False, "reply": i % 2 == 0, "hour": 14})
    assert person.predict("x7@shop.example") == "human"


def test_address_decides_alone_until_min_events():
    k = SenderKind(min_events=10)
    for _ in range(9):
        k.learn_one({"templated": True, "reply": False, "hour": 3})
    assert k.predict("jane.doe@x.com") == "human"
    k.learn_one({"templated": True, "reply": False, "hour": 3})
    assert k.automated_score("jane.doe@x.com") > 0.5


def test_declared_kind_wins_and_is_remembered():
    k = SenderKind()
    k.declare("human")
    for _ in range(50):
        k.learn_one({"templated": True, "reply": False, "hour": 2})
    assert k.predict("no-reply@x.com") == "human"
    k2 = SenderKind()
    k2.declare("automated")
    assert k2.predict("jane.doe@x.com") == "automated"


def test_pickle_round_trip_continues_identically():
    k = SenderKind()
    for i in range(15):
        k.learn_one({"templated": i % 3 != 0, "reply": i % 4 == 0, "hour": i})
    back = pickle.loads(pickle.dumps(k))
    for addr in ("x7@x.com", "jane.doe@x.com", "orders@x.com"):
        assert back.automated_score(addr) == k.automated_score(addr)
    for k_ in (k, back):
        k_.learn_one({"templated": True, "reply": False, "hour": 23})
    assert back.automated_score("x7@x.com") == k.automated_score("x7@x.com")
