"""The Faust application of the streaming worker, built from typed settings.

:func:`create_app` builds the one ``faust.App`` of a worker process together with
its topics, learned-state table, agent, timers and metrics, and returns them as a
:class:`MailflowApp`. Nothing is created at import time, so a test or a bench can
build an app with any settings::

    from streams.app import create_app
    from streams.settings import WorkerSettings
    mapp = create_app(WorkerSettings(broker="kafka://127.0.0.1:9092", app_id="bench"))
    mapp.run()            # blocks; SIGINT/SIGTERM stop it cleanly

This is the only module that imports :mod:`streams.agents`; Faust's internals are
reached through :mod:`streams.seam` only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import faust
from prometheus_client import CollectorRegistry

from detectors.config import SentinelConfig
from detectors.pipeline import Sentinel

from . import models  # noqa: F401  (registers the state codec)
from . import seam
from .agents import BatchProcessor, Outputs, ProcessorConfig, register_agents
from .httpd import Readiness
from .labels import SenderLabels
from .logformat import logging_config
from .metrics import Metrics, RecoveryProgress
from .models import restored_state
from .settings import WorkerSettings
from .tables import make_state_table
from .topics import Topics, make_topics

__all__ = ["MailflowApp", "create_app", "faust_settings"]

log = logging.getLogger(__name__)


def faust_settings(settings: WorkerSettings, bulk: bool = False) -> dict[str, Any]:
    """Keyword arguments of ``faust.App`` for ``settings`` (tuned for throughput); with
    ``bulk``, the consumer's transport is :class:`streams.seam.BulkTransport`."""
    kw: dict[str, Any] = dict(
        broker=settings.broker_urls,
        store=settings.store,
        datadir=settings.data_dir,
        autodiscover=False,
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        # throughput: big polls and buffers, no per-event waiting for an empty buffer
        broker_max_poll_records=settings.max_poll_records,
        stream_buffer_maxsize=max(4096, 4 * settings.batch_size),
        stream_wait_empty=False,
        # fetch big: each fetch round trip to the broker then feeds several batches
        consumer_max_fetch_size=8 * 1024 * 1024,
        stream_publish_on_commit=False,
        producer_linger_ms=5,
        producer_max_batch_size=256 * 1024,
        # failure detection
        broker_session_timeout=settings.session_timeout,
        broker_heartbeat_interval=max(0.5, settings.session_timeout / 10),
        broker_rebalance_timeout=max(settings.session_timeout, 10.0),
        broker_commit_interval=3.0,
        consumer_auto_offset_reset="earliest",
        # a topic deleted and re-created under a running worker is seen within this (Faust's default: 300 s)
        consumer_metadata_max_age_ms=20_000,
        table_standby_replicas=1,
        web_enabled=False,
        logging_config=None,
    )
    if bulk:
        # the producer keeps Faust's kafka:// transport; the consumer gets the seam's
        kw["broker_consumer"] = seam.consumer_urls(settings.broker_urls)
    creds = settings.broker_credentials()
    if creds is not None:
        kw["broker_credentials"] = creds
    return kw


@dataclass
class MailflowApp:
    """One worker's Faust app and everything attached to it."""

    settings: WorkerSettings
    app: faust.App
    topics: Topics
    table: Any
    metrics: Metrics
    sentinel_config: SentinelConfig
    sentinel: Sentinel
    processor: BatchProcessor
    agent: Any = None
    #: the start-up check of the bulk read path (:func:`streams.seam.check_supported`)
    support: seam.Support | None = None
    #: ``/readyz``: ready once the table is recovered after the latest assignment (:func:`watch_readiness`)
    readiness: Readiness = field(default_factory=lambda: Readiness("starting: no partition assignment yet"))
    #: the direct push of detector alerts to Alertmanager (``--alertmanager-url``), started by the worker
    alert_push: Any = None

    @property
    def bulk(self) -> bool:
        """Does this worker read the input topic in bulk (else: the agent stream)?"""
        return bool(self.settings.bulk_read and self.support is not None and self.support.bulk)

    def update_lag(self) -> None:
        """``mailflow_consumer_lag_messages``: high water minus committed offset per input partition."""
        consumer = self.app.consumer
        topic = self.topics.input.get_topic_name()
        lags: dict[int, int] = {}
        for tp in consumer.assignment():
            if tp.topic != topic:
                continue
            try:
                hw = consumer.highwater(tp)
            except Exception:
                hw = None
            if hw is None:
                continue
            lags[tp.partition] = hw - (seam.committed_offset(consumer, tp) or 0)
        self.metrics.set_lag(lags)

    def assigned_partitions(self) -> set[int]:
        topic = self.topics.input.get_topic_name()
        return {tp.partition for tp in self.app.consumer.assignment() if tp.topic == topic}

    def run(self, loglevel: str | None = None) -> None:
        """Run the worker until SIGINT/SIGTERM (blocks; exits the process via Faust's worker)."""
        worker = self.make_worker(loglevel)
        worker.execute_from_commandline()

    def make_worker(self, loglevel: str | None = None) -> faust.Worker:
        level = loglevel or self.settings.log_level
        return faust.Worker(
            self.app,
            loglevel=level.upper(),
            quiet=True,
            redirect_stdouts=False,
            override_logging=True,
            # JSON lines on request (streams.logformat); text stays Faust's own format
            logging_config=(logging_config(level.lower(), "json")
                            if self.settings.log_format == "json" else None),
        )


def create_app(
    settings: WorkerSettings,
    *,
    registry: CollectorRegistry | None = None,
    sentinel_config: SentinelConfig | None = None,
) -> MailflowApp:
    """Build the worker's Faust app from validated ``settings``."""
    settings.validate()
    support = seam.check_supported() if settings.bulk_read else None
    bulk = bool(support is not None and support.bulk)
    cfg = sentinel_config or SentinelConfig.from_mapping(settings.detector_mapping())
    app = faust.App(settings.app_id, **faust_settings(settings, bulk=bulk))
    topics = make_topics(app, settings)
    table = make_state_table(app, settings)
    registry = registry if registry is not None else CollectorRegistry()
    push = None
    if settings.alertmanager_urls:
        from .notify import AlertmanagerPush

        push = AlertmanagerPush(
            settings.alertmanager_urls, registry=registry, resend_interval=settings.alertmanager_resend_interval,
            runbook_url=settings.runbook_url, dashboard_url=settings.dashboard_url,
            auth=((settings.alertmanager_username, settings.alertmanager_password)
                  if settings.alertmanager_username else None))
    metrics = Metrics(
        registry,
        top_senders=settings.top_senders,
        top_templates=settings.top_templates,
        max_active_alerts=settings.max_active_alerts,
        sender_labels=SenderLabels(settings.label_hash_key if settings.hash_sender_labels else None),
        alert_listener=push,
    )
    sentinel = Sentinel(cfg)
    holder: dict[str, MailflowApp] = {}
    processor = BatchProcessor(
        sentinel=sentinel,
        store=seam.TableStore(table, restore=restored_state, metrics=metrics),
        # late-bound: the topics' send methods are looked up at each call
        outputs=Outputs(
            send_alert=lambda **kw: topics.alerts.send_soon(**kw),
            # Topic.send, not send_soon: a send error in Faust's producer buffer crashes the
            # worker; here it comes back to DeadLetterWriter, which retries and counts it.
            # force=True: sent now, not attached to (and sent when acking) a current event.
            send_dead_letter=lambda **kw: topics.dlq.send(force=True, **kw),
        ),
        metrics=metrics,
        config=ProcessorConfig(
            max_event_bytes=cfg.max_event_bytes,
            max_recipients=cfg.max_recipients,
            max_clock_skew_seconds=float(settings.max_clock_skew_seconds),
            max_senders=int(settings.max_senders),
            state_flush_interval=float(settings.state_flush_interval),
            dead_letter_max_bytes=int(settings.dead_letter_max_bytes),
            producer_max_request_size=int(app.conf.producer_max_request_size or 0),
        ),
        ack=(lambda pending: seam.ack_offsets(app.consumer, pending)) if bulk else None,
        assigned_partitions=lambda: holder["mapp"].assigned_partitions(),
    )
    mapp = MailflowApp(settings, app, topics, table, metrics, cfg, sentinel, processor, support=support,
                       alert_push=push)
    holder["mapp"] = mapp
    mapp.agent = register_agents(app, settings, topics.input, table, processor, mapp.update_lag)
    watch_readiness(app, mapp.readiness, metrics, topics.input.get_topic_name())
    # mailflow_table_recovery_remaining_messages: not ready (/readyz) = an assignment's recovery runs.
    # The collector runs in the /metrics thread, so it must not touch app.tables.recovery: that
    # property builds the recovery on first use, and built from a thread with no running loop it
    # binds the table manager to a new loop of that thread (the worker then never subscribed:
    # /readyz 503 for ever, in about 1 start of 4 when a scrape came early). Faust builds it on the
    # worker's loop before any assignment; the first assignment hands it over.
    recovery: dict[str, Any] = {}

    async def remember_recovery(sender: Any, *args: Any, **kwargs: Any) -> None:
        recovery.setdefault("service", app.tables.recovery)  # on the worker's loop, already built

    app.on_partitions_assigned.connect(remember_recovery)
    RecoveryProgress(lambda: recovery.get("service"), lambda: not mapp.readiness()[0], registry=metrics.registry)
    if bulk:
        seam.attach(app, processor, topics.input.get_topic_name())
    return mapp


def watch_readiness(app: faust.App, readiness: Readiness, metrics: Metrics, input_topic: str) -> None:
    """Keep ``readiness`` (``/readyz``) and the rebalance metrics in step with Faust's public
    rebalance signals: not ready (``mailflow_table_recovering`` 1) from a revocation or an
    assignment until ``on_rebalance_complete`` (sent when the table's recovery from the
    changelog finished and the input resumes); ``mailflow_rebalances_total{phase}`` counts
    the three, ``mailflow_assigned_partitions`` the input partitions assigned."""

    async def revoked(sender, revoked, **kwargs) -> None:
        readiness.set_not_ready("partitions revoked: rebalancing")
        metrics.rebalances.labels("revoked").inc()

    async def assigned(sender, assigned, **kwargs) -> None:
        mine = sum(1 for tp in assigned if tp.topic == input_topic)
        readiness.set_not_ready(f"{mine} input partition(s) assigned: recovering the table")
        metrics.rebalances.labels("assigned").inc()
        metrics.assigned_partitions.set(mine)
        metrics.recovering.set(1)

    async def complete(sender, **kwargs) -> None:
        readiness.set_ready()
        metrics.rebalances.labels("recovered").inc()
        metrics.recovering.set(0)

    app.on_partitions_revoked.connect(revoked)
    app.on_partitions_assigned.connect(assigned)
    app.on_rebalance_complete.connect(complete)
