"""Tests of the volume spike detector (detectors/volume.py)."""

from __future__ import annotations

import math
import pickle
import random

import pytest

from detectors.volume import VolumeSpike

BUCKET = 300
PER_DAY = 86_400 // BUCKET
T0 = 1_500_000_000 - 1_500_000_000 % 86_400  # a midnight UTC


def poisson(rng: random.Random, lam: float) -> int:
    # Knuth; fine for small lambda
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def trained(days: float = 2, lam: float = 10.0, seed: int = 1, **kw) -> tuple[VolumeSpike, int]:
    det = VolumeSpike(**kw)
    rng = random.Random(seed)
    n = int(days * PER_DAY)
    for i in range(n):
        det.learn_one({"value": poisson(rng, lam), "ts": T0 + BUCKET * i})
    return det, n


def test_no_score_during_warm_up():
    det = VolumeSpike(warm_up=10)
    for i in range(10):
        assert det.score_one({"value": 1000, "ts": T0 + BUCKET * i}) == 0.0
        det.learn_one({"value": 1, "ts": T0 + BUCKET * i})
    assert det.n_learned == 10
    assert det.score_one({"value": 1000, "ts": T0 + BUCKET * 10}) > 0.9


def test_steady_poisson_series_scores_about_zero():
    det, n = trained(days=2)
    rng = random.Random(99)
    scores = []
    for i in range(n, n + PER_DAY):
        x = {"value": poisson(rng, 10.0), "ts": T0 + BUCKET * i}
        scores.append(det.score_one(x))
        det.learn_one(x)
    assert max(scores) < 0.05
    assert sum(scores) / len(scores) < 0.001


def test_sudden_tenfold_bucket_scores_high():
    det, n = trained(days=2, lam=20.0)
    assert det.score_one({"value": 200, "ts": T0 + BUCKET * n}) > 0.9
    assert det.score_one({"value": 24, "ts": T0 + BUCKET * n}) == 0.0


def test_sudden_tenfold_bucket_scores_high_at_ten_per_bucket():
    for seed in range(5):
        det, n = trained(days=2, lam=10.0, seed=seed)
        assert det.score_one({"value": 100, "ts": T0 + BUCKET * n}) > 0.9, seed


def test_gradual_ramp_to_tenfold_is_followed():
    det, n = trained(days=2)
    growth = 10 ** (1 / 36)  # ~6.6 % per bucket
    assert 1.06 < growth < 1.07
    level, worst = 10.0, 0.0
    for j in range(1, 37):
        level *= growth
        x = {"value": round(level), "ts": T0 + BUCKET * (n + j)}
        worst = max(worst, det.score_one(x))
        det.learn_one(x)
    assert round(level) >= 99
    assert worst <= 0.6


def _daily_peak_week(det: VolumeSpike, peak_hour: int = 9, peak: int = 60, quiet: int = 5) -> int:
    n = 7 * PER_DAY
    for i in range(n):
        ts = T0 + BUCKET * i
        hour = (ts % 86_400) // 3600
        det.learn_one({"value": peak if hour == peak_hour else quiet, "ts": ts})
    return n


def test_daily_recurring_peak_not_flagged_at_its_hour():
    det = VolumeSpike()
    n = _daily_peak_week(det)
    day8 = T0 + BUCKET * n
    assert det.score_one({"value": 60, "ts": day8 + 9 * 3600}) == 0.0
    assert det.score_one({"value": 66, "ts": day8 + 9 * 3600 + 600}) == 0.0
    assert det.expected(day8 + 9 * 3600) == pytest.approx(60, rel=0.1)
    assert det.expected(day8 + 3 * 3600) == pytest.approx(5, rel=0.1)


def test_daily_peak_value_at_a_quiet_hour_is_flagged():
    det = VolumeSpike()
    n = _daily_peak_week(det)
    day8 = T0 + BUCKET * n
    assert det.score_one({"value": 60, "ts": day8 + 3 * 3600}) > 0.6


def test_learn_gap_decays_recent_level_and_peak_in_constant_time():
    det, n = trained(days=1)
    ref_before = det.reference(None)
    det.learn_gap(10 ** 9)  # must not loop
    assert det.n_learned == n + 10 ** 9
    assert det.reference(None) < ref_before * 0.01
    # a zero/negative gap changes nothing
    state = pickle.dumps(det)
    det.learn_gap(0)
    det.learn_gap(-5)
    assert pickle.dumps(det) == state


def test_learn_gap_equals_learning_empty_buckets_for_the_level():
    a, _ = trained(days=1)
    b = pickle.loads(pickle.dumps(a))
    a.learn_gap(20)
    for _ in range(20):
        b.learn_one({"value": 0})
    assert a.n_learned == b.n_learned
    assert a.reference(None) == pytest.approx(b.reference(None), rel=1e-9)


def test_weekly_burst_remembered_by_decayed_peak():
    det = VolumeSpike()
    week = 7 * PER_DAY
    i = 0
    for _week in range(3):
        for j in range(week):
            v = 200 if j == 0 else 2   # a newsletter: one burst bucket a week
            det.learn_one({"value": v, "ts": T0 + BUCKET * i})
            i += 1
    # next week's burst, at the same time of day, is not a spike
    assert det.score_one({"value": 200, "ts": T0 + BUCKET * i}) == 0.0
    # but several times the burst is
    assert det.score_one({"value": 2000, "ts": T0 + BUCKET * i}) > 0.9
    # and the burst's volume at a quiet time of day is
    assert det.score_one({"value": 200, "ts": T0 + BUCKET * i + 8 * 3600}) > 0.9


def test_missing_and_bad_values_tolerated():
    det, n = trained(days=1)
    before = det.n_learned
    det.learn_one({"value": float("nan")})
    det.learn_one({"value": -3})
    det.learn_one({"value": float("inf")})
    assert det.n_learned == before
    det.learn_one({})  # missing value counts as 0
    assert det.n_learned == before + 1
    for x in ({}, {"value": None}, {"ts": None}, {"value": float("nan"), "ts": float("inf")}):
        s = det.score_one(x)
        assert 0.0 <= s <= 1.0


def test_expected_without_ts_is_the_level():
    det, _ = trained(days=1)
    assert det.expected(None) == det.expected(float("nan"))
    assert 0 < det.expected(None) < 12
