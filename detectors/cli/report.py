"""The backtest report of ``mailflow replay FILE --report FILE.html``: one self-contained HTML page.

:class:`ReplayReport` is fed by :func:`detectors.cli.replay.replay` (one
:meth:`~ReplayReport.event` call per processed event, one :meth:`~ReplayReport.alert`
call per alert, one :meth:`~ReplayReport.episode_end` call per episode the detectors
closed) and renders, with :meth:`~ReplayReport.render`, a page that opens
offline: inline SVG charts and a small style sheet, no script, no font, no image,
no external address. What it shows and what it never contains: ``docs/report.md``.

The page is a pure function of the input: no generation time, no dependence on
dict order or hash seed (everything shown is sorted by an explicit key), floats
written with fixed formats, so the same events give byte-identical HTML on every
Python 3.11.
"""

from __future__ import annotations

import html
import math
from datetime import datetime, timezone
from typing import Any, Iterable
from zlib import crc32

from ..alerts import DETECTORS, SEVERITIES, rfc3339
from ..episodes import SEVERITY_RANK

__all__ = ["ReplayReport", "BUCKET_WIDTHS"]

#: Bucket widths of the volume timeline (seconds), finest first; each divides the next,
#: so the counts of a bucket width add up exactly into the next one.
BUCKET_WIDTHS = (1, 5, 10, 30, 60, 300, 900, 1800, 3600, 10800, 21600, 43200, 86400, 604800, 2419200,
                 31449600)
_WIDTH_NAMES = {1: "1 second", 5: "5 seconds", 10: "10 seconds", 30: "30 seconds", 60: "1 minute",
                300: "5 minutes", 900: "15 minutes", 1800: "30 minutes", 3600: "1 hour", 10800: "3 hours",
                21600: "6 hours", 43200: "12 hours", 86400: "1 day", 604800: "1 week", 2419200: "4 weeks",
                31449600: "52 weeks"}
_SHORT_NAMES = {1: "s", 5: "5 s", 10: "10 s", 30: "30 s", 60: "min", 300: "5 min", 900: "15 min", 1800: "30 min",
                3600: "h", 10800: "3 h", 21600: "6 h", 43200: "12 h", 86400: "day", 604800: "week",
                2419200: "4 weeks", 31449600: "52 weeks"}
# time-axis tick steps (seconds): the smallest giving at most _MAX_TICKS ticks is used
_TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
               2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400, 91 * 86400, 364 * 86400, 5 * 364 * 86400,
               10 * 364 * 86400, 50 * 364 * 86400)
_MAX_TICKS = 8
_SYMBOL = {"warning": "\u25b2", "critical": "\u25c6"}  # ▲ ◆: severity by shape as well as colour

# chart geometry (SVG user units; the charts scale to the page width)
_W = 1000
_LEFT = 150
_RIGHT = 20
_PW = _W - _LEFT - _RIGHT

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1f2328;
background:#fff;margin:0 auto;max-width:1100px;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de}
h3{font-size:14px;margin:16px 0 2px;font-weight:600}
.side{display:flex;flex-wrap:wrap;gap:8px 40px;align-items:flex-start}.side h3{margin-top:0}
p.note,p.lead{color:#57606a;margin:4px 0}code{font-size:13px}
table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;
vertical-align:top}th{background:#f6f8fa}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
table.alerts{width:100%;table-layout:fixed}table.alerts td{font-size:13px;overflow-wrap:anywhere}
table.alerts td.nw{white-space:nowrap}table.alerts code{font-size:11px}table.templates td{overflow-wrap:anywhere}
.sev-warning{color:#8a5a00}.sev-critical{color:#b42318;font-weight:600}
svg.chart{display:block;width:100%;height:auto;margin:2px 0 6px}
svg text{font-family:system-ui,"DejaVu Sans",sans-serif;font-size:11px;fill:#1f2328}
svg .grid{stroke:#d8dee4;stroke-width:1}svg .axis{stroke:#57606a;stroke-width:1}
svg .automated{fill:#3b6ea8}svg .human{fill:#e07b22}svg .untracked{fill:#eef1f4}
svg .guide{stroke-width:1;stroke-dasharray:3 3;opacity:.55}
svg .guide.warning{stroke:#b7791f}svg .guide.critical{stroke:#b42318}
svg .alert-marker.warning path{fill:#f2b134;stroke:#6b4400;stroke-width:1}
svg .alert-marker.critical path{fill:#d92d20;stroke:#5c0d08;stroke-width:1}
svg .row{fill:#f6f8fa}svg .count{fill:#57606a}
.legend{margin:2px 0 4px;color:#1f2328}.legend span{margin-right:18px;white-space:nowrap}
.sw{display:inline-block;width:12px;height:12px;vertical-align:-1px;margin-right:4px}
.sw.automated{background:#3b6ea8}.sw.human{background:#e07b22}
.mk.warning{color:#c98a12}.mk.critical{color:#d92d20}
svg .baseline{fill:none;stroke:#6f42c1;stroke-width:2.5;stroke-linejoin:round}
svg .fanout-max{fill:#2a9d8f}svg .fanout-mean{fill:none;stroke:#0e3b35;stroke-width:1.5}
.sw.baseline{background:#6f42c1;height:3px;vertical-align:3px}.sw.fanout-max{background:#2a9d8f}
.sw.fanout-mean{background:#0e3b35;height:2px;vertical-align:3px}
table.episodes{width:100%;table-layout:fixed}table.episodes td{font-size:13px;overflow-wrap:anywhere}
table.episodes td.nw{white-space:nowrap}
footer{margin-top:32px;color:#57606a;font-size:12px}
"""


def _e(value: Any) -> str:
    """``value`` as HTML text or attribute value: everything escaped, quotes included."""
    return html.escape("" if value is None else str(value), quote=True)


def _iso(ts: float) -> str:
    """Unix seconds to ISO 8601 UTC, whole seconds (``2017-08-24T10:00:00Z``)."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _duration(seconds: float) -> str:
    """``3 d 04:05:06`` or ``04:05:06``."""
    s = int(round(max(0.0, seconds)))
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return (f"{d} d " if d else "") + f"{h:02d}:{m:02d}:{s:02d}"


def _width_name(seconds: int) -> str:
    """``5-minute``, ``1-hour``, ``90-second``: a bucket width as an adjective."""
    if seconds % 3600 == 0:
        return f"{seconds // 3600}-hour"
    if seconds % 60 == 0:
        return f"{seconds // 60}-minute"
    return f"{seconds}-second"


def _nice_top(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... at least ``value`` (the top of a count axis)."""
    mag = 1
    while True:
        for m in (1, 2, 5):
            if m * mag >= value:
                return m * mag
        mag *= 10


class _Series:
    """One tracked key's events: total, automated ones, per-bucket counts, and since when it is counted."""

    __slots__ = ("count", "auto", "buckets", "since")

    def __init__(self, since: float | None) -> None:
        self.count = 0
        self.auto = 0
        self.buckets: dict[int, int] = {}
        self.since = since  # None: counted from the first event of the stream; else from this event time


class _Pair:
    """One (sender, template) pair's messages per bucket, with the detectors' baseline and fan-out.

    ``buckets`` maps a bucket index to ``[messages, expected messages, detector buckets
    seen, max unrelated, sum of unrelated]``: the expectation of each detector bucket met
    is added once, for the share of it that lies in the report bucket.
    """

    __slots__ = ("count", "auto", "recent", "buckets", "last", "since")

    def __init__(self, since: float | None) -> None:
        self.count = 0
        self.auto = 0
        self.recent = 0  # messages since the table was last full (the "rising" rank)
        self.buckets: dict[int, list] = {}
        self.last: tuple[int, int] | None = None  # (report bucket, detector bucket) of the last expectation
        self.since = since


class ReplayReport:
    """Collects what a replay did and renders it as one self-contained HTML page.

    Feed it with :meth:`event` for every processed (non-duplicate) event, :meth:`alert`
    for every alert and :meth:`episode_end` for every episode that ended, in stream order
    (what :meth:`detectors.pipeline.Sentinel.process_one` returns, in that order), then
    call :meth:`render`.

    **The baseline of an alerting (sender, template) pair.** Each event brings the
    detectors' ``Outcome.volume``, ``(observed, expected)``: ``expected`` is what the
    template-spike detector learned to expect for the event's template in the
    *detector's* current bucket (``SentinelConfig.bucket_seconds``, set here by
    :meth:`use_detector_bucket`; the same for every message of that bucket). The
    report's bucket has another width ``W``, so the expected count of a report bucket is
    the sum, over the detector buckets that had a message of the pair in it, of their
    ``expected`` times the share of the detector bucket inside the report bucket: when
    the pair sent in every detector bucket, that is their mean ``expected`` times
    ``W / bucket_seconds`` (and, for a report bucket narrower than the detector's,
    ``expected`` spread evenly over the detector bucket). It is an approximation in two
    ways: a detector bucket without a message of the pair counts for nothing (the
    detector learns only the buckets a template sends in, so a sparse template's
    expectation holds for those), and a detector bucket that straddles two report
    buckets is counted, in each, only for its share and only if the pair sent in that
    part. A report bucket without a message has no baseline (a gap in the line). It
    is 0 until the detector has learned the template (its first buckets).

    Memory is bounded whatever the input, in one pass (standard input cannot be
    read twice):

    * the volume timeline keeps one count per time bucket, for at most
      ``max_buckets`` buckets: the width starts at one second and, whenever the
      stream's span needs more buckets, moves up :data:`BUCKET_WIDTHS` (the finer
      counts are added up into the coarser ones, exactly), so the final width is the
      finest that shows the whole span in at most ``max_buckets`` buckets;
    * per sender (and per sender and template) counts are kept for at most
      ``2 * max_senders`` keys: when the table is full, all but the ``max_senders``
      busiest are dropped (ties by name). A key tracked again after it was dropped
      (a fixed-size Bloom filter remembers the dropped keys) is counted from its next
      event on: its chart shows that time and its counts are lower bounds (``>=``).
      The busiest senders, the ones charted, are tracked from the start unless the
      stream has very many senders of similar volume. Up to ``max_pinned`` senders
      that raised an alert are never dropped;
    * the first ``max_alerts`` alerts are kept in full (table and one marker each);
      the ones after are only counted per bucket, detector and severity (one
      marker per such group, with its count);
    * messages, baseline and fan-out per bucket are kept for at most ``2 * max_pairs``
      (sender, template) pairs (and, for the accounts' mail sent as a person, per
      sender: the pair of a ``recipient_novelty`` alert, which names no template). When
      the table is full, it keeps the ``max_pairs // 2`` busiest pairs since tracked,
      then the busiest since it was last full (a template that just started at volume)
      up to ``max_pairs`` in all, and every pair that raised an alert; a pair tracked
      again is counted from its return, as the senders are. The first ``max_charted``
      pairs that raise an alert are charted (never dropped); the others are counted;
    * the first ``max_episodes`` episodes are listed; alerts of later episodes are
      counted.

    **Episodes** are grouped as the detectors open them
    (:class:`detectors.episodes.Episodes`) and as the live gauge
    (``mailflow_active_alert``) shows them: by (detector, sender, template). An alert
    for a key with an open episode of lower severity is its escalation (a warning that
    becomes a page: one episode); an open episode never alerts again at its severity,
    so such an alert starts a new one; an episode ends when the detectors say so
    (:meth:`episode_end`, the ``Outcome.ended`` of the sender's next event after the
    quiet period).

    Parameters
    ----------
    max_alerts
        Alerts kept in full (table rows and individual markers).
    max_senders
        Senders (and sender-template pairs) surely kept after a drop; the table
        holds up to twice as many.
    max_buckets
        Most buckets of a timeline (the chosen width gives at least a seventh of
        this for spans from ``max_buckets`` seconds to ``max_buckets`` four-week periods).
    top_senders
        Senders charted by volume.
    max_pinned
        Alerting senders never dropped from the tracking (and charted when not
        among the top by volume: at most four of them).
    max_pairs
        (Sender, template) pairs surely kept, with their series, after a drop; the
        table holds up to twice as many (plus the charted ones).
    max_charted
        Alerting (sender, template) pairs charted against their baseline.
    max_episodes
        Episodes listed.
    detector_bucket_seconds
        The detectors' volume bucket (``SentinelConfig.bucket_seconds``);
        :func:`~detectors.cli.replay.replay` sets it from its sentinel.

    Examples
    --------
    >>> r = ReplayReport()
    >>> for i in range(3):
    ...     r.event(1503568800.0 + 600 * i, "care@example.com", "shipping", "automated")
    >>> page = r.render({"events": 3, "processed": 3, "duplicates": 0, "rejected": {}}, source="ev.jsonl")
    >>> page.startswith("<!DOCTYPE html>"), r.bucket_seconds
    (True, 5)
    """

    def __init__(self, *, max_alerts: int = 1000, max_senders: int = 256, max_buckets: int = 300,
                 top_senders: int = 8, max_pinned: int = 16, max_pairs: int = 32, max_charted: int = 12,
                 max_episodes: int = 1000, detector_bucket_seconds: int = 300) -> None:
        if (max_alerts < 0 or max_senders < 1 or max_buckets < 10 or top_senders < 0 or max_pinned < 0
                or max_pairs < 2 or max_charted < 0 or max_episodes < 0):
            raise ValueError("max_alerts >= 0, max_senders >= 1, max_buckets >= 10, top_senders >= 0, "
                             "max_pinned >= 0, max_pairs >= 2, max_charted >= 0, max_episodes >= 0")
        self._max_alerts = max_alerts
        self._max_senders = max_senders
        self._max_buckets = max_buckets
        self._top = top_senders
        self._max_pinned = max_pinned
        self._level = 0
        self._width = BUCKET_WIDTHS[0]
        self._lo, self._hi = 1 << 62, -1  # bucket indexes (ts // width) of the earliest and latest event
        self._first, self._last = float("inf"), float("-inf")  # earliest and latest event times
        self._n = 0
        self._total: dict[int, int] = {}
        self._auto: dict[int, int] = {}
        self._senders: dict[str, _Series] = {}
        # "sender\x00template" (no address holds a NUL) -> events; since when, for the keys tracked again
        self._templates: dict[str, int] = {}
        self._template_since: dict[str, float] = {}
        # keys dropped from the tracking at least once (false positives only: a ">=" too many)
        self._dropped_senders = _Bloom()
        self._dropped_templates = _Bloom()
        self._pinned: dict[str, None] = {}
        self._alerts: list[tuple] = []  # (ts, detector, severity, sender, template, score, summary, alert_id)
        self._overflow: dict[tuple[int, str, str], int] = {}  # (bucket, detector, severity) -> alerts
        self._alert_counts: dict[tuple[str, str], int] = {}
        # "sender\x00template" (or "sender\x00": a person's mail, for alerts without template) -> series
        self._max_pairs = max_pairs
        self._max_charted = max_charted
        self._pairs: dict[str, _Pair] = {}
        self._dropped_pairs = _Bloom()
        self._charted: dict[str, None] = {}  # the alerting pairs charted, in the order they first alerted
        self._uncharted: dict[str, None] = {}  # other alerting pairs (counted; up to 10,000 remembered)
        self._uncharted_alerts = 0
        self._det_bucket = 300
        self.use_detector_bucket(detector_bucket_seconds)
        self._max_episodes = max_episodes
        # [detector, sender, template, first ts, first page ts, last ts, alerts, max score, latest summary,
        #  highest rank, state]; state: None open, float the last trigger of an ended one, "" ended unseen
        self._episodes: list[list] = []
        self._open: dict[tuple[str, str, str | None], int] = {}  # episode key -> index in _episodes (open)
        self._unlisted = 0  # alerts of episodes beyond max_episodes

    # -- collecting ----------------------------------------------------------------------
    @property
    def bucket_seconds(self) -> int:
        """The current width of the timeline's buckets (seconds)."""
        return self._width

    def use_detector_bucket(self, seconds: int) -> None:
        """The detectors' volume bucket (seconds): the width their ``expected`` counts are for."""
        if int(seconds) < 1:
            raise ValueError("detector bucket seconds >= 1")
        self._det_bucket = int(seconds)

    def event(self, ts: float, sender: str, template: str, kind: str,
              volume: tuple[float, float] | None = None, unrelated: int = 0) -> None:
        """Count one processed event: event time (Unix seconds), sender, template key, sender kind,
        and what the detectors saw: ``Outcome.volume`` (``(observed, expected)`` in the detector's
        bucket, or None) and ``Outcome.unrelated`` (unrelated external recipients visible to each
        other)."""
        b = int(ts // self._width)
        if b < self._lo or b > self._hi:
            b = self._extend(ts, b)
        if ts < self._first:
            self._first = ts
        if ts > self._last:
            self._last = ts
        self._n += 1
        total = self._total
        total[b] = total.get(b, 0) + 1
        auto = kind == "automated"
        if auto:
            a = self._auto
            a[b] = a.get(b, 0) + 1
        s = self._senders.get(sender)
        if s is None:
            s = self._admit(self._senders, sender, ts)
        s.count += 1
        sb = s.buckets
        sb[b] = sb.get(b, 0) + 1
        if auto:
            s.auto += 1
        key = f"{sender}\x00{template}"
        templates = self._templates
        n = templates.get(key)
        if n is None:
            n = self._admit_template(key, ts)
        templates[key] = n + 1
        pairs = self._pairs
        p = pairs.get(key)
        if p is None:
            p = self._admit_pair(key, ts)
        self._count_pair(p, b, ts, auto, volume, unrelated)
        if not auto:  # a person's mail, whatever the subject: the pair of a recipient_novelty alert
            key = sender + "\x00"
            p = pairs.get(key)
            if p is None:
                p = self._admit_pair(key, ts)
            self._count_pair(p, b, ts, auto, None, unrelated)

    def _count_pair(self, p: _Pair, b: int, ts: float, auto: bool, volume: tuple[float, float] | None,
                    unrelated: int) -> None:
        p.count += 1
        p.recent += 1
        if auto:
            p.auto += 1
        row = p.buckets.get(b)
        if row is None:
            row = p.buckets[b] = [0, 0.0, 0, 0, 0]
        row[0] += 1
        if volume is not None:
            bs = self._det_bucket
            db = int(ts // bs)
            cell = (b, db)
            if cell != p.last:  # one expectation per detector bucket (all its messages have the same)
                p.last = cell
                w = self._width
                share = min((b + 1) * w, (db + 1) * bs) - max(b * w, db * bs)
                row[1] += volume[1] * share / bs  # (> 0: the message is in both buckets)
                row[2] += 1
        if unrelated > row[3]:
            row[3] = unrelated
        row[4] += unrelated

    def alert(self, alert) -> None:
        """Record one alert (a :class:`detectors.alerts.Alert`), after the :meth:`event` that raised it."""
        self._episode_alert(alert)
        key = f"{alert.sender}\x00{alert.template if alert.template is not None else ''}"
        if key in self._charted:
            pass
        elif len(self._charted) < self._max_charted:
            self._charted[key] = None
            if key not in self._pairs:  # (dropped in between: an escalation naming an earlier template)
                self._pairs[key] = _Pair(alert.ts)
        else:
            self._uncharted_alerts += 1
            if len(self._uncharted) < 10_000:
                self._uncharted[key] = None
        k = (alert.detector, alert.severity)
        self._alert_counts[k] = self._alert_counts.get(k, 0) + 1
        if alert.sender not in self._pinned and len(self._pinned) < self._max_pinned:
            self._pinned[alert.sender] = None
        if len(self._alerts) < self._max_alerts:
            self._alerts.append((alert.ts, alert.detector, alert.severity, alert.sender, alert.template,
                                 alert.score, alert.summary, alert.alert_id))
        else:
            ok = (int(alert.ts // self._width), alert.detector, alert.severity)
            self._overflow[ok] = self._overflow.get(ok, 0) + 1

    def episode_end(self, end) -> None:
        """An episode the detectors closed (a :class:`detectors.episodes.EpisodeEnd`)."""
        key = (end.detector, end.sender, end.template)
        i = self._open.get(key)
        if i is not None and self._episodes[i][3] == end.started_ts:
            self._episodes[i][10] = end.last_ts
            del self._open[key]

    def _episode_alert(self, a) -> None:
        key = (a.detector, a.sender, a.template)
        rank = SEVERITY_RANK.get(a.severity, 0)
        i = self._open.get(key)
        if i is not None:
            ep = self._episodes[i]
            if rank > ep[9]:  # the episode escalated (a warning that became a page)
                ep[9] = rank
                if a.severity == "critical" and ep[4] is None:
                    ep[4] = a.ts
                ep[5] = a.ts
                ep[6] += 1
                ep[7] = max(ep[7], a.score)
                ep[8] = a.summary
                return
            ep[10] = ""  # an open episode never alerts again at its severity: it ended unseen
            del self._open[key]
        if len(self._episodes) >= self._max_episodes:
            self._unlisted += 1
            return
        self._open[key] = len(self._episodes)
        self._episodes.append([a.detector, a.sender, a.template, a.ts, a.ts if a.severity == "critical" else None,
                               a.ts, 1, a.score, a.summary, rank, None])

    def _admit(self, table: dict, key: str, ts: float) -> _Series:
        """Track sender ``key`` from event time ``ts`` on (dropping the least busy ones if full)."""
        dropped = self._dropped_senders
        if len(table) >= 2 * self._max_senders:
            ranked = sorted(table.items(), key=lambda kv: (-kv[1].count, kv[0]))
            keep = dict(ranked[: self._max_senders])
            keep.update((k, v) for k, v in ranked[self._max_senders:] if k in self._pinned)
            for k in table:
                if k not in keep:
                    dropped.add(k)
            table.clear()
            table.update(keep)
        s = table[key] = _Series(ts if dropped.n and key in dropped else None)
        return s

    def _admit_template(self, key: str, ts: float) -> int:
        """Track a "sender\x00template" key from ``ts`` on, as :meth:`_admit`; its count so far (0)."""
        table, since, dropped = self._templates, self._template_since, self._dropped_templates
        if len(table) >= 2 * self._max_senders:
            ranked = sorted(table.items(), key=lambda kv: (-kv[1], kv[0]))
            for k, _ in ranked[self._max_senders:]:
                dropped.add(k)
                del table[k]
                since.pop(k, None)
        if dropped.n and key in dropped:
            since[key] = ts
        return 0

    def _admit_pair(self, key: str, ts: float) -> _Pair:
        """Track the pair ``key`` from ``ts`` on (making room first if the table is full)."""
        table, dropped = self._pairs, self._dropped_pairs
        if len(table) >= 2 * self._max_pairs + len(self._charted):
            keep = dict.fromkeys(sorted(table, key=lambda k: (-table[k].count, k))[: self._max_pairs // 2])
            for k in sorted(table, key=lambda k: (-table[k].recent, -table[k].count, k)):
                if len(keep) >= self._max_pairs:
                    break
                keep[k] = None
            keep.update(self._charted)
            for k in [k for k in table if k not in keep]:
                dropped.add(k)
                del table[k]
            for p in table.values():
                p.recent = 0
        p = table[key] = _Pair(ts if dropped.n and key in dropped else None)
        return p

    def _extend(self, ts: float, b: int) -> int:
        """The span grew to bucket ``b``: coarsen the buckets if it no longer fits; ``ts``'s bucket."""
        lo, hi = min(self._lo, b), max(self._hi, b)
        level, width = self._level, self._width
        while hi - lo + 1 > self._max_buckets and level + 1 < len(BUCKET_WIDTHS):
            level += 1
            f = BUCKET_WIDTHS[level] // width
            width = BUCKET_WIDTHS[level]
            lo, hi = lo // f, hi // f
        if level != self._level:
            f = width // self._width
            self._total = _coarsen(self._total, f)
            self._auto = _coarsen(self._auto, f)
            for s in self._senders.values():
                s.buckets = _coarsen(s.buckets, f)
            self._overflow = _coarsen(self._overflow, f)
            for p in self._pairs.values():
                p.buckets = _coarsen_rows(p.buckets, f)
                if p.last is not None:
                    p.last = (p.last[0] // f, p.last[1])
            self._level, self._width = level, width
            b = int(ts // width)
        self._lo, self._hi = lo, hi
        return b

    def timeline(self) -> list[tuple[int, int, int]]:
        """The volume timeline as charted: ``(bucket start, events, automated events)`` for every
        bucket from the earliest event's to the latest's (Unix seconds; empty before any event)."""
        if not self._n:
            return []
        w, total, auto = self._width, self._total, self._auto
        return [(b * w, total.get(b, 0), auto.get(b, 0)) for b in range(self._lo, self._hi + 1)]

    def pair_series(self, sender: str, template: str | None) -> list[tuple[int, int, float | None, int, float]]:
        """A tracked pair as charted: ``(bucket start, messages, expected messages, max unrelated,
        mean unrelated)`` for every bucket of the timeline (expected None: no message there to
        carry the baseline); ``template`` None: the sender's mail sent as a person. Empty when
        the pair is not tracked."""
        p = self._pairs.get(f"{sender}\x00{template if template is not None else ''}")
        if p is None or not self._n:
            return []
        w = self._width
        out = []
        for b in range(self._lo, self._hi + 1):
            row = p.buckets.get(b)
            if row is None:
                out.append((b * w, 0, None, 0, 0.0))
            else:
                out.append((b * w, row[0], row[1] if row[2] else None, row[3], row[4] / row[0]))
        return out

    # -- rendering -----------------------------------------------------------------------
    def render(self, stats: dict, source: str = "-") -> str:
        """The report page.

        Parameters
        ----------
        stats
            What :func:`~detectors.cli.replay.replay` returned: ``events``,
            ``processed``, ``duplicates``, ``rejected`` (reason -> count).
        source
            The input file name as given (``-``: standard input).

        Returns
        -------
        str
            A complete HTML document.
        """
        name = "standard input" if source == "-" else source
        parts = ["<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
                 f"<title>mailflow replay report: {_e(name)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n",
                 f"<h1>mailflow replay report</h1>\n<p class=\"lead\">Input: <code>{_e(name)}</code></p>\n"]
        parts.append(self._summary(stats))
        if not self._n:
            parts.append("<h2>Volume</h2>\n<p class=\"note\">No event was processed: nothing to chart.</p>\n")
        else:
            parts.append(self._volume_section())
            parts.append(self._detector_section())
            parts.append(self._templates_section())
        parts.append(self._episode_table())
        parts.append(self._alert_table())
        parts.append("<footer>Written by <code>mailflow replay --report</code>. It holds sender addresses, "
                     "template keys and alert summaries, never a recipient address, a subject or a body "
                     "(docs/report.md).</footer>\n</body>\n</html>\n")
        return "".join(parts)

    def _summary(self, stats: dict) -> str:
        rejected = stats.get("rejected") or {}
        n_rej = sum(rejected.values())
        rows = [("Events read", f"{stats.get('events', 0):,}"),
                ("Processed", f"{stats.get('processed', 0):,}"),
                ("Duplicates (re-deliveries, skipped)", f"{stats.get('duplicates', 0):,}"),
                ("Rejected", f"{n_rej:,}" + (" (" + ", ".join(f"{_e(k)}: {v:,}" for k, v in sorted(rejected.items()))
                                              + ")" if rejected else ""))]
        if self._n:
            rows += [("Earliest event (UTC)", rfc3339(self._first)), ("Latest event (UTC)", rfc3339(self._last)),
                     ("Span", _duration(self._last - self._first)),
                     ("Timeline bucket", f"{_WIDTH_NAMES[self._width]} ({self._hi - self._lo + 1:,} buckets)")]
        out = ["<h2>Summary</h2>\n<div class=\"side\"><div>\n<table class=\"summary\">\n"]
        out += [f"<tr><th>{k}</th><td>{v}</td></tr>\n" for k, v in rows]
        out.append("</table>\n</div><div>\n<h3>Alerts by detector and severity</h3>\n<table class=\"alert-counts\">\n"
                   "<tr><th>detector</th>" + "".join(f"<th class=\"num\">{s}</th>" for s in SEVERITIES)
                   + "<th class=\"num\">total</th></tr>\n")
        detectors = list(DETECTORS) + sorted({d for d, _ in self._alert_counts} - set(DETECTORS))
        grand = 0
        for d in detectors:
            counts = [self._alert_counts.get((d, s), 0) for s in SEVERITIES]
            grand += sum(counts)
            out.append(f"<tr><td>{_e(d)}</td>" + "".join(f"<td class=\"num\">{c:,}</td>" for c in counts)
                       + f"<td class=\"num\">{sum(counts):,}</td></tr>\n")
        totals = [sum(v for (_, s), v in self._alert_counts.items() if s == sev) for sev in SEVERITIES]
        out.append("<tr><th>all detectors</th>" + "".join(f"<th class=\"num\">{c:,}</th>" for c in totals)
                   + f"<th class=\"num\">{grand:,}</th></tr>\n</table>\n</div></div>\n")
        return "".join(out)

    # the time axis shared by every chart
    def _domain(self) -> tuple[float, float]:
        return self._lo * self._width, (self._hi + 1) * self._width

    def _x(self, t: float) -> float:
        t0, t1 = self._domain()
        return _LEFT + min(max((t - t0) / (t1 - t0), 0.0), 1.0) * _PW

    def _time_axis(self, y: float, grid_top: float) -> str:
        """Tick marks, grid lines up to ``grid_top`` and two-line UTC labels below ``y``."""
        t0, t1 = self._domain()
        step = next((s for s in _TICK_STEPS if (t1 - t0) / s <= _MAX_TICKS), _TICK_STEPS[-1])
        first = -(-int(t0) // step) * step
        out = [f"<line class=\"axis\" x1=\"{_LEFT}\" y1=\"{y:.1f}\" x2=\"{_LEFT + _PW}\" y2=\"{y:.1f}\"/>"]
        prev_day = None
        t = first
        while t <= t1:
            x = self._x(t)
            dt = datetime.fromtimestamp(t, tz=timezone.utc)
            day = dt.strftime("%Y-%m-%d")
            out.append(f"<line class=\"grid\" x1=\"{x:.1f}\" y1=\"{grid_top:.1f}\" x2=\"{x:.1f}\" y2=\"{y:.1f}\"/>"
                       f"<line class=\"axis\" x1=\"{x:.1f}\" y1=\"{y:.1f}\" x2=\"{x:.1f}\" y2=\"{y + 4:.1f}\"/>")
            if step >= 86400:
                lines = [day]
            else:
                lines = [dt.strftime("%H:%M:%S" if step < 60 else "%H:%M")]
                if day != prev_day:
                    lines.append(day)
            prev_day = day
            # a label at the right-hand edge ends there instead of being cut off
            tx, anchor = (f"{_W - 1}", "end") if x + 34 > _W else (f"{x:.1f}", "middle")
            for i, text in enumerate(lines):
                out.append(f"<text x=\"{tx}\" y=\"{y + 16 + 13 * i:.1f}\" text-anchor=\"{anchor}\">{text}</text>")
            t += step
        out.append(f"<text x=\"{_LEFT - 50}\" y=\"{y + 16:.1f}\" text-anchor=\"end\">time (UTC)</text>")
        return "".join(out)

    def _count_axis(self, top: int, y0: float, ph: float, label: str) -> str:
        out = []
        for v in ((0, top // 2, top) if top % 2 == 0 else (0, top)):  # whole counts only
            y = y0 - v / top * ph
            out.append(f"<line class=\"grid\" x1=\"{_LEFT}\" y1=\"{y:.1f}\" x2=\"{_LEFT + _PW}\" y2=\"{y:.1f}\"/>"
                       f"<text x=\"{_LEFT - 6}\" y=\"{y + 4:.1f}\" text-anchor=\"end\">{v:,}</text>")
        out.append(f"<line class=\"axis\" x1=\"{_LEFT}\" y1=\"{y0 - ph:.1f}\" x2=\"{_LEFT}\" y2=\"{y0:.1f}\"/>")
        cy = y0 - ph / 2
        out.append(f"<text x=\"{_LEFT - 52}\" y=\"{cy:.1f}\" text-anchor=\"middle\" "
                   f"transform=\"rotate(-90 {_LEFT - 52} {cy:.1f})\">{_e(label)}</text>")
        return "".join(out)

    def _bars(self, buckets: dict[int, int], base: dict[int, int] | None, top: int, y0: float, ph: float,
              cls: str) -> str:
        """One path of columns: ``buckets`` stacked on ``base`` (or from the axis)."""
        bw = _PW / (self._hi - self._lo + 1)
        w = bw * 0.85 if bw >= 3 else bw
        d = []
        for b in sorted(buckets):
            c = buckets[b]
            if c <= 0:
                continue
            under = base.get(b, 0) if base is not None else 0
            x = _LEFT + (b - self._lo) * bw
            y = y0 - (under + c) / top * ph
            h = c / top * ph
            d.append(f"M{x:.2f} {y:.2f}h{w:.2f}v{h:.2f}h{-w:.2f}z")
        if not d:
            return ""
        return f"<path class=\"bars {cls}\" d=\"{''.join(d)}\"/>"

    def _markers(self, alerts: Iterable[tuple], y_base: float, y_bottom: float, size: float,
                 overflow: dict | None = None, stack: int = 4) -> str:
        """One marker per alert above ``y_base`` (stacked when they meet), with a guide line down to
        ``y_bottom``; then one marker per (bucket, detector, severity) group of ``overflow``."""
        out = []
        levels: dict[int, int] = {}
        cell = 2 * size + 2
        items = [(self._x(a[0]), a[2], a[1], _alert_title(a)) for a in alerts]
        if overflow:
            for (b, det, sev), n in sorted(overflow.items()):
                t = (b + 0.5) * self._width
                items.append((self._x(t), sev, det, f"{n:,} more {_e(det)} {_e(sev)} alert(s) in the bucket "
                                                     f"from {_iso(b * self._width)} (not listed one by one)"))
        for x, sev, det, title in items:
            col = int(x // cell)
            lv = min(levels.get(col, 0), stack - 1)
            levels[col] = lv + 1
            y = y_base - lv * cell
            if y_bottom > y_base:
                out.append(f"<line class=\"guide {_e(sev)}\" x1=\"{x:.1f}\" y1=\"{y_base + size:.1f}\" "
                           f"x2=\"{x:.1f}\" y2=\"{y_bottom:.1f}\"/>")
            out.append(f"<g class=\"alert-marker {_e(sev)}\" data-detector=\"{_e(det)}\" data-severity=\"{_e(sev)}\">"
                       f"<title>{title}</title><path d=\"{_shape(sev, x, y, size)}\"/></g>")
        return "".join(out)

    def _step_line(self, values: dict[int, float], top: float, y0: float, ph: float, cls: str) -> str:
        """One path of horizontal steps, one per bucket of ``values``, joined where buckets are
        adjacent (a gap where a bucket has no value)."""
        bw = _PW / (self._hi - self._lo + 1)
        d = []
        prev = None
        for b in sorted(values):
            x = _LEFT + (b - self._lo) * bw
            y = y0 - min(values[b] / top, 1.0) * ph
            d.append(f"V{y:.2f}h{bw:.2f}" if prev == b - 1 else f"M{x:.2f} {y:.2f}h{bw:.2f}")
            prev = b
        if not d:
            return ""
        return f"<path class=\"{cls}\" d=\"{''.join(d)}\"/>"

    def _volume_chart(self, svg_id: str, title: str, series: list[tuple[dict, str]], alerts: list[tuple],
                      overflow: dict | None, since: float | None, height: int,
                      baseline: dict[int, float] | None = None, unit: str = "events", cls: str = "volume") -> str:
        top_margin, bottom = (58 if alerts or overflow else 18), 50  # room for stacked markers only if any
        height -= 58 - top_margin
        ph = height - top_margin - bottom
        y0 = top_margin + ph
        stacked: dict[int, int] = {}
        for buckets, _ in series:
            for b, c in buckets.items():
                stacked[b] = stacked.get(b, 0) + c
        top = _nice_top(max(max(stacked.values(), default=1), math.ceil(max(baseline.values(), default=0))
                            if baseline else 0))
        out = [f"<svg id=\"{svg_id}\" class=\"chart {cls}\" viewBox=\"0 0 {_W} {height}\" role=\"img\">"
               f"<title>{title}</title>"]
        if since is not None:
            xs = self._x(since)
            out.append(f"<rect class=\"untracked\" x=\"{_LEFT}\" y=\"{top_margin}\" width=\"{xs - _LEFT:.1f}\" "
                       f"height=\"{ph}\"/><text x=\"{_LEFT + 4}\" y=\"{top_margin + 14}\">not tracked before "
                       f"{_iso(since)}</text>")
        out.append(self._count_axis(top, y0, ph, f"{unit} / {_SHORT_NAMES[self._width]}"))
        base: dict[int, int] = {}
        for buckets, kind in series:
            out.append(self._bars(buckets, base, top, y0, ph, kind))
            base = {b: base.get(b, 0) + buckets.get(b, 0) for b in base.keys() | buckets.keys()}
        if baseline:
            out.append(self._step_line(baseline, top, y0, ph, "baseline"))
        out.append(self._time_axis(y0, top_margin))
        out.append(self._markers(alerts, top_margin - 10, y0, 5.5, overflow, stack=4))
        out.append("</svg>\n")
        return "".join(out)

    def _volume_section(self) -> str:
        width = _WIDTH_NAMES[self._width]
        human = {b: c - self._auto.get(b, 0) for b, c in self._total.items() if c - self._auto.get(b, 0) > 0}
        n_alerts = len(self._alerts) + sum(self._overflow.values())
        legend = ("<p class=\"legend\"><span><i class=\"sw automated\"></i>automated senders</span>"
                  "<span><i class=\"sw human\"></i>human senders</span>"
                  "<span><b class=\"mk warning\">\u25b2</b> warning alert</span>"
                  "<span><b class=\"mk critical\">\u25c6</b> critical alert</span>"
                  "<span>(hover a marker for the alert)</span></p>\n")
        out = ["<h2>Volume</h2>\n",
               f"<p class=\"note\">Processed events per {width} (UTC), all senders; {n_alerts:,} alert(s) marked at "
               "their event time.</p>\n", legend,
               self._volume_chart("volume-all", f"Events per {width}, all senders",
                                  [(self._auto, "automated"), (human, "human")], self._alerts, self._overflow,
                                  None, 300),
               self._pairs_section()]
        ranked = sorted(self._senders.items(), key=lambda kv: (-kv[1].count, kv[0]))
        top = ranked[: self._top]
        shown = {k for k, _ in top}
        per_sender: dict[str, list[int]] = {}  # sender -> [critical, warning] alerts listed
        for a in self._alerts:
            per_sender.setdefault(a[3], [0, 0])[0 if a[2] == "critical" else 1] += 1
        extra = sorted((s for s in per_sender if s not in shown and s in self._senders),
                       key=lambda s: (-per_sender[s][0], -per_sender[s][1], s))[:4]
        if top:
            out.append(f"<h2>Top senders by volume</h2>\n<p class=\"note\">The {len(top)} busiest sender(s), "
                       f"events per {width}; markers: that sender's alerts.</p>\n")
            for i, (sender, s) in enumerate(top):
                out.append(self._sender_panel(f"sender-{i + 1}", sender, s))
        if extra:
            out.append("<h2>Other senders that raised alerts</h2>\n")
            for i, sender in enumerate(extra):
                out.append(self._sender_panel(f"alerting-sender-{i + 1}", sender, self._senders[sender]))
        return "".join(out)

    def _sender_panel(self, svg_id: str, sender: str, s: _Series) -> str:
        kind = "automated" if 2 * s.auto >= s.count else "human"
        share = 100.0 * s.count / self._n if self._n else 0.0
        ge = "\u2265 " if s.since is not None else ""
        since = f"; counted from {_iso(s.since)}" if s.since is not None else ""
        mine = [a for a in self._alerts if a[3] == sender]
        head = (f"<div class=\"sender-panel\" data-sender=\"{_e(sender)}\">\n<h3>{_e(sender)}</h3>\n"
                f"<p class=\"note\">{ge}{s.count:,} events ({share:.1f} % of all), mostly {kind}; "
                f"{len(mine):,} alert(s) listed{since}.</p>\n")
        return head + self._volume_chart(svg_id, f"Events per {_WIDTH_NAMES[self._width]} from {_e(sender)}",
                                         [(s.buckets, kind)], mine, None, s.since, 200) + "</div>\n"

    def _pair_alerts(self, key: str) -> list[tuple]:
        sender, _, template = key.partition("\x00")
        return [a for a in self._alerts if a[3] == sender and (a[4] if a[4] is not None else "") == template]

    def _pairs_section(self) -> str:
        width = _WIDTH_NAMES[self._width]
        out = ["<h2>Alerting accounts and templates</h2>\n"]
        if not self._charted:
            return out[0] + "<p class=\"note\">No (sender, template) pair raised an alert.</p>\n"
        out.append(f"<p class=\"note\">Each (sender, template) pair that raised an alert, in the order of its first "
                   f"alert: its messages per {width} and the baseline the detectors had learned for it (the line: "
                   f"their expectation per {_width_name(self._det_bucket)} bucket, added up over the ones in the "
                   f"{width} that had a message of the pair; a gap where it sent nothing). Under it, the fan-out: "
                   "unrelated external recipients who could see each other, per message (bars: the largest of the "
                   "bucket, line: the mean). Markers: the pair's alerts; a diamond is a page.</p>\n"
                   "<p class=\"legend\"><span><i class=\"sw automated\"></i><i class=\"sw human\"></i>messages"
                   "</span><span><i class=\"sw baseline\"></i>learned baseline</span>"
                   "<span><i class=\"sw fanout-max\"></i>largest fan-out</span>"
                   "<span><i class=\"sw fanout-mean\"></i>mean fan-out</span>"
                   "<span><b class=\"mk warning\">\u25b2</b> warning</span>"
                   "<span><b class=\"mk critical\">\u25c6</b> critical (page)</span></p>\n")
        for i, key in enumerate(self._charted, 1):
            out.append(self._pair_panel(i, key, self._pairs[key]))
        if self._uncharted:
            more = len(self._uncharted)
            ge = "\u2265 " if more >= 10_000 else ""
            out.append(f"<p class=\"note omitted\">{ge}{more:,} more alerting "
                       f"pair(s), with {self._uncharted_alerts:,} alert(s), not charted (the first "
                       f"{len(self._charted):,} are); their alerts are in the tables below.</p>\n")
        return "".join(out)

    def _pair_panel(self, i: int, key: str, p: _Pair) -> str:
        sender, _, template = key.partition("\x00")
        width = _WIDTH_NAMES[self._width]
        kind = "automated" if 2 * p.auto >= p.count else "human"
        mine = self._pair_alerts(key)
        pages = sum(a[2] == "critical" for a in mine)
        episodes = sum(1 for ep in self._episodes if ep[1] == sender and (ep[2] or "") == template)
        ge = "\u2265 " if p.since is not None else ""
        since = f"; counted from {_iso(p.since)}" if p.since is not None else ""
        what = (f"template <code>{_e(template)}</code>" if template
                else "mail sent as a person (every subject; no baseline: the detectors learn one per template)")
        head = (f"<div class=\"pair-panel\" data-sender=\"{_e(sender)}\" data-template=\"{_e(template)}\">\n"
                f"<h3>{_e(sender)} \u00b7 {_e(template) if template else 'as a person'}</h3>\n"
                f"<p class=\"note\">{what}: {ge}{p.count:,} message(s); {len(mine):,} alert(s) listed, "
                f"{pages:,} of them page(s), in {episodes:,} episode(s){since}.</p>\n")
        counts = {b: r[0] for b, r in p.buckets.items()}
        baseline = {b: r[1] for b, r in p.buckets.items() if r[2]} if template else None
        label = _e(template) if template else "mail sent as a person"
        vol = self._volume_chart(f"pair-{i}", f"Messages per {width} of {label} from {_e(sender)}"
                                 + (", against the learned baseline" if template else ""),
                                 [(counts, kind)], mine, None, p.since, 230, baseline, "messages", "volume pair")
        return head + vol + self._fanout_chart(f"pair-{i}-fanout", sender, label, p,
                                               [a for a in mine if a[1] == "fanout"]) + "</div>\n"

    def _fanout_chart(self, svg_id: str, sender: str, label: str, p: _Pair, alerts: list[tuple]) -> str:
        top_margin, bottom = (46 if alerts else 14), 50
        height = top_margin + 70 + bottom
        ph = height - top_margin - bottom
        y0 = top_margin + ph
        peak = {b: r[3] for b, r in p.buckets.items() if r[3] > 0}
        mean = {b: r[4] / r[0] for b, r in p.buckets.items()}
        top = _nice_top(max(max(peak.values(), default=1), 2))
        out = [f"<svg id=\"{svg_id}\" class=\"chart fanout\" viewBox=\"0 0 {_W} {height}\" role=\"img\">"
               f"<title>Unrelated external recipients per message of {label} from {_e(sender)}: the largest and "
               f"the mean per {_WIDTH_NAMES[self._width]}</title>"]
        if p.since is not None:
            xs = self._x(p.since)
            out.append(f"<rect class=\"untracked\" x=\"{_LEFT}\" y=\"{top_margin}\" width=\"{xs - _LEFT:.1f}\" "
                       f"height=\"{ph}\"/>")
        out.append(self._count_axis(top, y0, ph, "fan-out"))
        out.append(self._bars(peak, None, top, y0, ph, "fanout-max"))
        out.append(self._step_line(mean, top, y0, ph, "fanout-mean"))
        out.append(self._time_axis(y0, top_margin))
        out.append(self._markers(alerts, top_margin - 10, y0, 5.5, None, stack=3))
        out.append("</svg>\n")
        return "".join(out)

    def _detector_section(self) -> str:
        row_h, top_margin = 28, 10
        detectors = list(DETECTORS) + sorted({d for d, _ in self._alert_counts} - set(DETECTORS))
        height = top_margin + row_h * len(detectors) + 54
        y_axis = top_margin + row_h * len(detectors)
        out = ["<h2>Alerts by detector</h2>\n<p class=\"note\">One row per detector, one marker per alert at its "
               "event time; the count on the right.</p>\n"
               "<p class=\"legend\"><span><b class=\"mk warning\">\u25b2</b> warning</span>"
               "<span><b class=\"mk critical\">\u25c6</b> critical</span></p>\n",
               f"<svg id=\"alert-timeline\" class=\"chart detectors\" viewBox=\"0 0 {_W} {height}\" role=\"img\">"
               "<title>Alerts per detector over time</title>"]
        for i, d in enumerate(detectors):
            y = top_margin + i * row_h
            cy = y + row_h / 2
            n = sum(self._alert_counts.get((d, s), 0) for s in SEVERITIES)
            out.append(f"<g class=\"detector-row\" data-detector=\"{_e(d)}\">"
                       f"<rect class=\"row\" x=\"{_LEFT}\" y=\"{y + 2}\" width=\"{_PW}\" height=\"{row_h - 4}\"/>"
                       f"<text x=\"{_LEFT - 8}\" y=\"{cy + 4:.1f}\" text-anchor=\"end\">{_e(d)}</text>"
                       f"<text class=\"count\" x=\"{_W - 2}\" y=\"{cy + 4:.1f}\" text-anchor=\"end\">{n:,}</text>")
            out.append(self._markers([a for a in self._alerts if a[1] == d], cy, cy, 6.5,
                                     {k: v for k, v in self._overflow.items() if k[1] == d}, stack=1))
            out.append("</g>")
        out.append(self._time_axis(y_axis, top_margin))
        out.append("</svg>\n")
        return "".join(out)

    def _templates_section(self) -> str:
        ranked = sorted(self._templates.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        out = ["<h2>Top templates</h2>\n<p class=\"note\">The busiest (sender, template) pairs; the template is the "
               "event's <code>template_id</code> or the key the detectors derived for it.</p>\n"
               "<table class=\"templates\">\n<tr><th>sender</th><th>template</th><th class=\"num\">events</th>"
               "<th class=\"num\">share</th></tr>\n"]
        for key, n in ranked:
            sender, _, template = key.partition("\x00")
            ge = "\u2265 " if key in self._template_since else ""
            out.append(f"<tr><td>{_e(sender)}</td><td>{_e(template)}</td><td class=\"num\">{ge}{n:,}</td>"
                       f"<td class=\"num\">{100.0 * n / self._n:.1f} %</td></tr>\n")
        out.append("</table>\n")
        return "".join(out)

    def _episode_table(self) -> str:
        out = ["<h2>Episodes</h2>\n"]
        if not self._episodes and not self._unlisted:
            return out[0] + "<p class=\"note\">No alert episode.</p>\n"
        out.append(f"<p class=\"note\">{len(self._episodes):,} episode(s): the alerts grouped as the detectors "
                   "group them, by detector, sender and template; an alert that escalates an open episode (a "
                   "warning that becomes a page) is part of it, and an episode ends after the quiet period "
                   "without a trigger. In the order they started. <i>Ended</i>: the last trigger of an episode "
                   "the detectors closed, <i>open</i> if it was still open at the end of the file.</p>\n"
                   "<table class=\"episodes\">\n<colgroup>"
                   + "".join(f"<col style=\"width:{w}%\">" for w in (3, 10, 11, 9, 8, 9, 9, 9, 5, 6, 14, 7))
                   + "</colgroup>\n<tr><th class=\"num\">#</th><th>detector</th><th>sender</th><th>template</th>"
                   "<th>severity</th><th>first alert (UTC)</th><th>first page (UTC)</th><th>last alert (UTC)</th>"
                   "<th class=\"num\">alerts</th><th class=\"num\">max score</th><th>latest summary</th><th>ended</th>"
                   "</tr>\n")
        for i, ep in enumerate(self._episodes, 1):
            det, sender, template, first, page, last, n, score, text, rank, state = ep
            sev = "critical" if rank >= SEVERITY_RANK["critical"] else "warning"
            ended = "open" if state is None else "" if state == "" else rfc3339(state).replace("T", "T<wbr>")
            paged = rfc3339(page).replace("T", "T<wbr>") if page is not None else "\u2014"
            out.append(f"<tr class=\"episode {sev}\" data-state=\"{'open' if state is None else 'ended'}\">"
                       f"<td class=\"num\">{i}</td><td>{_e(det)}</td><td>{_e(sender)}</td>"
                       f"<td>{_e(template if template is not None else '')}</td>"
                       f"<td class=\"nw sev-{sev}\">{_SYMBOL[sev]} {sev}</td>"
                       f"<td>{rfc3339(first).replace('T', 'T<wbr>')}</td>"
                       f"<td>{paged}</td>"
                       f"<td>{rfc3339(last).replace('T', 'T<wbr>')}</td><td class=\"num\">{n:,}</td>"
                       f"<td class=\"num\">{score:.4f}</td><td class=\"summary\">{_e(text)}</td>"
                       f"<td>{ended}</td></tr>\n")
        out.append("</table>\n")
        if self._unlisted:
            out.append(f"<p class=\"note omitted\">{self._unlisted:,} more alert(s) of episodes not listed (the "
                       f"table keeps the first {len(self._episodes):,} episodes).</p>\n")
        return "".join(out)

    def _alert_table(self) -> str:
        n_all = sum(self._alert_counts.values())
        out = ["<h2>Alerts</h2>\n"]
        if not n_all:
            return out[0] + "<p class=\"note\">No alert.</p>\n"
        out.append(f"<p class=\"note\">{n_all:,} alert(s), in the order <code>mailflow replay</code> wrote them."
                   "</p>\n<table class=\"alerts\">\n<colgroup>"
                   + "".join(f"<col style=\"width:{w}%\">" for w in (3, 11, 12, 8, 16, 9, 6, 25, 10))
                   + "</colgroup>\n<tr><th class=\"num\">#</th><th>time (UTC)</th><th>detector</th>"
                   "<th>severity</th><th>sender</th><th>template</th><th class=\"num\">score</th><th>summary</th>"
                   "<th>alert id</th></tr>\n")
        for i, a in enumerate(self._alerts, 1):
            ts, det, sev, sender, template, score, summary, alert_id = a
            out.append(f"<tr class=\"alert {_e(sev)}\" data-alert-id=\"{_e(alert_id)}\"><td class=\"num\">{i}</td>"
                       f"<td>{rfc3339(ts).replace('T', 'T<wbr>')}</td><td>{_e(det)}</td>"
                       f"<td class=\"nw sev-{_e(sev)}\">{_SYMBOL.get(sev, '')} {_e(sev)}</td><td>{_e(sender)}</td>"
                       f"<td>{_e(template)}</td><td class=\"num\">{score:.4f}</td>"
                       f"<td class=\"summary\">{_e(summary)}</td><td><code>{_e(alert_id)}</code></td></tr>\n")
        out.append("</table>\n")
        left = n_all - len(self._alerts)
        if left:
            out.append(f"<p class=\"note omitted\">{left:,} more alert(s) not listed (the table keeps the first "
                       f"{len(self._alerts):,}; they are counted above and marked per bucket on the timelines)."
                       "</p>\n")
        return "".join(out)


class _Bloom:
    """A fixed-size Bloom filter of strings or tuples of strings (CRC-32 probes: the same on every run)."""

    __slots__ = ("_bits", "n")

    _BITS = 1 << 20  # 128 KiB; about 2 % false positives at 100,000 keys (4 probes)

    def __init__(self) -> None:
        self._bits = bytearray(self._BITS >> 3)
        self.n = 0  # keys added

    def _probes(self, key) -> tuple[int, int, int, int]:
        data = (key if key.__class__ is str else "\x00".join(key)).encode("utf-8", "surrogatepass")
        a, b = crc32(data), crc32(data, 0x9E3779B9) | 1
        m = self._BITS - 1
        return a & m, (a + b) & m, (a + 2 * b) & m, (a + 3 * b) & m

    def add(self, key) -> None:
        bits = self._bits
        for p in self._probes(key):
            bits[p >> 3] |= 1 << (p & 7)
        self.n += 1

    def __contains__(self, key) -> bool:
        bits = self._bits
        for p in self._probes(key):
            if not bits[p >> 3] >> (p & 7) & 1:
                return False
        return True


def _coarsen(buckets: dict, factor: int) -> dict:
    """Counts per bucket (or per (bucket, ...) key) added up into buckets ``factor`` times wider."""
    out: dict = {}
    for k, c in buckets.items():
        nk = k // factor if isinstance(k, int) else (k[0] // factor,) + k[1:]
        out[nk] = out.get(nk, 0) + c
    return out


def _coarsen_rows(buckets: dict[int, list], factor: int) -> dict[int, list]:
    """A pair's rows (see :class:`_Pair`) added up into buckets ``factor`` times wider."""
    out: dict[int, list] = {}
    for b in sorted(buckets):
        r = buckets[b]
        o = out.get(b // factor)
        if o is None:
            out[b // factor] = list(r)
        else:
            o[0] += r[0]
            o[1] += r[1]
            o[2] += r[2]
            o[3] = max(o[3], r[3])
            o[4] += r[4]
    return out


def _shape(severity: str, x: float, y: float, r: float) -> str:
    """SVG path of a marker centred on (x, y): a triangle for a warning, a diamond for a critical."""
    if severity == "critical":
        return f"M{x:.1f} {y - r:.1f}L{x + r:.1f} {y:.1f}L{x:.1f} {y + r:.1f}L{x - r:.1f} {y:.1f}z"
    return f"M{x:.1f} {y - r:.1f}L{x + r:.1f} {y + 0.8 * r:.1f}L{x - r:.1f} {y + 0.8 * r:.1f}z"


def _alert_title(a: tuple) -> str:
    ts, det, sev, sender, template, score, _summary, _id = a
    return _e(f"{rfc3339(ts)} {sev} {det}: {sender}, template {template}, score {score:.2f}")
