"""The sensitive-text recogniser over the simulated worlds' own automated mail.

The sentence sets hold few transactional notices; the first full bank-world evaluation
showed what that hides: the learned scorer read hundreds of distinct account notices as
requests (294 of 28,382 in 12 days of one seed: a payer named "Seguridad Social", a card
limit changed on "cuenta ES** **** 8799", a fees notice that says there is nothing to do)
and paged 473 times over seeds 1-6.
Here every distinct automated text of a few simulated days, tuning and held-out seeds,
must read as no request, and every message of the changed-template incident as the
request it is.
"""

from __future__ import annotations

import functools

import pytest

from detectors.sensitive import find_requests
from detectors.sim import bank, shop


def _automated(sender: str) -> bool:
    return "." not in sender.split("@", 1)[0]  # people are first.last@; accounts are alerts@, orders@, ...


@functools.lru_cache(maxsize=None)
def _texts(world: str, scenario: str, seed: int) -> tuple[dict[str, list[tuple[str, frozenset[str]]]], int]:
    """Incident or not -> (sender, categories) of each distinct automated text; and the number of texts."""
    if world == "bank":
        events, labels = bank.generate(scenario, seed, days=3, scale=0.3)
    else:
        events, labels = shop.generate(scenario, seed, days=3)
    incident = {i for x in labels["incidents"] for i in x.get("event_ids", ())}
    seen: set[tuple[str, str]] = set()
    out: dict[str, list[tuple[str, frozenset[str]]]] = {"incident": [], "normal": []}
    for e in events:
        if not _automated(e["sender"]):
            continue
        key = (e.get("subject") or "", e.get("body") or "")
        if key in seen:
            continue
        seen.add(key)
        cats = find_requests(f"{key[0]}\n{key[1]}")
        out["incident" if e["event_id"] in incident else "normal"].append((e["sender"], cats))
    return out, len(seen)


@pytest.mark.parametrize("world, scenario, seed", [
    ("bank", "bank-changed-template", 2),  # the seed the regression missed
    ("bank", "bank-scheduled-run", 5),  # held out; info@'s terms notices in bulk
    ("shop", "launch-day", 4),
])
def test_automated_notices_are_not_requests(world, scenario, seed):
    texts, n = _texts(world, scenario, seed)
    assert n > 500  # the days hold the worlds' notice templates many times over
    flagged = [(sender, sorted(cats)) for sender, cats in texts["normal"] if cats]
    assert flagged == []


def test_every_message_of_the_changed_template_is_a_request():
    texts, _ = _texts("bank", "bank-changed-template", 2)
    assert len(texts["incident"]) > 100
    assert {cats for _, cats in texts["incident"]} == {frozenset({"passport", "bank_account"})}
