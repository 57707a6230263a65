"""Prometheus metrics of one streaming worker (see docs/design.md).

Every metric is created on the registry passed to :class:`Metrics`, so tests
use a fresh :class:`prometheus_client.CollectorRegistry`. Label values come
from fixed sets (reasons, detectors, severities, partitions) or from capped
sets (senders and templates: at most N each, the rest as ``"other"``; active
alerts: the N most severe). No label ever carries a recipient address, a
subject or a body; sender addresses can be hashed with a key (``--hash-sender-labels``,
:mod:`streams.labels`).

This module does not import Faust.
"""

from __future__ import annotations

import platform
import threading
from bisect import bisect_left
from dataclasses import dataclass
from importlib import metadata
from typing import Callable, Iterable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString

from detectors.alerts import DETECTORS, SEVERITIES, rfc3339
from detectors.episodes import SEVERITY_RANK
from detectors.events import REJECT_REASONS

__all__ = ["Metrics", "LabelCap", "ActiveAlerts", "AlertListener", "RecoveryProgress", "HistogramBatch", "BatchedHistogram", "OTHER"]

OTHER = "other"
_MAX_LABEL_LEN = 200

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0, float("inf"))
PROCESSING_BUCKETS = (1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.1, float("inf"))
SCORE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0, float("inf"))


def _clip(value: str | None) -> str:
    v = "" if value is None else str(value)
    return v if len(v) <= _MAX_LABEL_LEN else v[: _MAX_LABEL_LEN - 1] + "…"


class LabelCap:
    """Admit at most ``limit`` distinct label values; the rest map to ``"other"``.

    Admission is sticky (a counter's series must not move) and first come,
    first served among keys that reached ``min_count`` observations, so one-off
    senders do not take the slots of the heavy ones. Candidate counts are kept
    for at most ``4 * limit`` keys (space-saving style), so memory is bounded.
    """

    def __init__(self, limit: int, min_count: int = 1) -> None:
        self.limit = limit
        self.min_count = max(1, min_count)
        self.admitted: set[str] = set()
        self._candidates: dict[str, int] = {}

    def label(self, key: str, count: int = 1) -> str:
        if key in self.admitted:
            return key
        if len(self.admitted) >= self.limit:
            return OTHER
        c = self._candidates.get(key, 0) + count
        if c >= self.min_count:
            self._candidates.pop(key, None)
            self.admitted.add(key)
            return key
        if key not in self._candidates and len(self._candidates) >= 4 * max(1, self.limit):
            victim = min(self._candidates, key=self._candidates.__getitem__)
            c += self._candidates.pop(victim)  # space-saving: inherit the evicted count
        self._candidates[key] = c
        return OTHER


class _Series:
    """One series of a :class:`BatchedHistogram`: per-bucket counts (not cumulative) and the sum."""

    __slots__ = ("counts", "total", "lock", "bounds")

    def __init__(self, bounds: list[float], lock: threading.Lock) -> None:
        self.bounds = bounds
        self.counts = [0] * len(bounds)
        self.total = 0.0
        self.lock = lock

    def observe(self, value: float) -> None:
        i = bisect_left(self.bounds, value)
        with self.lock:
            if i < len(self.counts):
                self.counts[i] += 1
            self.total += value

    def add(self, counts: list[int], total: float) -> None:
        with self.lock:
            mine = self.counts
            for i, c in enumerate(counts):
                if c:
                    mine[i] += c
            self.total += total


class BatchedHistogram:
    """A histogram whose observations can be counted locally and added once per batch,
    exported by a custom collector through prometheus-client's public API
    (:class:`prometheus_client.core.HistogramMetricFamily`, ``registry.register``).

    Same name, help, labels, buckets and samples (``_bucket``, ``_count``, ``_sum``) as a
    ``prometheus_client.Histogram`` (no ``_created`` sample). ``labels(*values)`` returns
    the series (``observe`` per value), :meth:`batch` a :class:`HistogramBatch` on it.
    """

    def __init__(self, name: str, documentation: str, labelnames: Iterable[str] = (), *,
                 buckets: Iterable[float], registry: CollectorRegistry | None = None) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        bounds = [float(b) for b in buckets]
        if not bounds or bounds[-1] != float("inf"):
            bounds.append(float("inf"))
        self.bounds = bounds
        self._les = [floatToGoString(b) for b in bounds]
        self._lock = threading.Lock()
        self._series: dict[tuple[str, ...], _Series] = {}
        if not self.labelnames:
            self._series[()] = _Series(bounds, self._lock)
        if registry is not None:
            registry.register(self)

    def labels(self, *values: str) -> _Series:
        if len(values) != len(self.labelnames):
            raise ValueError(f"{self.name}: expected labels {self.labelnames}, got {values!r}")
        key = tuple(str(v) for v in values)
        series = self._series.get(key)
        if series is None:
            with self._lock:
                series = self._series.setdefault(key, _Series(self.bounds, self._lock))
        return series

    def observe(self, value: float) -> None:
        self.labels().observe(value)

    def batch(self, *values: str) -> "HistogramBatch":
        return HistogramBatch(self.labels(*values))

    def describe(self):
        return [HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)]

    def collect(self):
        fam = HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)
        with self._lock:
            snapshot = [(key, list(s.counts), s.total) for key, s in self._series.items()]
        for key, counts, total in snapshot:
            acc = 0
            buckets = []
            for le, c in zip(self._les, counts):
                acc += c
                buckets.append((le, acc))
            fam.add_metric(list(key), buckets, total)
        yield fam


class HistogramBatch:
    """Observations of one :class:`BatchedHistogram` series, counted locally and added in one go.

    ``Histogram.observe`` takes a lock and walks the buckets for each value; the worker
    observes several values per event, so it counts them here (a bisect and two
    additions) and :meth:`flush` adds the per-bucket counts and the sum to the series
    once per batch (one lock).
    """

    __slots__ = ("series", "bounds", "counts", "total", "n")

    def __init__(self, series: _Series) -> None:
        self.series = series
        self.bounds = series.bounds
        self.counts = [0] * len(self.bounds)
        self.total = 0.0
        self.n = 0

    def observe(self, value: float) -> None:
        i = bisect_left(self.bounds, value)
        if i < len(self.counts):
            self.counts[i] += 1
        self.total += value
        self.n += 1

    def flush(self) -> None:
        if not self.n:
            return
        counts = self.counts
        self.series.add(counts, self.total)
        for i in range(len(counts)):
            counts[i] = 0
        self.total = 0.0
        self.n = 0


#: value of a restored episode whose state holds no score (states written before scores were noted)
_RESTORED_SCORE = {2: 1.0, 1: 0.5}


@dataclass
class _Active:
    labels: tuple[str, str, str, str]  # detector, severity, sender, template
    summary: str
    rank: tuple[int, float]
    partition: int | None


class AlertListener:
    """What :class:`ActiveAlerts` tells about every open episode (not only the shown
    ones): the interface of :class:`streams.notify.AlertmanagerPush`. ``key`` is
    ``(detector, sender, template)``; ``labels`` the exported ``(detector, severity,
    sender label, template)``."""

    def firing(self, key: tuple[str, str, str], labels: tuple[str, str, str, str], summary: str, score: float,
               started: float | None, alert: object | None) -> None:  # pragma: no cover - interface
        """An episode opened, escalated or was restored (``alert`` None when restored)."""

    def resolved(self, key: tuple[str, str, str]) -> None:  # pragma: no cover - interface
        """The episode ended."""

    def forget(self, keys: Iterable[tuple[str, str, str]]) -> None:  # pragma: no cover - interface
        """The episodes moved to another worker with their partitions: no longer ours to report."""


class ActiveAlerts:
    """The ``mailflow_active_alert`` gauge: open episodes, the N most severe.

    One series per episode, keyed ``(detector, sender, template)``, labelled
    ``detector, severity, sender, template`` (value = score); an escalation replaces
    the series, :meth:`end` removes it. The alert's summary is free text, so it is no
    part of the series' identity: it is the one label of a companion info series,
    ``mailflow_active_alert_info{detector, severity, sender, template, summary} 1``
    (joined with ``group_left`` or the alert rules' ``query`` where a summary is
    shown). Episodes beyond the cap are remembered (so they can take a slot that frees
    up) but not exported; a ``listener`` (:class:`AlertListener`) hears of all of them.
    """

    def __init__(self, gauge: Gauge, limit: int, sender_label: Callable[[str], str] = str,
                 info: Gauge | None = None, listener: AlertListener | None = None) -> None:
        self.gauge = gauge
        self.info = info
        self.limit = limit
        self.sender_label = sender_label  # the address as it is, or its keyed hash (streams.labels)
        self.listener = listener
        self.open: dict[tuple[str, str, str], _Active] = {}
        self.shown: set[tuple[str, str, str]] = set()

    def raise_(self, alert, partition: int | None = None) -> None:
        key = (alert.detector, alert.sender, alert.template or "")
        old = self.open.get(key)
        if old is not None and key in self.shown:
            self._hide(key)
        labels, summary = self._labels(alert.detector, alert.severity, alert.sender, alert.template, alert.summary)
        score = float(alert.score)
        self.open[key] = _Active(labels, summary, (SEVERITY_RANK.get(alert.severity, 0), score), partition)
        self._rebalance()
        if self.listener is not None:  # the whole summary (an annotation there, not a label)
            self.listener.firing(key, labels, self._text(alert.sender, alert.summary), score, None, alert)

    def _labels(self, detector: str, severity: str, sender: str, template: str | None,
                summary: str) -> tuple[tuple[str, str, str, str], str]:
        label = self.sender_label(sender)
        return (_clip(detector), _clip(severity), _clip(label), _clip(template or "")), _clip(self._text(sender, summary))

    def _text(self, sender: str, summary: str) -> str:
        """``summary`` with the sender's address as its label (hashed: the summary names the sender too)."""
        label = self.sender_label(sender)
        return summary.replace(sender, label) if label != sender else summary

    def end(self, detector: str, sender: str, template: str | None) -> bool:
        key = (detector, sender, template or "")
        if key not in self.open:
            return False
        if key in self.shown:
            self._hide(key)
        del self.open[key]
        self._rebalance()
        if self.listener is not None:
            self.listener.resolved(key)
        return True

    def senders(self) -> set[str]:
        return {k[1] for k in self.open}

    def restore(self, episodes: Iterable[tuple[object, int | None]]) -> int:
        """Show open episodes restored from the learned states after a restart or a
        rebalance (``(OpenEpisode, partition)`` pairs), with the labels and value of their
        last alert when the state noted them, so the series (and the page it drives) is the
        one that was shown before. An episode already shown is left as it is (a live alert
        is newer); returns how many were added. Nothing is counted in ``mailflow_alerts_total``:
        no alert is emitted again."""
        added = 0
        for ep, partition in episodes:
            key = (ep.detector, ep.sender, ep.template or "")
            if key in self.open:
                continue
            rank = SEVERITY_RANK.get(ep.severity, 0)
            score = ep.score if ep.score is not None else _RESTORED_SCORE.get(rank, 0.5)
            summary = ep.summary if ep.summary is not None else (
                f"{ep.detector} episode open since {rfc3339(ep.started_ts)} ({ep.triggers} triggers); "
                "restored after a worker restart"
            )
            labels, shown = self._labels(ep.detector, ep.severity, ep.sender, ep.template, summary)
            self.open[key] = _Active(labels, shown, (rank, float(score)), partition)
            added += 1
            if self.listener is not None:
                self.listener.firing(key, labels, self._text(ep.sender, summary), float(score), ep.started_ts, None)
        if added:
            self._rebalance()
        return added

    def forget_partitions(self, partitions: Iterable[int]) -> int:
        """Drop the episodes of senders on partitions this worker no longer owns."""
        parts = set(partitions)
        gone = [k for k, a in self.open.items() if a.partition in parts]
        for k in gone:
            if k in self.shown:
                self._hide(k)
            del self.open[k]
        if gone:
            self._rebalance()
            if self.listener is not None:
                self.listener.forget(gone)
        return len(gone)

    def _hide(self, key) -> None:
        self.shown.discard(key)
        old = self.open.get(key)
        if old is None:
            return
        for gauge, labels in ((self.gauge, old.labels), (self.info, (*old.labels, old.summary))):
            if gauge is None:
                continue
            try:
                gauge.remove(*labels)
            except KeyError:
                pass

    def _rebalance(self) -> None:
        best = sorted(self.open, key=lambda k: self.open[k].rank, reverse=True)[: self.limit]
        want = set(best)
        for key in list(self.shown - want):
            self._hide(key)
        for key in want:
            a = self.open[key]
            # re-set each time: an escalated episode has new labels
            if key not in self.shown:
                self.shown.add(key)
            self.gauge.labels(*a.labels).set(a.rank[1])
            if self.info is not None:
                self.info.labels(*a.labels, a.summary).set(1)


class RecoveryProgress:
    """``mailflow_table_recovery_remaining_messages{kind}``: changelog records the table
    still has to read, for its active partitions (``/readyz`` waits for them) and its
    standby copies, computed at each scrape from the recovery's own figures.

    ``source()`` returns an object with ``active_remaining_total()`` and
    ``standby_remaining_total()`` (Faust's ``app.tables.recovery``) or None before the
    app is built; ``recovering()`` says whether a recovery runs (outside one the active
    figure is 0: the changelog is then written, not read).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> rec = SimpleNamespace(active_remaining_total=lambda: 1200, standby_remaining_total=lambda: 40)
    >>> reg = CollectorRegistry()
    >>> _ = RecoveryProgress(lambda: rec, lambda: True, registry=reg)
    >>> reg.get_sample_value("mailflow_table_recovery_remaining_messages", {"kind": "active"})
    1200.0
    """

    def __init__(self, source: Callable[[], object | None], recovering: Callable[[], bool],
                 registry: CollectorRegistry | None = None) -> None:
        self.source = source
        self.recovering = recovering
        if registry is not None:
            registry.register(self)

    def describe(self):
        return [GaugeMetricFamily("mailflow_table_recovery_remaining_messages",
                                  "Changelog records the state table still has to read, by kind", labels=["kind"])]

    def collect(self):
        fam = GaugeMetricFamily("mailflow_table_recovery_remaining_messages",
                                "Changelog records the state table still has to read, by kind", labels=["kind"])
        active = standby = 0.0
        try:
            rec = self.source()
            if rec is not None:
                if self.recovering():
                    active = float(max(0, rec.active_remaining_total()))
                standby = float(max(0, rec.standby_remaining_total()))
        except Exception:  # a scrape must not fail on a recovery between states
            pass
        fam.add_metric(["active"], active)
        fam.add_metric(["standby"], standby)
        yield fam


def build_version() -> str:
    """The installed mailflow-sentinel's version (``unknown`` when run from a tree that is not installed)."""
    try:
        return metadata.version("mailflow-sentinel")
    except metadata.PackageNotFoundError:
        return "unknown"


#: ``(attribute of Metrics, type, name, documentation, label names)`` of the worker's
#: counters and gauges (the histograms, with their buckets, are in :class:`Metrics`)
_DECLARED: tuple[tuple[str, type, str, str, tuple[str, ...]], ...] = (
    ("events_processed", Counter, "mailflow_events_processed_total",
     "Events that passed validation and went through the detectors", ()),
    ("events_rejected", Counter, "mailflow_events_rejected_total",
     "Events rejected to the dead-letter topic, by reason", ("reason",)),
    ("alerts", Counter, "mailflow_alerts_total", "Alerts emitted", ("detector", "severity")),
    ("events_failed", Counter, "mailflow_events_failed_total",
     "Valid events the detectors failed on (sent to the dead-letter topic with reason internal_error)", ()),
    ("events_duplicate", Counter, "mailflow_events_duplicate_total",
     "Re-delivered events (event_id already seen for the sender), skipped", ()),
    ("events_late", Counter, "mailflow_events_late_total",
     "Events whose volume bucket had already closed for their template (counted in the current bucket)", ()),
    ("offset_resets", Counter, "mailflow_offset_resets_total",
     "Input records at or below a sender's remembered offset whose event_id was never seen "
     "(the topic was re-created, truncated or reset): processed, not dropped", ()),
    ("state_restore_failed", Counter, "mailflow_state_restore_failed_total",
     "Learned-state records refused on restore (unknown version, forged or corrupt); the sender starts fresh", ()),
    ("dead_letters_truncated", Counter, "mailflow_dead_letters_truncated_total",
     "Dead letters whose value was larger than the topic allows, stored truncated with size and digest in headers", ()),
    ("dead_letter_failed", Counter, "mailflow_dead_letter_failed_total",
     "Dead letters that could not be written after retries (logged; the worker goes on)", ()),
    ("clock_skew", Counter, "mailflow_events_future_total",
     "Events dated further ahead of the wall clock than the allowed skew (learned; never advance event-time now)", ()),
    ("senders_evicted", Counter, "mailflow_senders_evicted_total",
     "Least recently active senders whose learned state was dropped to keep the sender cap", ()),
    ("assigned_partitions", Gauge, "mailflow_assigned_partitions",
     "Partitions of the input topic assigned to this worker", ()),
    ("rebalances", Counter, "mailflow_rebalances_total",
     "Consumer-group rebalances this worker took part in, by phase", ("phase",)),
    ("recovering", Gauge, "mailflow_table_recovering",
     "1 while the state table is recovered from the changelog after an assignment", ()),
    ("consumer_lag", Gauge, "mailflow_consumer_lag_messages",
     "Messages behind the end of each assigned input partition", ("partition",)),
    ("last_event_ts", Gauge, "mailflow_last_event_timestamp_seconds", "Event time of the last processed event", ()),
    ("active_alert_gauge", Gauge, "mailflow_active_alert",
     "Open alert episodes (value = score), the most severe only; removed when the episode ends",
     ("detector", "severity", "sender", "template")),
    ("active_alert_info", Gauge, "mailflow_active_alert_info",
     "The summary of each mailflow_active_alert series (value 1): free text, so no part of that series' identity",
     ("detector", "severity", "sender", "template", "summary")),
    ("sender_events", Counter, "mailflow_sender_events_total",
     "Events per sender (top senders; the rest as sender=\"other\")", ("sender",)),
    ("sender_unrelated", Gauge, "mailflow_sender_unrelated_recipients",
     "Recent mean of unrelated external recipients visible to each other per message", ("sender",)),
    ("template_bucket", Gauge, "mailflow_template_bucket_messages",
     "Messages of the template in the current bucket", ("sender", "template")),
    ("template_baseline", Gauge, "mailflow_template_baseline_messages",
     "Learned expectation for the current bucket", ("sender", "template")),
)


class Metrics:
    """All metrics of one worker process, on ``registry``."""

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        top_senders: int = 50,
        top_templates: int = 50,
        max_active_alerts: int = 100,
        sender_labels: Callable[[str], str] | None = None,
        alert_listener: AlertListener | None = None,
    ) -> None:
        """``sender_labels``: the label of a sender address (default: the address;
        :class:`streams.labels.SenderLabels` hashes it with a key); ``alert_listener``:
        told of every open episode (:class:`streams.notify.AlertmanagerPush`)."""
        self.registry = registry = registry if registry is not None else CollectorRegistry()
        # the process, the interpreter and the build, as every exporter has them (process_*, python_*)
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        Info("mailflow_build", "The running mailflow-sentinel: its version and Python", registry=registry).info(
            {"version": build_version(), "python": platform.python_version()})
        for attribute, kind, name, documentation, labels in _DECLARED:
            setattr(self, attribute, kind(name, documentation, labels, registry=registry))
        self.alert_latency = Histogram("mailflow_alert_latency_seconds",
                                       "Wall time of alert emission minus event time of the raising event",
                                       buckets=LATENCY_BUCKETS, registry=registry)
        self.processing = BatchedHistogram("mailflow_event_processing_seconds", "Time spent in the detectors per event",
                                           buckets=PROCESSING_BUCKETS, registry=registry)
        self.detector_score = BatchedHistogram("mailflow_detector_score", "Detector scores in [0, 1]", ["detector"],
                                               buckets=SCORE_BUCKETS, registry=registry)
        # the bounded label sets are there from the start (0 rather than absent)
        for phase in ("revoked", "assigned", "recovered"):
            self.rebalances.labels(phase)
        for r in REJECT_REASONS:
            self.events_rejected.labels(r)
        for d in DETECTORS:
            self.detector_score.labels(d)
            for s in SEVERITIES:
                self.alerts.labels(d, s)
        self.senders = LabelCap(top_senders)
        self.templates = LabelCap(top_templates)
        self.sender_label = sender_labels if sender_labels is not None else str
        self.active = ActiveAlerts(self.active_alert_gauge, max_active_alerts, self.sender_label,
                                   info=self.active_alert_info, listener=alert_listener)
        self._unrelated_mean: dict[str, float] = {}
        self._lag_partitions: set[str] = set()
        #: batched observers of the per-event histograms (flushed by :meth:`flush_batches`)
        self.processing_batch = self.processing.batch()
        self.score_batches = {d: self.detector_score.batch(d) for d in DETECTORS}

    # ------------------------------------------------------------- hot path API
    def rejected(self, reason: str) -> None:
        self.events_rejected.labels(reason if reason in REJECT_REASONS else "bad_value").inc()

    def alert(self, alert, now: float, partition: int | None = None) -> None:
        self.alerts.labels(alert.detector, alert.severity).inc()
        self.alert_latency.observe(max(0.0, now - alert.ts))
        self.active.raise_(alert, partition)

    def episode_ended(self, end) -> None:
        self.active.end(end.detector, end.sender, getattr(end, "template", None))

    def scores(self, scores: dict[str, float]) -> None:
        for d, s in scores.items():
            if d in DETECTORS:
                self.detector_score.labels(d).observe(s)

    def scores_batched(self, scores: dict[str, float]) -> None:
        """Like :meth:`scores`, counted locally until :meth:`flush_batches`."""
        batches = self.score_batches
        for d, s in scores.items():
            b = batches.get(d)
            if b is not None:
                b.observe(s)

    def flush_batches(self) -> None:
        """Add the locally counted histogram observations to the exported series."""
        self.processing_batch.flush()
        for b in self.score_batches.values():
            b.flush()

    def sender_batch(self, sender: str, events: int, unrelated_sum: float) -> str:
        """Per-sender figures, once per batch; returns the sender's label (or ``"other"``)."""
        label = self.senders.label(self.sender_label(sender), events)
        self.sender_events.labels(label).inc(events)
        if label != OTHER and events:
            prev = self._unrelated_mean.get(label)
            mean = unrelated_sum / events
            # exponentially weighted, one step per batch
            cur = mean if prev is None else 0.8 * prev + 0.2 * mean
            self._unrelated_mean[label] = cur
            self.sender_unrelated.labels(label).set(cur)
        return label

    def template_volume(self, sender: str, sender_label: str, template: str, volume: tuple[float, float] | None, events: int = 1) -> None:
        """Current bucket and learned expectation of one (capped) sender/template pair."""
        if volume is None or sender_label == OTHER:
            return
        if self.templates.label(f"{sender}\x00{template}", events) == OTHER:
            return
        observed, expected = volume
        t = _clip(template)
        self.template_bucket.labels(sender_label, t).set(observed)
        self.template_baseline.labels(sender_label, t).set(expected)

    def forget_sender(self, sender: str) -> int:
        """End every active-alert series of ``sender`` (its state was evicted); returns how many."""
        active = self.active
        keys = [k for k in active.open if k[1] == sender]
        for detector, _, template in keys:
            active.end(detector, sender, template)
        return len(keys)

    def set_lag(self, lags: dict[int, int]) -> None:
        """Replace the per-partition lag series with ``lags`` (partition -> messages)."""
        now = {str(p) for p in lags}
        for p in self._lag_partitions - now:
            try:
                self.consumer_lag.remove(p)
            except KeyError:
                pass
        for p, lag in lags.items():
            self.consumer_lag.labels(str(p)).set(max(0, lag))
        self._lag_partitions = now
