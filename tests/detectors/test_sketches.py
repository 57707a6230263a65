"""Tests of the fixed-size sketches (detectors/sketches.py)."""

from __future__ import annotations

import pickle
import subprocess
import sys

from detectors.sketches import RecentIds, RotatingBloom, stable_hash64


def test_stable_hash_is_the_same_in_another_process():
    code = "from detectors.sketches import stable_hash64; print(stable_hash64('a@example.com'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123", "PATH": ""}, cwd=str(__import__("pathlib").Path(__file__).parents[2]))
    assert int(out.stdout) == stable_hash64("a@example.com")
    assert 0 <= stable_hash64("x") < 2**64
    assert stable_hash64("\ud800") >= 0  # lone surrogates do not raise


def test_bloom_no_false_negatives_within_capacity():
    b = RotatingBloom(capacity=2048)
    items = [f"user{i}@example.com" for i in range(2048)]
    for it in items:
        b.add(it)
    assert all(it in b for it in items)


def test_bloom_remembers_at_least_the_last_capacity_items():
    b = RotatingBloom(capacity=1000)
    items = [f"u{i}@x.org" for i in range(10_000)]
    for i, it in enumerate(items):
        b.add(it)
        if i % 997 == 0:
            recent = items[max(0, i - 999): i + 1]
            assert all(r in b for r in recent)


def test_bloom_add_reports_novelty():
    b = RotatingBloom(capacity=100)
    assert b.add("a") is True
    assert b.add("a") is False
    for i in range(150):  # rotate: "a" now only in the previous filter
        b.add(f"x{i}")
    assert "a" in b
    assert b.add("a") is False  # known from the previous filter: not new


def test_bloom_false_positive_rate_below_three_percent():
    b = RotatingBloom(capacity=2048)
    for i in range(2048 * 2):  # both filters full
        b.add(f"known{i}@example.com")
    fp = sum(f"unseen{i}@other.example" in b for i in range(10_000))
    assert fp / 10_000 < 0.03


def test_bloom_memory_fixed():
    b = RotatingBloom()
    sizes = set()
    for i in range(100_000):
        b.add(f"r{i}@x.org")
        if i > 5000 and i % 10_000 == 0:
            sizes.add(b.nbytes())
    assert sizes == {2 * 2048 * 10 // 8}
    assert len(pickle.dumps(b)) < 2 * 2048 * 10 // 8 + 500


def test_bloom_pickles():
    b = RotatingBloom(capacity=50)
    for i in range(120):
        b.add(str(i))
    back = pickle.loads(pickle.dumps(b))
    assert all(str(i) in back for i in range(70, 120))
    assert back.add("new") == b.add("new")
    assert back.nbytes() == b.nbytes()


def test_recent_ids():
    r = RecentIds(size=3)
    assert [r.seen_or_add(x) for x in "abca"] == [False, False, False, True]
    assert r.seen_or_add("d") is False  # evicts a
    assert r.seen_or_add("a") is False
    back = pickle.loads(pickle.dumps(r))
    assert back.seen_or_add("d") is True
    assert back.seen_or_add("zz") is False


def test_recent_ids_bounded():
    r = RecentIds(size=128)
    for i in range(10_000):
        r.seen_or_add(str(i))
    assert len(pickle.dumps(r)) < 8 * 128 + 200
    assert all(r.seen_or_add(str(i)) for i in range(9_900, 10_000))
