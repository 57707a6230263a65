"""Re-delivered events, recognised by event id over a day of a sender's traffic."""

from __future__ import annotations

import math
import sys
from array import array
from bisect import bisect_left
from hashlib import blake2b
from itertools import islice


__all__ = ["Redeliveries"]

_NEG_INF = float("-inf")
_BIG_ENDIAN = sys.byteorder == "big"
_BLAKE8 = blake2b(digest_size=8)  # copied per id: cheaper than a new one each time


_EMPTY = array("Q")


def _bytes(a: array) -> bytes:
    """An array of 64-bit digests as packed little-endian bytes."""
    if _BIG_ENDIAN:
        a = array("Q", a)
        a.byteswap()
    return a.tobytes()


def _ints(raw: bytes) -> array:
    """Packed little-endian 64-bit digests as an array of ints."""
    a = array("Q")
    a.frombytes(raw)
    if _BIG_ENDIAN:
        a.byteswap()
    return a


class Redeliveries:
    """Which events of one sender have been seen before, by ``event_id``.

    One instance per sending account. Recognises a re-delivered event (the same
    ``event_id``) whatever the Kafka offsets and however many events came in
    between, as long as the original is within ``window_seconds`` of event time of
    the newest event seen (and the cap ``max_ids`` has not shortened that; see
    :attr:`coverage_seconds`). It relies on a re-delivered event carrying the same
    ``ts`` as the original.

    The ids are kept in time generations of ``window_seconds / 2`` of event time
    (aligned on multiples of it): the current one and the two before it, so ids
    are remembered for between ``window_seconds`` and ``1.5 * window_seconds``.
    When an event's ``ts`` passes the current span, the current generation
    becomes the previous one and the oldest is dropped; a late event (``ts``
    before the current span) goes into the current generation, so it is kept at
    least as long. A live generation holds the id strings themselves (a ``dict``
    used as an insertion-ordered set).

    Fast path: an event whose ``ts`` is above every ``ts`` seen so far cannot be a
    re-delivery of anything seen (the original would have had that ``ts``), so it
    is only added, with one dict store. Other events are looked up: in the current
    generation's strings, then (hashing the id once, about 0.5 µs) by bisection in
    the older generations' sorted digests.

    When the current generation rotates, its ids become sorted 8-byte BLAKE2b
    digests (each id is hashed once, there or by an earlier pickle), so only the
    current half-window of ids is kept as strings.

    Cap: a generation holds at most ``max_ids // 3`` ids; when the current one
    reaches it, it rotates early, so the three never hold more than ``max_ids``.
    That never happens while the sender stays below ``max_ids / (1.5 *
    window_seconds)`` events a second (1.54/s, 133,000 a day, for the defaults).
    Above, the generations cover less event time and ids are forgotten sooner
    (under a steady rate, the last ``2 * max_ids // 3`` to ``max_ids`` ids are
    remembered); :attr:`coverage_seconds` says how far back the memory goes at
    any moment, for the caller to report.

    Parameters
    ----------
    window_seconds
        Event time over which a re-delivery is guaranteed to be recognised.
    max_ids
        Hard cap on the ids remembered (all generations).

    Notes
    -----
    Memory: the current generation costs about ``80 + len(id)`` bytes per id
    (the string and its dict entry; about 120 bytes for a 44-character
    Message-ID), the two older ones 8 bytes per id; so at most about
    ``max_ids / 3 * 128 + 2 * max_ids / 3 * 8`` bytes per sender (9 MB for the
    defaults, 4.6 MB for the pipeline's ``dedup_max_ids`` of 96,000). Pickled:
    ``8 * n`` bytes plus about 150, each generation as the digests of its ids in
    one ``bytes`` (the current one in arrival order, the older ones sorted), so
    the same history always pickles to the same bytes. Each id is hashed once: a
    state written every second hashes only what came in that second.

    Restored from a pickle, the current generation's digests are kept sorted
    for lookups beside the new strings, and rotate out like the others.

    False positives: none in the current generation (the ids are compared
    exactly). Against the digests of ``n`` older (or restored) ids, a new id is
    taken for a re-delivery with probability about ``n / 2**64`` per lookup
    (1e-14 for 200,000 ids), and only events whose ``ts`` is not above every
    ``ts`` seen are looked up at all.
    False negatives: none within ``coverage_seconds`` (``window_seconds`` unless the
    cap has shortened it); older ids may be forgotten, and are after ``1.5 *
    window_seconds``.

    Examples
    --------
    >>> seen = Redeliveries(window_seconds=86_400)
    >>> t0 = 1_500_000_000
    >>> seen.seen_or_add("evt-1", t0), seen.seen_or_add("evt-2", t0 + 1)
    (False, False)
    >>> for i in range(10_000):                     # later events of the same sender
    ...     _ = seen.seen_or_add(f"evt-later-{i}", t0 + 2 + i)
    >>> seen.seen_or_add("evt-1", t0), seen.seen_or_add("evt-3", t0)   # re-delivery; a late newcomer
    (True, False)
    >>> import pickle
    >>> back = pickle.loads(pickle.dumps(seen))
    >>> back.seen_or_add("evt-2", t0 + 1), back.seen_or_add("evt-4", t0 + 20_000), len(back)
    (True, False, 10004)
    """

    __slots__ = ("window_seconds", "max_ids", "_half", "_gen_cap", "_max_ts", "_next", "_gidx",
                 "_cur", "_cur_old", "_cur_raw", "_old", "_starts", "_n_gens", "_limit", "_packed", "_done")

    def __init__(self, window_seconds: float = 86_400.0, max_ids: int = 200_000) -> None:
        self.window_seconds = window_seconds
        self.max_ids = max_ids
        self._derive()
        self._max_ts = _NEG_INF  # largest ts seen
        self._next = _NEG_INF  # event time at which the current span ends
        self._gidx: int | None = None  # floor(ts / span) of the current span
        # the current generation: id -> None in arrival order; after a restore, also the
        # digests it had (arrival order, and sorted for lookups)
        self._cur: dict[str, None] = {}
        self._cur_raw = b""
        self._cur_old = _EMPTY
        # the two previous generations: sorted 64-bit digests (8 bytes an id)
        self._old: list[array] = [_EMPTY, _EMPTY]
        self._starts = [_NEG_INF, _NEG_INF, _NEG_INF]  # earliest event time each generation answers for
        self._n_gens = 1
        self._limit = self._gen_cap  # size of self._cur at which it rotates early
        # digests of the current generation for its pickle: the restored ones, then those
        # of the first self._done ids of self._cur (extended by each pickle)
        self._packed = b""
        self._done = 0

    def _derive(self) -> None:
        if not self.window_seconds > 0 or not self.max_ids >= 3:
            raise ValueError("window_seconds must be > 0 and max_ids >= 3")
        self._half = float(self.window_seconds) / 2.0
        self._gen_cap = int(self.max_ids) // 3

    # -- the hot path ---------------------------------------------------------------
    def seen_or_add(self, event_id: str, ts: float) -> bool:
        """True if ``event_id`` has been seen (a re-delivery); else remember it, False.

        ``ts`` is the event time (finite Unix seconds), the same on every delivery.
        """
        cur = self._cur
        if ts > self._max_ts:  # newer than anything seen: cannot be a re-delivery
            self._max_ts = ts
            if ts >= self._next:
                self._advance(ts)
                cur = self._cur
        elif event_id in cur or self._in_digests(event_id):
            return True
        cur[event_id] = None
        if len(cur) >= self._limit:
            self._shift(self._max_ts)
        return False

    def _in_digests(self, event_id: str) -> bool:
        """Is ``event_id`` among the older generations' (or the restored) digests?"""
        old = self._old
        if not (old[0] or old[1] or self._cur_old):
            return False
        h = _BLAKE8.copy()
        h.update(event_id.encode("utf-8", "surrogatepass"))
        d = int.from_bytes(h.digest(), "little")
        for arr in (self._cur_old, old[0], old[1]):
            if arr:
                i = bisect_left(arr, d)
                if i < len(arr) and arr[i] == d:
                    return True
        return False

    def _advance(self, ts: float) -> None:
        """``ts`` has passed the current span: rotate by as many spans as it passed."""
        if not math.isfinite(ts):
            return
        g = int(ts // self._half)
        self._next = (g + 1) * self._half
        if self._gidx is None:  # the first event
            self._gidx = g
            if self._starts[0] == _NEG_INF:
                self._starts[0] = ts
            return
        steps = min(g - self._gidx, 3)
        self._gidx = g
        for i in range(steps):
            # an empty generation skipped over answers for its whole span
            self._shift((g - steps + 1 + i) * self._half)

    def _shift(self, start: float) -> None:
        """The current generation becomes the previous one; a new one answers from ``start``.

        Its ids become sorted 64-bit digests (each id hashed once, here or by a pickle
        before), 8 bytes an id instead of the string's ~120."""
        packed = self._packed_current()
        a = _ints(packed)
        self._old = [array("Q", sorted(a)), self._old[0]]
        self._cur, self._cur_raw, self._cur_old = {}, b"", _EMPTY
        self._packed, self._done = b"", 0
        s = self._starts
        self._starts = [max(start, s[0]), s[0], s[1]]
        self._n_gens = min(3, self._n_gens + 1)
        self._limit = self._gen_cap

    def _packed_current(self) -> bytes:
        """The current generation's digests, in arrival order (restored ones first)."""
        if not self._done and not self._packed:
            self._packed = self._cur_raw
        cur = self._cur
        if self._done < len(cur):  # hash what arrived since the last call, once
            copy = _BLAKE8.copy
            out = []
            for event_id in islice(cur, self._done, None):
                h = copy()
                h.update(event_id.encode("utf-8", "surrogatepass"))
                out.append(h.digest())
            self._packed += b"".join(out)
            self._done = len(cur)
        return self._packed

    # -- reading ----------------------------------------------------------------------
    def seen(self, event_id: str) -> bool:
        """True if ``event_id`` is remembered (without adding it)."""
        return event_id in self._cur or self._in_digests(event_id)

    __contains__ = seen

    @property
    def coverage_seconds(self) -> float:
        """Event time currently remembered: every id whose ``ts`` is more recent than
        ``newest ts - coverage_seconds`` is recognised. ``window_seconds`` to
        1.5 times that, less when the cap ``max_ids`` rotated early; 0 when empty."""
        if self._max_ts == _NEG_INF:
            return 0.0
        oldest = self._starts[self._n_gens - 1]
        return max(0.0, float(self._max_ts - oldest))

    @property
    def newest_ts(self) -> float:
        """The largest ``ts`` seen (-inf before the first event)."""
        return self._max_ts

    def __len__(self) -> int:
        return len(self._cur) + len(self._cur_old) + len(self._old[0]) + len(self._old[1])

    # -- compact pickles: 8 bytes per id -------------------------------------------
    def __getstate__(self):
        gens = (self._packed_current(), _bytes(self._old[0]), _bytes(self._old[1]))
        return (self.window_seconds, self.max_ids, self._max_ts, self._next, self._gidx,
                tuple(self._starts), self._n_gens, gens)

    def __setstate__(self, s) -> None:
        (self.window_seconds, self.max_ids, self._max_ts, self._next, self._gidx,
         starts, self._n_gens, gens) = s
        self._derive()
        self._starts = list(starts)
        cur, p1, p2 = (bytes(g) for g in gens)
        self._cur = {}
        self._cur_raw = cur
        self._cur_old = array("Q", sorted(_ints(cur))) if cur else _EMPTY
        self._old = [array("Q", sorted(_ints(p1))), array("Q", sorted(_ints(p2)))]
        self._limit = self._gen_cap - len(cur) // 8
        self._packed, self._done = cur, 0
