"""Alerts pushed to Alertmanager directly, in about a second instead of ~40.

The Prometheus path to a page is a scrape (15 s), a rule evaluation (15 s) and
Alertmanager's group wait. With ``--alertmanager-url`` the worker also posts every
open detector episode to Alertmanager's v2 API (``POST /api/v2/alerts``) as soon as
it is raised, and resolves it when the episode ends.

* **Labels** come from fixed sets, the same as the Prometheus rules' alerts
  (``alertname`` ``MailflowDetectorCritical`` or ``MailflowDetectorWarning``,
  ``severity``, ``component="detector"``, ``detector``, ``sender``, ``template``), so
  the routing, grouping and inhibition of ``deploy/alertmanager/alertmanager.yml``
  apply unchanged, and Alertmanager merges the pushed alert with the rule's (same
  label set) when both paths are on. The ``sender`` label is the metrics' sender
  label (the keyed hash with ``--hash-sender-labels``).
* **Annotations** carry the free text: ``summary``, ``description``, ``account``,
  ``detector``, ``score``, ``runbook_url``, ``dashboard_url``, and, for an alert raised now (not
  restored after a restart), ``evidence`` (JSON, clipped) and ``event_ids``.
* **Lifetimes**: a firing alert is posted with ``endsAt`` four resend intervals ahead
  and re-posted every ``resend_interval`` seconds while the episode is open (as
  Prometheus does), so the alerts of a worker that dies resolve by themselves unless
  the worker that takes its partitions over restores the episodes and posts them
  again. An escalation resolves the warning and fires the critical alert; an
  episode that ends is posted with ``endsAt`` = now. Episodes that move to another
  worker with their partitions are no longer re-posted here (not resolved).
* **Delivery**: one background thread posts to every URL (an Alertmanager cluster
  wants each alert at each of its members); a failed post is retried with a growing
  delay (0.5 s up to the resend interval), the newest state of each alert winning.
  Counted as ``mailflow_alertmanager_posts_total{result}``, the alerts waiting as
  ``mailflow_alertmanager_pending_alerts``, and the time from an alert raised to
  Alertmanager accepting it as ``mailflow_alertmanager_push_seconds``.

This module does not import Faust.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from urllib.parse import quote_plus
from typing import Any, Callable, Iterable, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from .metrics import AlertListener

__all__ = ["AlertmanagerPush", "DEFAULT_RUNBOOK_URL", "DEFAULT_DASHBOARD_URL", "alert_names"]

log = logging.getLogger("mailflow.notify")

#: Base of the ``runbook_url`` annotation (``#<detector>`` is appended), as in the rules.
DEFAULT_RUNBOOK_URL = "https://github.com/mailflow-sentinel/mailflow-sentinel/blob/main/docs/runbook.md"
#: Base of the ``dashboard_url`` annotation (``?var-sender=<account>`` is appended), as in the rules.
DEFAULT_DASHBOARD_URL = "http://localhost:3000/d/mailflow-launch/launch-monitoring"

#: ``alertname`` by severity: the names of the Prometheus rules (deploy/prometheus/rules/alerts.yml).
alert_names = {"critical": "MailflowDetectorCritical", "warning": "MailflowDetectorWarning"}

_MAX_EVIDENCE = 2000  # characters of the evidence annotation
_MAX_EVENT_IDS = 20
_PUSH_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)

Key = tuple[str, str, str]  # detector, sender, template


def _rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AlertmanagerPush(AlertListener):
    """Posts the open detector episodes of :class:`streams.metrics.ActiveAlerts` to
    Alertmanager (see the module's docstring).

    Parameters
    ----------
    urls
        Alertmanager base URLs (``http://am:9093``); each gets every alert.
    registry
        Where the ``mailflow_alertmanager_*`` metrics go.
    resend_interval
        Seconds between re-posts of the open alerts; ``endsAt`` is four of them ahead.
    timeout
        Seconds for one HTTP request.
    runbook_url
        Base of the ``runbook_url`` annotation.
    dashboard_url
        Base of the ``dashboard_url`` annotation (the account selected in it).
    auth
        ``(username, password)`` for HTTP basic authentication, or None.
    clock
        Wall-clock seconds (tests pass their own).

    Examples
    --------
    >>> push = AlertmanagerPush(["http://127.0.0.1:9"], registry=CollectorRegistry(), clock=lambda: 1_500_000_000.0)
    >>> key = ("fanout", "care@shop.example", "")
    >>> push.firing(key, ("fanout", "critical", "care@shop.example", ""),
    ...             "one message showed 40 customers to each other; expected 0", 0.97, None, None)
    >>> [(a["labels"]["alertname"], a["startsAt"], a["endsAt"]) for a in push.pending()]
    [('MailflowDetectorCritical', '2017-07-14T02:40:00.000Z', '2017-07-14T02:44:00.000Z')]
    >>> push.resolved(key)  # the episode ended: the same alert, ending now
    >>> [(a["labels"]["alertname"], a["endsAt"]) for a in push.pending()]
    [('MailflowDetectorCritical', '2017-07-14T02:40:00.000Z')]
    """

    def __init__(self, urls: Sequence[str], *, registry: CollectorRegistry, resend_interval: float = 60.0,
                 timeout: float = 5.0, runbook_url: str = DEFAULT_RUNBOOK_URL,
                 dashboard_url: str = DEFAULT_DASHBOARD_URL, auth: tuple[str, str] | None = None, clock: Callable[[], float] = time.time) -> None:
        self.urls = [u.rstrip("/") + "/api/v2/alerts" for u in urls]
        self.resend_interval = float(resend_interval)
        self.timeout = float(timeout)
        self.runbook_url = runbook_url
        self.dashboard_url = dashboard_url.rstrip("/")
        self.clock = clock
        self._auth = ("Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()) if auth else None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: open episodes: key -> the alert as posted (labels, annotations, startsAt)
        self._open: dict[Key, dict[str, Any]] = {}
        #: per URL: label set -> (alert to post, firing?, raised at (monotonic) or None)
        self._pending: dict[str, dict[tuple, tuple[dict[str, Any], bool, float | None]]] = {u: {} for u in self.urls}
        self._last_resend = time.monotonic()
        self.posts = Counter("mailflow_alertmanager_posts_total",
                             "Posts of alerts to Alertmanager's v2 API, by result (ok, error)", ["result"],
                             registry=registry)
        for r in ("ok", "error"):
            self.posts.labels(r)
        self.pending_gauge = Gauge("mailflow_alertmanager_pending_alerts",
                                   "Alert states waiting to be posted to Alertmanager (all URLs)", registry=registry)
        self.push_seconds = Histogram("mailflow_alertmanager_push_seconds",
                                      "From an alert raised in the worker to Alertmanager accepting it",
                                      buckets=_PUSH_BUCKETS, registry=registry)

    # -- AlertListener ------------------------------------------------------------------
    def firing(self, key: Key, labels: tuple[str, str, str, str], summary: str, score: float,
               started: float | None, alert: object | None) -> None:
        detector, severity, sender, template = labels
        now = self.clock()
        raised = getattr(alert, "ts", None)
        starts = min(now, float(raised if raised is not None else (started if started is not None else now)))
        ann = {
            "summary": summary,
            "account": sender,
            "detector": detector,
            "score": f"{score:.2f}",
            "description": (f"Detector {detector} raised a {'critical alert' if severity == 'critical' else 'warning'} "
                            f"for account {sender} (template {template or 'n/a'}, score {score:.2f})."),
            "runbook_url": f"{self.runbook_url}#{detector}",
            "dashboard_url": f"{self.dashboard_url}?var-sender={quote_plus(sender)}",
        }
        if alert is not None:
            evidence = getattr(alert, "evidence", None)
            if evidence:
                text = json.dumps(evidence, sort_keys=True, ensure_ascii=False, default=str)
                ann["evidence"] = text if len(text) <= _MAX_EVIDENCE else text[: _MAX_EVIDENCE - 1] + "…"
            ids = list(getattr(alert, "event_ids", None) or ())
            if ids:
                ann["event_ids"] = ",".join(str(i) for i in ids[:_MAX_EVENT_IDS])
        lab = {"alertname": alert_names.get(severity, "MailflowDetectorWarning"), "severity": severity,
               "component": "detector", "detector": detector, "sender": sender}
        if template:  # Prometheus drops empty labels: the same label set as the rule's alert
            lab["template"] = template
        body = {"labels": lab, "annotations": ann, "startsAt": _rfc3339(starts)}
        t0 = time.monotonic()
        with self._lock:
            old = self._open.get(key)
            if old is not None and old["labels"] != lab:  # escalated: the warning resolves
                self._queue(dict(old, endsAt=_rfc3339(now)), False, None)
            if old is not None and old["labels"] == lab:
                body["startsAt"] = old["startsAt"]
            self._open[key] = body
            self._queue(dict(body, endsAt=_rfc3339(now + 4 * self.resend_interval)), True, t0)
        self._wake.set()

    def resolved(self, key: Key) -> None:
        with self._lock:
            old = self._open.pop(key, None)
            if old is None:
                return
            self._queue(dict(old, endsAt=_rfc3339(self.clock())), False, None)
        self._wake.set()

    def forget(self, keys: Iterable[Key]) -> None:
        with self._lock:
            for k in keys:
                self._open.pop(k, None)

    # -- delivery -----------------------------------------------------------------------
    def _queue(self, alert: dict[str, Any], firing: bool, raised: float | None) -> None:
        ident = tuple(sorted(alert["labels"].items()))
        for pending in self._pending.values():
            prev = pending.get(ident)
            if prev is not None and raised is not None and prev[2] is not None:
                raised = min(raised, prev[2])  # latency from the first raise not yet delivered
            pending[ident] = (alert, firing, raised)
        self.pending_gauge.set(sum(len(p) for p in self._pending.values()))

    def pending(self, url: str | None = None) -> list[dict[str, Any]]:
        """The alert states waiting to be posted (to ``url``, default the first)."""
        with self._lock:
            return [a for a, _, _ in self._pending[url or self.urls[0]].values()]

    def open_alerts(self) -> list[dict[str, Any]]:
        """The open episodes as they are (re-)posted."""
        with self._lock:
            return [dict(a) for a in self._open.values()]

    def start(self) -> "AlertmanagerPush":
        """Start the posting thread (a daemon)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="mailflow-alertmanager-push", daemon=True)
            self._thread.start()
            log.info("posting alerts to %d Alertmanager URL(s), re-posting every %.0f s",
                     len(self.urls), self.resend_interval)
        return self

    def close(self, timeout: float = 5.0) -> None:
        """Post what is pending once more (within ``timeout``) and stop the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        delay = {u: 0.0 for u in self.urls}
        retry_at = {u: 0.0 for u in self.urls}
        while True:
            stopping = self._stop.is_set()
            now = time.monotonic()
            if now - self._last_resend >= self.resend_interval:
                self._resend()
            for url in self.urls:
                if now >= retry_at[url] or stopping:
                    if self.flush(url):
                        delay[url] = 0.0
                    else:
                        delay[url] = min(self.resend_interval, max(0.5, 2 * delay[url]))
                        retry_at[url] = time.monotonic() + delay[url]
            if stopping:
                return
            waits = [retry_at[u] - time.monotonic() for u in self.urls if self._pending[u]]
            wait = min([self.resend_interval - (time.monotonic() - self._last_resend), *waits])
            self._wake.wait(max(0.01, wait))
            self._wake.clear()

    def _resend(self) -> None:
        now = self.clock()
        with self._lock:
            self._last_resend = time.monotonic()
            for body in self._open.values():
                ident = tuple(sorted(body["labels"].items()))
                if any(ident in p for p in self._pending.values()):
                    continue  # a newer state is on its way already
                self._queue(dict(body, endsAt=_rfc3339(now + 4 * self.resend_interval)), True, None)

    def flush(self, url: str) -> bool:
        """Post what is pending for ``url`` (one request); False when it failed (kept)."""
        with self._lock:
            batch = dict(self._pending[url])
        if not batch:
            return True
        data = json.dumps([a for a, _, _ in batch.values()], ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
        if self._auth:
            req.add_header("Authorization", self._auth)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                resp.read()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            self.posts.labels("error").inc()
            log.warning("posting %d alert(s) to Alertmanager %s failed (kept, retried): %s", len(batch), url,
                        getattr(exc, "reason", exc))
            return False
        done = time.monotonic()
        self.posts.labels("ok").inc()
        with self._lock:
            pending = self._pending[url]
            for ident, entry in batch.items():
                if pending.get(ident) is entry:  # not replaced by a newer state meanwhile
                    del pending[ident]
                raised = entry[2]
                if raised is not None:
                    self.push_seconds.observe(max(0.0, done - raised))
            self.pending_gauge.set(sum(len(p) for p in self._pending.values()))
        return True
