"""The guard service: the hold set, its inputs (alerts topic, releases) and its answers
(policy service, milter), with its metrics and logs.

Decisions (:meth:`Guard.decide`):

1. the alert view is **stale** (not loaded yet, or the broker has not answered for
   ``max_staleness`` seconds): with ``--fail-closed`` every message is held
   (``fail_closed``); by default (fail open) the holds that came from the alerts topic
   are not applied -- only holds the guard's own inline scoring opened still are;
2. the sender (the envelope sender; the milter also checks the ``From`` address) is
   under an open critical episode: held (``sender``, ``template`` or ``inline``);
3. otherwise the message passes (``DUNNO`` / accept).

Releases: ``mailflow guard release SENDER`` appends a line to ``STATE_DIR/releases.jsonl``
(:func:`append_marker`); the service reads new lines every ``poll`` seconds and lifts
the hold. The service writes its open holds to ``STATE_DIR/holds.json`` for
``mailflow guard list``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .holds import HOLD_REASONS, Hold, HoldSet, sender_hash

__all__ = ["GuardOptions", "GuardMetrics", "Guard", "append_marker", "read_markers", "RELEASES", "HOLDS"]

log = logging.getLogger("mailflow.guard")

RELEASES = "releases.jsonl"
HOLDS = "holds.json"


@dataclass(frozen=True)
class GuardOptions:
    quiet_seconds: float = 3600.0
    lookback: float = 3600.0
    max_staleness: float = 30.0
    fail_closed: bool = False
    inline: bool = False
    state_dir: str = "mailflow-data/guard"
    poll: float = 0.5


def append_marker(state_dir: str | os.PathLike, record: Mapping[str, Any]) -> None:
    """Append one release/drop marker (JSON line) to ``state_dir/releases.jsonl``."""
    d = Path(state_dir)
    d.mkdir(parents=True, exist_ok=True)
    line = json.dumps(dict(record), sort_keys=True) + "\n"
    fd = os.open(d / RELEASES, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def read_markers(path: Path, offset: int) -> tuple[list[dict], int]:
    """Complete marker lines of ``path`` from byte ``offset``; returns them and the new offset."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return [], 0
    end = data.rfind(b"\n")
    if end < 0:
        return [], offset
    out = []
    for line in data[: end + 1].splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and rec.get("sender"):
            out.append(rec)
    return out, offset + end + 1


class GuardMetrics:
    """The guard's metrics on ``registry`` (labels from fixed sets; never an address)."""

    def __init__(self, registry) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.held = Counter("mailflow_guard_held_messages_total", "Messages the guard put on hold, by reason",
                            ["reason"], registry=registry)
        for r in HOLD_REASONS:
            self.held.labels(r)
        self.released = Counter("mailflow_guard_released_messages_total",
                                "Held messages released with `mailflow guard release`", registry=registry)
        self.dropped = Counter("mailflow_guard_dropped_messages_total",
                               "Held messages deleted with `mailflow guard drop`", registry=registry)
        self.active = Gauge("mailflow_guard_active_holds", "Senders under an open critical episode (held)",
                            registry=registry)
        self.holds_opened = Counter("mailflow_guard_holds_opened_total", "Holds opened, by origin", ["origin"],
                                    registry=registry)
        for o in ("alert", "inline"):
            self.holds_opened.labels(o)
        self.holds_ended = Counter("mailflow_guard_holds_ended_total", "Holds ended, by cause", ["cause"],
                                   registry=registry)
        for c in ("expired", "released"):
            self.holds_ended.labels(c)
        self.policy = Counter("mailflow_guard_policy_requests_total", "Policy requests answered, by action",
                              ["action"], registry=registry)
        for a in ("hold", "dunno"):
            self.policy.labels(a)
        self.milter = Counter("mailflow_guard_milter_messages_total", "Messages seen by the guard's milter, by verdict",
                              ["verdict"], registry=registry)
        for a in ("accept", "quarantine"):
            self.milter.labels(a)
        self.milter_seconds = Histogram(
            "mailflow_guard_milter_verdict_seconds", "Time from end of message to the guard milter's verdict",
            registry=registry, buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 1, float("inf")))
        self.view_age = Gauge("mailflow_guard_alert_view_age_seconds",
                              "Seconds since the broker last answered the guard's alerts fetch (+Inf: not loaded)",
                              registry=registry)
        self.view_loaded = Gauge("mailflow_guard_alert_view_loaded",
                                 "1 once the guard read the alerts topic up to its end at start", registry=registry)


class Guard:
    """The hold set with its inputs and decisions; see the module doc."""

    def __init__(self, worker: Any, options: GuardOptions, registry, clock=time.time) -> None:
        self.worker = worker
        self.options = options
        self.clock = clock
        self.holds = HoldSet(options.quiet_seconds)
        self.metrics = GuardMetrics(registry)
        self.view = None  # AlertView, set by start()
        self._counted: OrderedDict[str, None] = OrderedDict()  # queue ids already counted as held
        self._marker_offset = 0
        self._tasks: list[asyncio.Task] = []
        self._dirty = True
        self._was_stale: bool | None = None
        self.metrics.view_age.set_function(lambda: self.view_age)
        self.metrics.view_loaded.set_function(lambda: 1.0 if self.view is not None and self.view.loaded else 0.0)
        self.metrics.active.set_function(lambda: len(self.holds.active(self.clock())))

    # -- freshness
    @property
    def view_age(self) -> float:
        return self.view.age if self.view is not None else math.inf

    @property
    def stale(self) -> bool:
        return self.view_age > self.options.max_staleness

    # -- holds
    def _opened(self, h: Hold, alert: Mapping[str, Any]) -> None:
        if h.alerts == 1:
            self.metrics.holds_opened.labels(h.origin).inc()
            log.info("guard: HOLD opened for sender %s by %s alert %s (%s); expires after %.0fs without a critical",
                     sender_hash(h.sender), h.origin, alert.get("alert_id", "-"), alert.get("detector", "-"),
                     self.options.quiet_seconds)
        self._dirty = True

    def on_alert(self, h: Hold, alert: Mapping[str, Any]) -> None:
        self._opened(h, alert)

    def inline_alert(self, alert: Mapping[str, Any]) -> Hold | None:
        h = self.holds.apply_alert(alert, self.clock(), origin="inline")
        if h is not None:
            self._opened(h, alert)
        return h

    def decide(self, sender: str | None, template: str | None = None, also: tuple[str, ...] = ()) -> str | None:
        """The hold reason for a message, or None when it passes."""
        now = self.clock()
        if self.stale:
            if self.options.fail_closed:
                return "fail_closed"
            hit = self.holds.check(sender, template, now, also)
            return hit[0] if hit is not None and hit[1].origin == "inline" else None
        hit = self.holds.check(sender, template, now, also)
        return hit[0] if hit is not None else None

    def count_held(self, reason: str, queue_id: str | None, sender: str | None, via: str) -> None:
        """Count and log one held message (once per queue id, whichever path saw it first)."""
        if queue_id:
            if queue_id in self._counted:
                return
            self._counted[queue_id] = None
            if len(self._counted) > 100_000:
                self._counted.popitem(last=False)
        self.metrics.held.labels(reason).inc()
        log.info("guard: held message %s of sender %s (%s, via %s)", queue_id or "-", sender_hash(sender or ""),
                 reason, via)

    # -- policy service
    def policy_action(self, attrs: Mapping[str, str]) -> str:
        sender = (attrs.get("sender") or "").strip().lower()
        reason = self.decide(sender) if sender or self.options.fail_closed else None
        if reason is None:
            self.metrics.policy.labels("dunno").inc()
            return "DUNNO"
        self.metrics.policy.labels("hold").inc()
        self.count_held(reason, attrs.get("queue_id") or None, sender, "policy")
        return f"HOLD mailflow-guard: {reason.replace('_', ' ')} under an open critical episode" \
            if reason != "fail_closed" else "HOLD mailflow-guard: alert view stale (fail closed)"

    # -- releases
    def poll_markers(self, count: bool = True) -> None:
        """Apply new release/drop markers (``count`` False: history read at start, not counted)."""
        path = Path(self.options.state_dir) / RELEASES
        recs, self._marker_offset = read_markers(path, self._marker_offset)
        for rec in recs:
            sender = str(rec["sender"]).strip().lower()
            action = rec.get("action", "release")
            n = int(rec.get("messages") or 0)
            if not count:
                n = 0
            if action == "drop":
                self.metrics.dropped.inc(n)
                log.info("guard: %d held message(s) of sender %s dropped by on-call", n, sender_hash(sender))
                continue
            at = float(rec.get("at") or self.clock())
            had = self.holds.release(sender, at)
            self.metrics.released.inc(n)
            if had and count:
                self.metrics.holds_ended.labels("released").inc()
            log.info("guard: RELEASE of sender %s by on-call (%d held message(s) released; hold %s)",
                     sender_hash(sender), n, "lifted" if had else "was not open")
            self._dirty = True

    def expire(self) -> None:
        for h in self.holds.expire(self.clock()):
            self.metrics.holds_ended.labels("expired").inc()
            log.info("guard: hold of sender %s ended with its episode (no critical alert for %.0fs)",
                     sender_hash(h.sender), self.options.quiet_seconds)
            self._dirty = True

    def write_snapshot(self) -> None:
        d = Path(self.options.state_dir)
        try:
            d.mkdir(parents=True, exist_ok=True)
            snap = {"written": self.clock(), "view_age": None if math.isinf(self.view_age) else self.view_age,
                    "stale": self.stale, "fail_closed": self.options.fail_closed,
                    "holds": [h.to_dict(self.options.quiet_seconds) for h in self.holds.active(self.clock())]}
            tmp = d / (HOLDS + ".tmp")
            tmp.write_text(json.dumps(snap, indent=1, sort_keys=True))
            os.chmod(tmp, 0o640)
            tmp.replace(d / HOLDS)
        except OSError as exc:  # pragma: no cover - a read-only state dir must not stop the guard
            log.warning("guard: cannot write %s: %s", d / HOLDS, exc)

    # -- life cycle
    def _watch_staleness(self) -> None:
        stale = self.stale
        if stale != self._was_stale and (stale is False or self.view is None or self.view.loaded):
            if stale:
                log.warning("guard: alert view STALE (broker not answering for %.0fs); %s", self.view_age,
                            "holding every message (fail closed)" if self.options.fail_closed
                            else "alert holds not applied (fail open)")
            elif self._was_stale is not None:
                log.info("guard: alert view fresh again; alert holds applied")
        if stale is False or self.view is None or self.view.loaded:
            self._was_stale = stale

    async def _housekeeping(self) -> None:
        last_snapshot = 0.0
        while True:
            try:
                self._watch_staleness()
                self.poll_markers()
                self.expire()
                now = time.monotonic()
                if self._dirty or now - last_snapshot > 5:
                    self.write_snapshot()
                    self._dirty, last_snapshot = False, now
            except Exception:  # pragma: no cover
                log.error("guard: housekeeping failed", exc_info=True)
            await asyncio.sleep(self.options.poll)

    def start(self, with_view: bool = True) -> None:
        from .alerts import AlertView

        # markers written before this start are history: their releases apply to alerts dated before them
        self.poll_markers(count=False)
        if with_view:
            self.view = AlertView(self.worker, self.holds, self.options.lookback, on_hold=self.on_alert,
                                  clock=self.clock)
            self.view.start()
        self._tasks.append(asyncio.ensure_future(self._housekeeping()))

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            try:
                await t
            except (asyncio.CancelledError, Exception):
                pass
        if self.view is not None:
            await self.view.stop()
        self.write_snapshot()
