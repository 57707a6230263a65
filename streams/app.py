"""The Faust application of the streaming worker, built from typed settings.

:func:`create_app` builds the one ``faust.App`` of a worker process together with
its topics, learned-state table, agent, timers and metrics, and returns them as a
:class:`MailflowApp`. Nothing is created at import time, so a test or a bench can
build an app with any settings::

    from streams.app import create_app
    from streams.settings import WorkerSettings
    mapp = create_app(WorkerSettings(broker="kafka://127.0.0.1:9092", app_id="bench"))
    mapp.run()            # blocks; SIGINT/SIGTERM stop it cleanly
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
from .agents import BatchProcessor, install_bulk_reader, register_agents
from .metrics import Metrics
from .settings import WorkerSettings
from .tables import make_state_table
from .topics import Topics, make_topics

__all__ = ["MailflowApp", "create_app", "faust_settings"]

log = logging.getLogger(__name__)


def faust_settings(settings: WorkerSettings) -> dict[str, Any]:
    """Keyword arguments of ``faust.App`` for ``settings`` (tuned for throughput)."""
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
    creds = settings.broker_credentials()
    if creds is not None:
        kw["broker_credentials"] = creds
    return kw


class _FaustApp(faust.App):
    """``faust.App`` whose consumer reads the input topic in bulk (see :func:`streams.agents.make_bulk_drain`)."""

    mailflow: "MailflowApp | None" = None

    def _new_consumer(self):
        consumer = super()._new_consumer()
        if self.mailflow is not None:
            install_bulk_reader(self.mailflow, consumer)
        return consumer


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
    processor: BatchProcessor = field(init=False)
    agent: Any = None

    def run(self, loglevel: str | None = None) -> None:
        """Run the worker until SIGINT/SIGTERM (blocks; exits the process via Faust's worker)."""
        worker = self.make_worker(loglevel)
        worker.execute_from_commandline()

    def make_worker(self, loglevel: str | None = None) -> faust.Worker:
        return faust.Worker(
            self.app,
            loglevel=(loglevel or self.settings.log_level).upper(),
            quiet=True,
            redirect_stdouts=False,
            override_logging=True,
        )


def create_app(
    settings: WorkerSettings,
    *,
    registry: CollectorRegistry | None = None,
    sentinel_config: SentinelConfig | None = None,
) -> MailflowApp:
    """Build the worker's Faust app from validated ``settings``."""
    settings.validate()
    cfg = sentinel_config or SentinelConfig.from_mapping(settings.detector_mapping())
    app = _FaustApp(settings.app_id, **faust_settings(settings))
    topics = make_topics(app, settings)
    table = make_state_table(app, settings)
    metrics = Metrics(
        registry if registry is not None else CollectorRegistry(),
        top_senders=settings.top_senders,
        top_templates=settings.top_templates,
        max_active_alerts=settings.max_active_alerts,
    )
    mapp = MailflowApp(settings, app, topics, table, metrics, cfg, Sentinel(cfg))
    mapp.processor = BatchProcessor(mapp)
    register_agents(mapp)
    if settings.bulk_read:
        app.mailflow = mapp
    return mapp
