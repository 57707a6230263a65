"""The guard's view of ``mail.alerts``: an aiokafka consumer that feeds a :class:`HoldSet`.

* No consumer group: the guard reads every partition of the alerts topic itself (each
  guard next to each MTA has the full view; nothing is committed).
* On start it seeks every partition to ``now - lookback`` (``offsets_for_times``; the
  beginning where the broker cannot answer that) and reads up to the end offsets it saw
  at start before it calls its view **loaded**: a restarted guard knows the open holds.
  Alerts older than the quiet period are skipped by the hold set itself.
* **Freshness**: :attr:`AlertView.age` is the seconds since the broker last answered a
  fetch for every partition (aiokafka ``last_poll_timestamp``), ``inf`` before the view
  is loaded. The guard treats an age beyond ``--max-staleness`` as stale (fail open:
  ``DUNNO``; ``--fail-closed``: ``HOLD``).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Any, Callable

import orjson

from .holds import HoldSet, sender_hash

__all__ = ["AlertView"]

log = logging.getLogger("mailflow.guard.alerts")


class AlertView:
    """Consumes the alerts topic into ``holds``; ``on_hold(hold, alert)`` for each opened/extended hold."""

    def __init__(self, settings: Any, holds: HoldSet, lookback: float,
                 on_hold: Callable[[Any, dict], None] | None = None, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings  # WorkerSettings
        self.holds = holds
        self.lookback = lookback
        self.on_hold = on_hold
        self.clock = clock
        self.loaded = False
        self.alerts_read = 0
        self.bad_records = 0
        self._consumer = None
        self._ends: dict = {}
        self._task: asyncio.Task | None = None
        self._stopping = False

    # -- freshness
    @property
    def age(self) -> float:
        """Seconds since the broker last answered a fetch for all partitions (inf: not loaded)."""
        c = self._consumer
        if not self.loaded or c is None:
            return math.inf
        parts = c.assignment()
        if not parts:
            return math.inf
        stamps = []
        for tp in parts:
            ts = c.last_poll_timestamp(tp)
            if ts is None or ts <= 0:
                return math.inf
            stamps.append(ts / 1000.0)
        return max(0.0, time.time() - min(stamps))

    # -- life cycle
    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        if self._consumer is not None:
            try:
                await asyncio.wait_for(self._consumer.stop(), 5)
            except (Exception, asyncio.CancelledError):  # aiokafka's stop with the broker gone
                pass

    def apply(self, value: bytes | None) -> None:
        if not value:
            return
        try:
            alert = orjson.loads(value)
        except orjson.JSONDecodeError:
            self.bad_records += 1
            return
        if not isinstance(alert, dict):
            self.bad_records += 1
            return
        self.alerts_read += 1
        h = self.holds.apply_alert(alert, self.clock())
        if h is not None and self.on_hold is not None:
            self.on_hold(h, alert)

    def _consumer_config(self) -> dict[str, Any]:
        w = self.settings
        cfg: dict[str, Any] = dict(bootstrap_servers=",".join(w.bootstrap_servers), group_id=None,
                                   enable_auto_commit=False, auto_offset_reset="earliest",
                                   client_id="mailflow-guard", request_timeout_ms=15000,
                                   retry_backoff_ms=200, fetch_max_wait_ms=200, metadata_max_age_ms=30000)
        if w.security_protocol != "PLAINTEXT":
            cfg["security_protocol"] = w.security_protocol
            ctx = w.ssl_context()
            if ctx is not None:
                cfg["ssl_context"] = ctx
            if w.sasl_mechanism:
                cfg.update(sasl_mechanism=w.sasl_mechanism, sasl_plain_username=w.sasl_username,
                           sasl_plain_password=w.sasl_password)
        return cfg

    async def _connect(self):
        from aiokafka import AIOKafkaConsumer, TopicPartition

        topic = self.settings.alerts_topic
        c = AIOKafkaConsumer(**self._consumer_config())
        await c.start()
        try:
            while True:
                topics = await c.topics()
                parts = c.partitions_for_topic(topic) if topic in topics else None
                if parts:
                    break
                log.info("guard: alerts topic %s not there yet; waiting", topic)
                await asyncio.sleep(1.0)
            tps = [TopicPartition(topic, p) for p in sorted(parts)]
            c.assign(tps)
            since_ms = int((self.clock() - self.lookback) * 1000)
            try:
                found = await c.offsets_for_times({tp: max(0, since_ms) for tp in tps})
            except Exception as exc:  # a broker without timestamp lookups: read it all, the hold set filters
                log.info("guard: offsets_for_times failed (%s); reading the alerts from the beginning",
                         type(exc).__name__)
                found = {}
            for tp in tps:
                off = found.get(tp)
                if off is not None:
                    c.seek(tp, off.offset)
                else:
                    await c.seek_to_beginning(tp)
            self._ends = await c.end_offsets(tps)
        except BaseException:
            await c.stop()
            raise
        return c

    async def _caught_up(self) -> bool:
        c = self._consumer
        for tp, end in self._ends.items():
            if await c.position(tp) < end:
                return False
        return True

    async def _run(self) -> None:
        backoff = 1.0
        while not self._stopping:
            try:
                if self._consumer is None:
                    self._consumer = await self._connect()
                    backoff = 1.0
                batches = await self._consumer.getmany(timeout_ms=200, max_records=1000)
                for records in batches.values():
                    for r in records:
                        self.apply(r.value)
                if not self.loaded and await self._caught_up():
                    self.loaded = True
                    log.info("guard: alert view loaded (%d alerts read, %d holds open)", self.alerts_read,
                             len(self.holds))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("guard: reading the alerts topic failed (%s); retrying in %.0fs", type(exc).__name__, backoff)
                c, self._consumer = self._consumer, None
                if c is not None:
                    try:
                        await asyncio.wait_for(c.stop(), 5)
                    except (Exception, asyncio.CancelledError):
                        if self._stopping:
                            raise
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)


def describe_hold(h) -> str:
    return f"sender {sender_hash(h.sender)} ({len(h.templates)} template(s), detectors {','.join(sorted(h.detectors))})"
