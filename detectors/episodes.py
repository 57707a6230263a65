"""Alert episodes: one alert per episode, again only when it ended or its severity rose."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Episodes", "EpisodeEnd", "OpenEpisode", "SEVERITY_RANK"]

SEVERITY_RANK = {"warning": 1, "critical": 2}


@dataclass(frozen=True)
class EpisodeEnd:
    """An episode that closed: no trigger for the quiet period."""

    detector: str
    sender: str
    template: str | None
    severity: str
    started_ts: float
    last_ts: float
    triggers: int


@dataclass(frozen=True)
class OpenEpisode:
    """An episode still open, as its last alert named it (see :meth:`Episodes.open_episodes`).

    ``score`` and ``summary`` are those of the episode's last alert, when it was
    noted (:meth:`Episodes.note`); ``None`` for an episode opened before notes were kept.
    """

    detector: str
    sender: str
    template: str | None
    severity: str
    started_ts: float
    last_ts: float
    triggers: int
    score: float | None = None
    summary: str | None = None


class Episodes:
    """Open episodes of one sender, keyed by (detector, template); bounded.

    >>> e = Episodes(quiet_seconds=600)
    >>> e.trigger("fanout", "t1", "warning", 100.0)
    True
    >>> e.trigger("fanout", "t1", "warning", 200.0)      # same episode: no new alert
    False
    >>> e.trigger("fanout", "t1", "critical", 300.0)     # severity rose: alert again
    True
    >>> [x.triggers for x in e.expire("a@b.c", 1000.0)]  # quiet for 700 s: ended
    [3]
    """

    __slots__ = ("quiet_seconds", "max_open", "_open", "_evicted")

    def __init__(self, quiet_seconds: float = 3600, max_open: int = 32) -> None:
        self.quiet_seconds = quiet_seconds
        self.max_open = max_open
        # (detector, template scope) -> [rank, started_ts, last_ts, triggers, template label]
        self._open: dict[tuple[str, str | None], list] = {}
        # episodes pushed out by max_open, reported as ended by the next expire()
        self._evicted: list[tuple[tuple[str, str | None], list]] = []

    def trigger(self, detector: str, template: str | None, severity: str, ts: float, label: str | None = None) -> bool:
        """Record a trigger; True when it must raise an alert (new episode or higher severity).

        ``template`` scopes the episode (None: one episode per sender and detector);
        ``label`` is the template named by the episode's alerts and its end (default:
        ``template``), fixed when the episode opens.
        """
        key = (detector, template)
        rank = SEVERITY_RANK[severity]
        ep = self._open.get(key)
        if ep is not None and ts - ep[2] <= self.quiet_seconds:
            ep[2] = max(ep[2], ts)
            ep[3] += 1
            if rank > ep[0]:
                ep[0] = rank
                return True
            return False
        if ep is None and len(self._open) >= self.max_open:
            oldest = min(self._open, key=lambda k: self._open[k][2])
            self._evicted.append((oldest, self._open.pop(oldest)))
            del self._evicted[: -self.max_open]
        self._open[key] = [rank, ts, ts, 1, template if label is None else label]
        return True

    def label(self, detector: str, template: str | None) -> str | None:
        """The template named by the open episode's alerts."""
        ep = self._open.get((detector, template))
        return None if ep is None else ep[4]

    def expire(self, sender: str, now: float) -> list[EpisodeEnd]:
        """Close and return the episodes quiet for longer than ``quiet_seconds`` at ``now``."""
        closing = self._evicted
        self._evicted = []
        for key, ep in list(self._open.items()):
            if now - ep[2] > self.quiet_seconds:
                del self._open[key]
                closing.append((key, ep))
        return [
            EpisodeEnd(key[0], sender, ep[4], "critical" if ep[0] == 2 else "warning", ep[1], ep[2], ep[3])
            for key, ep in closing
        ]

    def note(self, detector: str, template: str | None, score: float, summary: str) -> bool:
        """Remember the score and summary of the alert an open episode just raised, so the
        episode can be shown the same way after a restart; False if it is not open."""
        ep = self._open.get((detector, template))
        if ep is None:
            return False
        del ep[5:]
        ep.extend((float(score), str(summary)))
        return True

    def open_episodes(self, sender: str, now: float | None = None) -> list[OpenEpisode]:
        """The open episodes, most severe first; with ``now``, only those not yet quiet for
        longer than ``quiet_seconds`` (the ones the next :meth:`expire` keeps open)."""
        out = []
        for (detector, _scope), ep in self._open.items():
            if now is not None and now - ep[2] > self.quiet_seconds:
                continue
            score = ep[5] if len(ep) > 6 else None
            summary = ep[6] if len(ep) > 6 else None
            out.append(OpenEpisode(detector, sender, ep[4], "critical" if ep[0] == 2 else "warning",
                                   ep[1], ep[2], ep[3], score, summary))
        out.sort(key=lambda o: (SEVERITY_RANK[o.severity], o.score or 0.0), reverse=True)
        return out

    def is_open(self, detector: str, template: str | None) -> bool:
        return (detector, template) in self._open

    def __len__(self) -> int:
        """Open episodes."""
        return len(self._open)

    def __bool__(self) -> bool:
        """True while anything is open or waits to be reported as ended."""
        return bool(self._open or self._evicted)

    def __getstate__(self):
        return (self.quiet_seconds, self.max_open, self._open, self._evicted)

    def __setstate__(self, s):
        self.quiet_seconds, self.max_open, self._open, self._evicted = s
