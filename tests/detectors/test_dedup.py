"""Tests of the re-delivery check (detectors/dedup.py)."""

from __future__ import annotations

import base64
import math
import pickle
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.dedup import Redeliveries

T0 = 1_503_532_800.0
H = 3600.0
DAY = 86_400.0
ROOT = Path(__file__).parents[2]


def test_a_redelivery_after_10000_later_events_is_caught():
    r = Redeliveries()
    assert r.seen_or_add("orig", T0) is False
    for i in range(10_000):
        assert r.seen_or_add(f"e{i}", T0 + 1 + 0.1 * i) is False
    assert r.seen_or_add("orig", T0) is True
    assert r.seen_or_add("e5000", T0 + 1 + 500.0) is True
    assert r.seen_or_add("e9999", T0 + 1 + 999.9) is True  # the newest: ts equal to the max


def test_after_30_hours_at_2_events_a_second_a_23_hour_old_event_is_caught():
    # 1.5 windows at 2/s is 259,200 ids: above the default cap (see the cap test below)
    r = Redeliveries(window_seconds=DAY, max_ids=300_000)
    n = int(30 * H * 2)
    for i in range(n):
        r.seen_or_add(f"ev-{i}", T0 + 0.5 * i)
    now = T0 + 0.5 * (n - 1)
    assert r.coverage_seconds >= DAY
    for age_h in (23.0, 23.9, 12.0, 1.0, 0.0):
        i = int((now - age_h * H - T0) * 2)
        assert r.seen_or_add(f"ev-{i}", T0 + 0.5 * i) is True, age_h
    assert len(r) == n


def test_with_the_default_cap_at_2_events_a_second_the_coverage_is_reported_and_kept():
    r = Redeliveries()  # max_ids 200,000: 66,666 per generation, 9.3 h at 2/s
    n = int(30 * H * 2)
    for i in range(n):
        r.seen_or_add(f"ev-{i}", T0 + 0.5 * i)
    now = T0 + 0.5 * (n - 1)
    assert len(r) <= 200_000
    cov = r.coverage_seconds
    assert 200_000 // 3 / 2 <= cov < DAY  # at least the last max_ids // 3 ids (9.3 h at 2/s)
    inside = int((now - cov + 60 - T0) * 2)
    assert r.seen_or_add(f"ev-{inside}", T0 + 0.5 * inside) is True
    outside = int((now - cov - 60 - T0) * 2)
    assert r.seen_or_add(f"ev-{outside}", T0 + 0.5 * outside) is False  # forgotten (and added again)


def test_after_48_hours_a_very_old_event_is_forgotten():
    r = Redeliveries(window_seconds=DAY)
    r.seen_or_add("old", T0)
    for i in range(48 * 60):  # one event a minute for 48 hours
        r.seen_or_add(f"e{i}", T0 + 60 * (i + 1))
    assert r.coverage_seconds <= 1.5 * DAY
    assert r.seen_or_add("old", T0) is False
    assert r.seen_or_add(f"e{48 * 60 - 24 * 60}", T0 + 60 * (48 * 60 - 24 * 60 + 1)) is True  # 24 h old


def test_an_id_only_in_a_generation_that_rotated_out_is_not_reported():
    r = Redeliveries(window_seconds=100)  # generations of 50 s
    r.seen_or_add("a", T0)
    r.seen_or_add("b", T0 + 100)
    assert r.seen("a")
    r.seen_or_add("c", T0 + 160)  # three spans on: the generation of "a" is gone
    assert not r.seen("a")
    assert r.seen_or_add("a", T0) is False  # not a re-delivery any more; remembered again
    assert r.seen_or_add("a", T0) is True


def test_a_gap_longer_than_the_window_forgets_everything():
    r = Redeliveries(window_seconds=100)
    for i in range(20):
        r.seen_or_add(f"x{i}", T0 + i)
    r.seen_or_add("later", T0 + 1000)
    assert len(r) == 1
    assert not any(r.seen(f"x{i}") for i in range(20))


def test_late_events_are_looked_up_and_equal_ts_ids_are_not_confused():
    r = Redeliveries(window_seconds=DAY)
    for i in range(1000):
        r.seen_or_add(f"e{i}", T0 + 10 * i)
    late = T0 + 10 * 500 + 3  # below the max ts
    assert r.seen_or_add("late-1", late) is False
    assert r.seen_or_add("late-1", late) is True
    batch = [f"same-{i}" for i in range(50)]  # distinct ids, one ts
    assert [r.seen_or_add(e, T0 + 20_000) for e in batch] == [False] * 50
    assert [r.seen_or_add(e, T0 + 20_000) for e in batch] == [True] * 50
    assert r.seen_or_add("same-50", T0 + 20_000) is False
    # a late event older than the current span goes into the current generation
    assert r.seen_or_add("very-late", T0 - 3 * H) is False
    assert r.seen_or_add("very-late", T0 - 3 * H) is True


def test_restored_from_a_pickle_still_catches_old_and_new_ids():
    r = Redeliveries(window_seconds=DAY)
    for i in range(30_000):  # 30,000 events over 25 hours: three generations
        r.seen_or_add(f"e{i}", T0 + 3 * i)
    back = pickle.loads(pickle.dumps(r))
    assert len(back) == len(r) and back.coverage_seconds == r.coverage_seconds
    assert back.seen_or_add("e1000", T0 + 3000) is True  # 22 h old, in an older generation
    assert back.seen_or_add("e29999", T0 + 3 * 29999) is True
    assert back.seen_or_add("new-late", T0 + 3 * 29000) is False  # not a false positive
    assert back.seen_or_add("new-late", T0 + 3 * 29000) is True  # new ids go in again
    assert back.seen_or_add("new-fresh", T0 + 100_000) is False
    assert back.seen_or_add("new-fresh", T0 + 100_000) is True
    # and again: generations with both digests and strings
    again = pickle.loads(pickle.dumps(back))
    for e, ts in (("e1000", T0 + 3000), ("new-late", T0 + 3 * 29000), ("new-fresh", T0 + 100_000)):
        assert again.seen_or_add(e, ts) is True
    assert again.seen_or_add("never", T0 + 3000) is False
    # the restored generations rotate out like the others
    n = len(again)
    again.seen_or_add("much-later", T0 + 3 * 30_000 + 1.5 * DAY)
    assert len(again) == 1 and not again._cur_old and not any(again._old)
    assert again.seen_or_add("e29999", T0 + 3 * 29999) is False
    assert n > 30_000


def test_restored_in_another_process():
    code = (
        "import base64, pickle, sys\n"
        "from detectors.dedup import Redeliveries\n"
        "r = Redeliveries()\n"
        f"for i in range(5000): r.seen_or_add(f'e{{i}}', {T0} + 10 * i)\n"
        "sys.stdout.write(base64.b64encode(pickle.dumps(r)).decode())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "4321", "PATH": ""}, cwd=str(ROOT)).stdout
    r = pickle.loads(base64.b64decode(out))
    assert all(r.seen_or_add(f"e{i}", T0 + 10 * i) for i in range(0, 5000, 7))
    assert not any(r.seen_or_add(f"f{i}", T0 + 10 * i) for i in range(0, 5000, 7))


def test_pickle_is_about_8_bytes_per_id():
    r = Redeliveries()
    for i in range(50_000):
        r.seen_or_add(f"3f1c2a4e-5b6d-4e7f-8a9b-{i:012d}", T0 + 0.5 * i)
    size = len(pickle.dumps(r))
    assert 8 * 50_000 <= size <= 8 * 50_000 + 300, size
    assert len(pickle.dumps(Redeliveries())) < 200


def test_the_max_ids_cap_rotates_early_and_coverage_shrinks():
    r = Redeliveries(window_seconds=DAY, max_ids=3000)  # 1000 ids a generation
    for i in range(500):
        r.seen_or_add(f"e{i}", T0 + i)
    assert r.coverage_seconds == 499
    for i in range(500, 10_000):  # one an second: 10,000 s, far below a day
        r.seen_or_add(f"e{i}", T0 + i)
        assert len(r) <= 3000
    cov = r.coverage_seconds
    assert 2000 <= cov <= 3000  # the last 2,000 to 3,000 ids
    newest = T0 + 9999
    assert all(r.seen(f"e{i}") for i in range(10_000) if T0 + i > newest - cov)
    assert not r.seen("e0") and not r.seen(f"e{int(10_000 - cov - 2)}")
    # under a steady rate, at least the last 2 * max_ids // 3
    assert all(r.seen(f"e{i}") for i in range(8000, 10_000))


def test_the_cap_holds_after_a_restore():
    r = Redeliveries(window_seconds=DAY, max_ids=3000)
    for i in range(2500):
        r.seen_or_add(f"e{i}", T0 + i)
    back = pickle.loads(pickle.dumps(r))
    for i in range(2500, 6000):
        back.seen_or_add(f"e{i}", T0 + i)
        assert len(back) <= 3000
    assert back.seen_or_add("e5999", T0 + 5999) is True


def test_coverage_seconds():
    r = Redeliveries(window_seconds=100)
    assert r.coverage_seconds == 0.0
    r.seen_or_add("a", T0 + 10)
    assert r.coverage_seconds == 0.0
    for i in range(1, 400):
        r.seen_or_add(f"x{i}", T0 + 10 + i)
        assert min(i, 100) <= r.coverage_seconds <= 150


# -- against an exact reference -----------------------------------------------------
_OPS = st.one_of(
    st.tuples(st.just("new"), st.integers(0, 30)),  # a new event, dt seconds after the max
    st.tuples(st.just("late"), st.integers(0, 120)),  # a new event, this much before the max
    st.tuples(st.just("again"), st.integers(0, 10_000)),  # re-deliver an earlier event
    st.tuples(st.just("pickle"), st.just(0)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_OPS, min_size=1, max_size=400))
def test_agrees_with_an_exact_reference_within_the_coverage(ops):
    w = 100.0  # generations of 50 s
    r = Redeliveries(window_seconds=w, max_ids=10**9)
    events: list[tuple[str, float]] = []  # every event sent, as (id, ts)
    last_added: dict[str, float] = {}  # id -> the max ts when it was last remembered
    newest = -math.inf
    for op, v in ops:
        if op == "pickle":
            r = pickle.loads(pickle.dumps(r))
            continue
        if op == "again" and events:
            eid, ts = events[v % len(events)]
        else:
            base = T0 if newest == -math.inf else newest
            eid, ts = f"id{len(events)}", base + v if op != "late" else base - v
            events.append((eid, ts))
        known = eid in last_added
        got = r.seen_or_add(eid, ts)
        if not known:
            assert got is False  # never a false positive
        elif ts >= newest - w:
            assert got is True  # the guaranteed coverage
        elif newest - last_added[eid] >= 1.5 * w:
            assert got is False  # long forgotten
        newest = max(newest, ts)
        if not got:
            last_added[eid] = newest
        assert r.coverage_seconds <= 1.5 * w
        assert r.newest_ts == newest
