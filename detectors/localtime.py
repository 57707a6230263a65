"""Local wall-clock time for the seasonal baselines (IANA time zones, summer time included)."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["LocalTime", "zone_problem"]


def zone_problem(name: str) -> str | None:
    """Why ``name`` is not a usable IANA time zone, or None.

    >>> zone_problem("Europe/Berlin") is None, zone_problem("Mars/Olympus")
    (True, "unknown time zone 'Mars/Olympus'")
    """
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return f"unknown time zone {name!r}"
    return None


class LocalTime:
    """Maps Unix seconds to local wall-clock seconds (``ts + UTC offset at ts``) in one zone.

    The seasonal baselines learn per local hour of day and day of week, so a
    7:00 statement run stays "7:00" across a summer-time change. The offset is
    cached per UTC hour (zones change offset on whole quarter hours, at most twice a
    year; the cached hour is recomputed when it changes), so the common call is
    one integer division and one comparison. UTC costs nothing.

    >>> berlin = LocalTime("Europe/Berlin")
    >>> winter = 1742976000.0   # 2025-03-26 08:00 UTC
    >>> summer = 1743580800.0   # 2025-04-02 08:00 UTC (after the change on 30 March)
    >>> (berlin(winter) - winter) / 3600, (berlin(summer) - summer) / 3600
    (1.0, 2.0)
    >>> LocalTime("UTC")(winter) == winter
    True
    """

    __slots__ = ("name", "_zone", "_hour", "_offset")

    def __init__(self, name: str = "UTC") -> None:
        problem = zone_problem(name)
        if problem:
            raise ValueError(problem)
        self.name = name
        self._zone = None if name in ("UTC", "Etc/UTC") else ZoneInfo(name)
        self._hour = None
        self._offset = 0.0

    def offset(self, ts: float) -> float:
        """UTC offset at ``ts``, seconds."""
        if self._zone is None:
            return 0.0
        h = int(ts // 3600)
        if h != self._hour:
            off = datetime.fromtimestamp(h * 3600, tz=timezone.utc).astimezone(self._zone).utcoffset()
            off_end = datetime.fromtimestamp(h * 3600 + 3599, tz=timezone.utc).astimezone(self._zone).utcoffset()
            if off != off_end:  # the change happens within this hour: no caching
                return datetime.fromtimestamp(ts, tz=timezone.utc).astimezone(self._zone).utcoffset().total_seconds()
            self._hour, self._offset = h, off.total_seconds()
        return self._offset

    def __call__(self, ts: float) -> float:
        if self._zone is None:
            return ts
        return ts + self.offset(ts)

    def __repr__(self) -> str:
        return f"LocalTime({self.name!r})"
