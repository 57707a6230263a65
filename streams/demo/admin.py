"""What the demo asks of the broker and the machine: topics, consumer lag, free ports, ``/metrics``."""

from __future__ import annotations

import socket
import urllib.request

__all__ = ["create_topics", "group_lag", "port_free", "metrics_up"]


def create_topics(bootstrap: list[str], topics: tuple[str, ...], partitions: int) -> None:
    """Create those of ``topics`` that do not exist yet, with ``partitions`` partitions each."""
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="mailflow-demo-admin", request_timeout_ms=10000)
    try:
        existing = set(admin.list_topics())
        new = [NewTopic(t, partitions, 1) for t in topics if t not in existing]
        if new:
            try:
                admin.create_topics(new)
            except TopicAlreadyExistsError:
                pass
    finally:
        admin.close()


def group_lag(bootstrap: list[str], group: str, topic: str) -> int | None:
    """Records of ``topic`` not yet committed by consumer group ``group`` (``None`` if unknown)."""
    from kafka import KafkaConsumer, TopicPartition
    from kafka.admin import KafkaAdminClient

    admin = consumer = None
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="mailflow-demo-lag", request_timeout_ms=5000)
        committed = {tp: om.offset for tp, om in admin.list_consumer_group_offsets(group).items() if tp.topic == topic}
        consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, client_id="mailflow-demo-lag")
        parts = consumer.partitions_for_topic(topic) or set()
        ends = consumer.end_offsets([TopicPartition(topic, p) for p in parts])
        return sum(max(0, end - max(0, committed.get(tp, 0))) for tp, end in ends.items())
    except Exception:
        return None
    finally:
        for c in (admin, consumer):
            try:
                if c is not None:
                    c.close()
            except Exception:
                pass


def port_free(port: int) -> bool:
    """Whether ``port`` can be bound on the loopback address now."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def metrics_up(url: str) -> bool:
    """Whether ``url`` serves the worker's metrics (``mailflow_events_processed_total``)."""
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return r.status == 200 and b"mailflow_events_processed_total" in r.read()
    except Exception:
        return False
