"""The Kafka topics of the worker: input (events keyed by sender), alerts, dead letters."""

from __future__ import annotations

from dataclasses import dataclass

import faust

from .settings import WorkerSettings

__all__ = ["Topics", "make_topics"]


@dataclass
class Topics:
    input: faust.TopicT
    alerts: faust.TopicT
    dlq: faust.TopicT


def make_topics(app: faust.App, settings: WorkerSettings) -> Topics:
    """Declare the three topics on ``app`` (raw bytes keys and values everywhere)."""

    def topic(name: str) -> faust.TopicT:
        return app.topic(
            name,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=settings.partitions,
            replicas=settings.replication_factor,
        )

    return Topics(input=topic(settings.input_topic), alerts=topic(settings.alerts_topic), dlq=topic(settings.dlq_topic))
