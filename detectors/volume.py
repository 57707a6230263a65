"""Volume spike detector: a count series against a seasonal, ramp- and peak-aware baseline."""

from __future__ import annotations

import math
from array import array

from river.base import AnomalyDetector

__all__ = ["VolumeSpike"]


def _hour_dow(ts: float) -> tuple[int, int]:
    # Unix epoch was a Thursday (dow 3 with Monday = 0)
    days, rem = divmod(int(ts), 86_400)
    return rem // 3600, (days + 3) % 7


class VolumeSpike(AnomalyDetector):
    """Spikes in a count series (messages per bucket) against a learned baseline.

    The baseline has three parts, and the score is computed against the largest:

    * the seasonal expectation: an exponentially weighted mean for each hour of the
      day, times a day-of-week factor (31 numbers in all);
    * the recent level: an exponentially weighted mean of the last few buckets, so a
      gradual ramp (a launch going up 8-10x over hours) is followed and not flagged;
    * the recent peak at this time of day: the largest bucket seen in the same hour
      of the day or the hours either side, decaying with a half-life of
      ``peak_half_life`` buckets, so recurring bursts (a weekly newsletter, a monthly
      invoice run) are not flagged again, while the same volume at a quiet hour is.

    A value is anomalous when it exceeds ``tolerance`` times that reference by much
    more than Poisson noise: ``z = (v - tolerance * ref) / sqrt(tolerance * ref + 1)``
    and ``score = 1 - exp(-(z / z_scale) ** 2)`` for ``z > 0``, else 0.

    Parameters
    ----------
    tolerance
        How many times the reference a value may reach before it counts as a spike.
    alpha_season
        Weight of a new bucket in its hour-of-day mean.
    alpha_recent
        Weight of a new bucket in the recent level.
    peak_half_life
        Half-life of the recent peak, in buckets.
    z_scale
        z at which the score reaches 0.63.
    warm_up
        Buckets to learn before any score above 0.
    seed
        Unused (the detector is deterministic); kept for a uniform constructor.

    Notes
    -----
    Score range: [0, 1), high = anomalous. Warm-up: ``warm_up`` calls to
    :meth:`learn_one`; scores are 0 before. State: 84 numbers, whatever the length
    of the series. ``x`` is ``{"value": number, "ts": unix seconds}``; ``ts`` may be
    missing (then only the non-seasonal parts are used), and a missing value counts
    as 0. ``x["gap"]`` (optional) is a run of empty buckets after this one, learned
    in constant time (:meth:`learn_gap`): ``{"value": 7, "ts": t, "gap": 3}`` is the
    bucket at ``t`` and the three empty ones that followed it.

    Examples
    --------
    >>> det = VolumeSpike(warm_up=24)
    >>> t0 = 1_500_000_000
    >>> for i in range(24 * 12):      # one day of 5-minute buckets, ~10 per bucket
    ...     det.learn_one({"value": 10 + (i % 3), "ts": t0 + 300 * i})
    >>> det.score_one({"value": 12, "ts": t0 + 300 * 288})
    0.0
    >>> det.score_one({"value": 120, "ts": t0 + 300 * 288}) > 0.9
    True
    """

    def __init__(
        self,
        tolerance: float = 2.0,
        alpha_season: float = 0.1,
        alpha_recent: float = 0.3,
        peak_half_life: float = 45 * 288,
        z_scale: float = 6.0,
        warm_up: int = 48,
        seed: int | None = None,
    ) -> None:
        self.tolerance = tolerance
        self.alpha_season = alpha_season
        self.alpha_recent = alpha_recent
        self.peak_half_life = peak_half_life
        self.z_scale = z_scale
        self.warm_up = warm_up
        self.seed = seed
        self._hour = [0.0] * 24
        self._hour_n = [0] * 24
        self._dow = [1.0] * 7
        self._level = 0.0
        self._recent = 0.0
        self._peak = 0.0  # all hours (used when ts is unknown)
        self._hour_peak = [0.0] * 24
        self._hour_peak_n = [0] * 24  # self._n when the hour's peak was set (lazy decay)
        self._n = 0
        self._decay = 0.5 ** (1.0 / peak_half_life)

    # -- learning -----------------------------------------------------------------
    def learn_one(self, x: dict) -> None:
        """Learn one bucket (``value`` at ``ts``), then ``x["gap"]`` empty buckets after it, if given."""
        self._learn_value(x)
        gap = x.get("gap")
        if gap and gap.__class__ is int:
            self.learn_gap(gap)

    def _learn_value(self, x: dict) -> None:
        v = float(x.get("value") or 0.0)
        if not math.isfinite(v) or v < 0:
            return
        ts = x.get("ts")
        self._n += 1
        a = self.alpha_season
        self._level += (a / 10) * (v - self._level)
        if isinstance(ts, (int, float)) and math.isfinite(ts):
            h, d = _hour_dow(ts)
            if self._hour_n[h] == 0:
                self._hour[h] = v
            else:
                self._hour[h] += a * (v - self._hour[h])
            self._hour_n[h] += 1
            if v >= self._hour_peak[h] * self._decay ** (self._n - self._hour_peak_n[h]):
                self._hour_peak[h], self._hour_peak_n[h] = v, self._n
            base = self._hour[h]
            if base > 0.5:
                ratio = min(v / base, 10.0)
                self._dow[d] += (a / 4) * (ratio - self._dow[d])
        self._recent += self.alpha_recent * (v - self._recent)
        self._peak = max(v, self._peak * self._decay)

    def learn_gap(self, n: int) -> None:
        """Learn ``n`` consecutive empty buckets at once (recent level and peak decay)."""
        if n <= 0:
            return
        self._n += n
        self._recent *= (1.0 - self.alpha_recent) ** n
        self._level *= (1.0 - self.alpha_season / 10) ** min(n, 10_000)
        self._peak *= self._decay**n

    # -- scoring ------------------------------------------------------------------
    def expected(self, ts: float | None = None) -> float:
        """Seasonal expectation for a bucket at ``ts`` (the level when unknown)."""
        if isinstance(ts, (int, float)) and math.isfinite(ts):
            h, d = _hour_dow(ts)
            if self._hour_n[h]:
                return self._hour[h] * self._dow[d]
        return self._level

    def peak(self, ts: float | None = None) -> float:
        """Decayed peak around the hour of ``ts`` (over all hours when unknown)."""
        if isinstance(ts, (int, float)) and math.isfinite(ts):
            h = _hour_dow(ts)[0]
            n, d = self._n, self._decay
            return max(self._hour_peak[i % 24] * d ** (n - self._hour_peak_n[i % 24]) for i in (h - 1, h, h + 1))
        return self._peak

    def reference(self, ts: float | None = None) -> float:
        """The largest of seasonal expectation, recent level and decayed peak at that hour."""
        return max(self.expected(ts), self._recent, self.peak(ts))

    def score_one(self, x: dict) -> float:
        if self._n < self.warm_up:
            return 0.0
        v = float(x.get("value") or 0.0)
        if not math.isfinite(v):
            return 0.0
        ref = self.tolerance * self.reference(x.get("ts"))
        z = (v - ref) / math.sqrt(ref + 1.0)
        if z <= 0:
            return 0.0
        return 1.0 - math.exp(-((z / self.z_scale) ** 2))

    # compact pickles (the state travels in the changelog): lists as packed arrays
    _PACKED = (("_hour", "d"), ("_dow", "d"), ("_hour_peak", "d"), ("_hour_n", "q"), ("_hour_peak_n", "q"))

    def __getstate__(self) -> dict:
        d = self.__dict__.copy()
        for name, code in self._PACKED:
            d[name] = array(code, d[name]).tobytes()
        return d

    def __setstate__(self, d: dict) -> None:
        d = dict(d)
        for name, code in self._PACKED:
            v = d.get(name)
            if isinstance(v, (bytes, bytearray)):
                a = array(code)
                a.frombytes(v)
                d[name] = a.tolist()
        self.__dict__.update(d)

    @property
    def n_learned(self) -> int:
        return self._n

    @classmethod
    def _unit_test_params(cls):
        yield {}
        yield {"tolerance": 3.0, "warm_up": 10}
