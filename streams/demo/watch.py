"""The thread that reads the alerts topic while the demo plays (kafka-python)."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

import orjson

__all__ = ["AlertReader"]


class AlertReader(threading.Thread):
    """Reads the alerts topic from its current end and hands each alert to ``on_alert``.

    The end offsets are resolved in the constructor, so every alert written after
    it returns is seen. A daemon thread; :meth:`stop` ends it.

    Parameters
    ----------
    bootstrap
        ``host:port`` of the brokers.
    topic
        The alerts topic; waited for up to 15 s.
    on_alert
        Called (on this thread) with each decoded alert object.

    """

    def __init__(self, bootstrap: list[str], topic: str, on_alert: Callable[[dict[str, Any]], None]) -> None:
        super().__init__(name="mailflow-demo-alerts", daemon=True)
        from kafka import KafkaConsumer, TopicPartition

        self.consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                      client_id="mailflow-demo-alerts")
        deadline = time.monotonic() + 15
        parts = None
        while time.monotonic() < deadline:
            parts = self.consumer.partitions_for_topic(topic)
            if parts:
                break
            time.sleep(0.2)
        if not parts:
            raise RuntimeError(f"alerts topic {topic!r} not found on the broker")
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        self.consumer.assign(tps)
        self.consumer.seek_to_end(*tps)
        for tp in tps:
            self.consumer.position(tp)  # resolve now: alerts from here on are ours
        self.on_alert = on_alert
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                for records in self.consumer.poll(timeout_ms=200).values():
                    for r in records:
                        try:
                            alert = orjson.loads(r.value)
                        except orjson.JSONDecodeError:
                            continue
                        if isinstance(alert, dict):
                            self.on_alert(alert)
        except BaseException as exc:  # pragma: no cover - reported at the end
            self.error = exc
        finally:
            try:
                self.consumer.close(autocommit=False)
            except Exception:
                pass

    def stop(self) -> None:
        """Ask the thread to end and wait for it (up to 5 s)."""
        self.stopping.set()
        self.join(5)
