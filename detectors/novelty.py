"""Template novelty: a template never seen from an automated sender, reaching volume while young."""

from __future__ import annotations

import math

from river.base import AnomalyDetector

__all__ = ["TemplateNovelty"]

_E = 2.718281828  # the score's base, as frozen in the alerts (tests/data/alerts/golden.json)


def _num(v, default: float) -> float:
    if v is None or isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return default
    return float(v)


class TemplateNovelty(AnomalyDetector):
    """A new template of an automated sender that reaches volume while it is young.

    ``x`` describes the current message of one template: ``volume`` (messages of
    the template so far, this one included), ``template_age`` (seconds since the
    template was first seen), ``sender_age`` (seconds the sender had been known
    when the template first appeared), ``novel`` (the template was never seen from
    the sender before; default True), ``automated`` (default True: people's mail
    has no templates), ``ts`` (event time), ``categories`` (what the message asks
    for, as :func:`~detectors.sensitive.find_requests` gives it) and ``unrelated``
    (unrelated external customers on it).

    A message scores when its template is novel, automated, has reached
    ``min_count`` messages, is at most ``max_age_seconds`` old and appeared after
    the sender's first ``warm_up_seconds``: ``1 - 0.4 * e ** (-(volume - min_count)
    / min_count)`` (0.6 at ``min_count``, towards 1 beyond). Alone (no request, fewer
    than ``min_unrelated`` unrelated customers) a new template stays below
    ``critical_score``, and scores 0 for a sender that starts new templates at
    volume as a habit (a newsletter): more than ``habit_count`` such templates
    (decayed with a half-life of ``habit_half_life`` seconds). With a request or a
    fan-out on the message it scores at least ``critical_score``.

    The detector learns the habit: :meth:`learn_one` counts a template when it
    reaches ``min_count`` within its young window.

    Parameters
    ----------
    min_count
        Messages of a template before it can score.
    max_age_seconds
        Age of a template (since it was first seen) up to which it can score.
    warm_up_seconds
        Templates appearing within this time of the sender's first message never score.
    habit_half_life
        Half-life of the count of new templates that reached volume, seconds.
    habit_count
        Decayed count from which new templates at volume are the sender's habit.
    critical_score
        The floor of the score with a request or fan-out, and (minus 0.01) its
        ceiling without.
    min_unrelated
        Unrelated customers on one message that make it a fan-out.
    seed
        Unused (deterministic); kept for a uniform constructor.

    Notes
    -----
    Score range: [0, 1), high = anomalous; 0 outside the conditions above.
    Warm-up: ``warm_up_seconds`` of each sender's time (given by ``sender_age``),
    and ``min_count`` messages of each template. State: 2 numbers (the decayed
    count of new templates at volume, and the time it was last updated), whatever
    the number of templates; the template's own figures come with ``x``.

    Examples
    --------
    >>> det = TemplateNovelty(min_count=20, max_age_seconds=86_400, warm_up_seconds=86_400)
    >>> x = {"ts": 1_500_000_000, "volume": 20, "template_age": 600, "sender_age": 5 * 86_400}
    >>> det.score_one(x)
    0.6
    >>> round(det.score_one({**x, "volume": 40}), 3)
    0.84
    >>> det.score_one({**x, "categories": frozenset({"passport"})})
    0.85
    >>> det.score_one({**x, "template_age": 2 * 86_400})  # no longer young
    0.0
    >>> for day in range(3):                               # new templates at volume, every day
    ...     det.learn_one({**x, "ts": x["ts"] + day * 86_400})
    >>> det.score_one({**x, "ts": x["ts"] + 3 * 86_400})   # a habit: a newsletter
    0.0
    """

    def __init__(
        self,
        min_count: int = 20,
        max_age_seconds: float = 86_400,
        warm_up_seconds: float = 86_400,
        habit_half_life: float = 30 * 86_400,
        habit_count: float = 2.0,
        critical_score: float = 0.85,
        min_unrelated: int = 3,
        seed: int | None = None,
    ) -> None:
        self.min_count = min_count
        self.max_age_seconds = max_age_seconds
        self.warm_up_seconds = warm_up_seconds
        self.habit_half_life = habit_half_life
        self.habit_count = habit_count
        self.critical_score = critical_score
        self.min_unrelated = min_unrelated
        self.seed = seed
        self._history = [0.0, 0.0]  # decayed count of new templates that reached volume, at ts

    def bind(self, history: list) -> "TemplateNovelty":
        """This detector's parameters over ``history``, one sender's ``[decayed count, ts]``
        (shared, not copied: learning updates it), as :class:`~detectors.pipeline.SenderState`
        keeps it (``novel_history``)."""
        twin = TemplateNovelty.__new__(TemplateNovelty)
        twin.__dict__.update(self.__dict__)
        twin._history = history
        return twin

    # -- the conditions ---------------------------------------------------------------
    def _young(self, x: dict) -> bool:
        """The template is new, automated, at volume, young, and appeared after the warm-up."""
        if not x.get("novel", True) or not x.get("automated", True):
            return False
        if _num(x.get("volume"), 0.0) < self.min_count:
            return False
        return (_num(x.get("template_age"), 0.0) <= self.max_age_seconds
                and _num(x.get("sender_age"), 0.0) >= self.warm_up_seconds)

    def _habit(self, ts: float | None) -> float:
        """The decayed count of new templates at volume, at ``ts`` (unknown: as last updated)."""
        count, at = self._history
        if ts is None:
            return count
        return count * 0.5 ** ((ts - at) / self.habit_half_life)

    # -- River protocol -------------------------------------------------------------
    def learn_one(self, x: dict) -> None:
        """Count the template when it just reached ``min_count`` within its young window."""
        ts = x.get("ts")
        if ts is None or not self._young(x) or _num(x.get("volume"), 0.0) != self.min_count:
            return
        if _num(ts, math.nan) != ts:
            return
        hist = self._history
        hist[0] = self._habit(ts) + 1.0
        hist[1] = ts

    def score_one(self, x: dict) -> float:
        if not self._young(x):
            return 0.0
        n = self.min_count
        total = x.get("volume")
        s = 1.0 - 0.4 * _E ** (-(total - n) / n)
        cats = x.get("categories")
        if not cats and _num(x.get("unrelated"), 0.0) < self.min_unrelated:
            # alone, a new template is worth a warning, not a page; and none for an
            # account that starts new templates at volume as a habit (newsletters)
            ts = x.get("ts")
            habitual = self._habit(ts if _num(ts, math.nan) == ts else None) >= self.habit_count
            return 0.0 if habitual else min(s, self.critical_score - 0.01)
        return max(s, self.critical_score)  # a new template at volume that asks for data or exposes customers

    @classmethod
    def _unit_test_params(cls):
        # the contract's standard stream is one template of one sender: count it from its 5th message
        yield {"min_count": 5, "warm_up_seconds": 0, "max_age_seconds": 10 * 86_400}
        yield {"min_count": 50, "warm_up_seconds": 0, "max_age_seconds": 10 * 86_400, "habit_count": 1.0}
