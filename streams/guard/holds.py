"""The hold set: which senders and (sender, template) pairs are under an open critical episode.

Pure logic, no I/O, no clock of its own (every method takes ``now``, Unix seconds), so it
is unit-testable (``tests/guard/test_holds.py``).

* A **critical** alert opens or extends a hold of its sender (and of its ``(sender,
  template)`` pair when the alert names a template). Warnings never hold.
* A hold **expires with the episode**: when no critical alert for that sender arrived for
  ``quiet_seconds`` (``episode_quiet_seconds`` of detectors/config.py, 1 h by default),
  measured from the latest critical alert's own time (``ts``, event time) -- the
  worker's episode ends the same way.
* A **release** (``mailflow guard release SENDER``) lifts the sender's hold; critical
  alerts dated at or before the release are then ignored for that sender (they belong to
  the released episode: mail the on-call released is delivered, journalled and may raise
  alerts about itself), a later one opens a new hold.

The reason a message is held (``reason`` label of ``mailflow_guard_held_messages_total``)
is one of :data:`HOLD_REASONS`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

__all__ = ["HOLD_REASONS", "Hold", "HoldSet", "sender_hash", "alert_time"]

#: why a message was held (a small fixed set: the metric's ``reason`` label)
HOLD_REASONS = (
    "sender",       # the sender is under an open critical episode (an alert from the worker)
    "template",     # the message's (sender, template) is under an open critical episode (milter only)
    "inline",       # the guard's milter scored this message (or an earlier one of its sender) critical itself
    "fail_closed",  # --fail-closed and the guard's view of the alerts is stale
)


def sender_hash(sender: str) -> str:
    """What logs at INFO show instead of an address: 12 hex digits of its SHA-256."""
    return hashlib.sha256((sender or "").strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:12]


def alert_time(value: Any) -> float | None:
    """An alert's ``ts`` (RFC 3339 string or Unix seconds) as Unix seconds; None if unreadable."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        from datetime import datetime, timezone

        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        return dt.timestamp()
    return None


@dataclass
class Hold:
    """One held sender: since when, the last critical alert's time, its templates and detectors."""

    sender: str
    since: float
    last_critical: float
    origin: str = "alert"  # "alert" (from the alerts topic) or "inline" (the guard's own scoring)
    templates: dict[str, float] = field(default_factory=dict)  # template -> last critical ts
    detectors: set[str] = field(default_factory=set)
    alerts: int = 0

    def to_dict(self, quiet_seconds: float) -> dict[str, Any]:
        return {"sender": self.sender, "since": self.since, "last_critical": self.last_critical,
                "expires": self.last_critical + quiet_seconds, "origin": self.origin,
                "templates": sorted(self.templates), "detectors": sorted(self.detectors), "alerts": self.alerts}


class HoldSet:
    """Senders and (sender, template) pairs under an open critical episode."""

    def __init__(self, quiet_seconds: float = 3600.0) -> None:
        self.quiet_seconds = float(quiet_seconds)
        self._holds: dict[str, Hold] = {}
        self._released: dict[str, float] = {}  # sender -> time of its latest release

    # -- input
    def apply_alert(self, alert: Mapping[str, Any], now: float, origin: str = "alert") -> Hold | None:
        """Take one contract alert; returns the hold it opened or extended (None: it holds nothing).

        Warnings, alerts without a sender, alerts older than the quiet period and
        alerts dated at or before the sender's last release hold nothing.
        """
        if str(alert.get("severity", "")).lower() != "critical":
            return None
        sender = str(alert.get("sender") or "").strip().lower()
        if not sender:
            return None
        ts = alert_time(alert.get("ts"))
        if ts is None:
            ts = now
        ts = min(ts, now)  # an alert dated in the future must not hold for longer than the quiet period
        if now - ts >= self.quiet_seconds:
            return None
        released = self._released.get(sender)
        if released is not None and ts <= released:
            return None
        h = self._holds.get(sender)
        if h is None or now - h.last_critical >= self.quiet_seconds:
            h = self._holds[sender] = Hold(sender, since=now, last_critical=ts, origin=origin)
        h.last_critical = max(h.last_critical, ts)
        if origin == "inline":
            h.origin = "inline"
        template = alert.get("template")
        if template:
            t = str(template).strip().lower()
            h.templates[t] = max(h.templates.get(t, ts), ts)
        if alert.get("detector"):
            h.detectors.add(str(alert["detector"]))
        h.alerts += 1
        return h

    def release(self, sender: str, at: float) -> bool:
        """Lift ``sender``'s hold (True if there was one); alerts dated <= ``at`` no longer hold it."""
        s = sender.strip().lower()
        self._released[s] = max(self._released.get(s, at), at)
        return self._holds.pop(s, None) is not None

    # -- queries
    def expire(self, now: float) -> list[Hold]:
        """Drop the holds whose episode ended (quiet for ``quiet_seconds``); returns them."""
        gone = [h for h in self._holds.values() if now - h.last_critical >= self.quiet_seconds]
        for h in gone:
            del self._holds[h.sender]
        # a release older than a quiet period can no longer shadow a live alert
        for s, t in list(self._released.items()):
            if now - t >= 2 * self.quiet_seconds:
                del self._released[s]
        return gone

    def check(self, sender: str | None, template: str | None = None, now: float | None = None,
              also: Iterable[str] = ()) -> tuple[str, Hold] | None:
        """``(reason, hold)`` when a message of ``sender`` (or of any address in ``also``,
        e.g. the From header next to the envelope sender) must be held, else None.

        The reason is ``inline`` for a hold the guard's own scoring opened, ``template``
        when the message's template is one the alerts named, ``sender`` otherwise.
        """
        for s in (sender, *also):
            if not s:
                continue
            h = self._holds.get(s.strip().lower())
            if h is None:
                continue
            if now is not None and now - h.last_critical >= self.quiet_seconds:
                continue
            if h.origin == "inline":
                return "inline", h
            if template and template.strip().lower() in h.templates:
                return "template", h
            return "sender", h
        return None

    def active(self, now: float | None = None) -> list[Hold]:
        holds = list(self._holds.values())
        if now is not None:
            holds = [h for h in holds if now - h.last_critical < self.quiet_seconds]
        return sorted(holds, key=lambda h: h.since)

    def __len__(self) -> int:
        return len(self._holds)

    def __contains__(self, sender: str) -> bool:
        return sender.strip().lower() in self._holds
