"""The stream agents: decode, score, emit, count -- in batches.

Events are handled a batch at a time in one synchronous pass
(:meth:`BatchProcessor.handle_messages`), with no await per event:

* decode each value with :func:`detectors.events.parse_event`; a rejected event
  goes to the dead-letter topic with its original bytes and the reason in headers;
* score it with ``Sentinel.process(event, state)`` against the sender's learned
  ``SenderState`` from the table;
* emit each alert (contract JSON, keyed by sender) to the alerts topic;
* count everything in :class:`streams.metrics.Metrics` (per-event histograms are
  counted locally and added once per batch);
* mark each touched sender's state dirty; :meth:`BatchProcessor.flush_states`
  writes each dirty sender to the table's changelog once.

Two ways in
-----------

*Bulk path (the worker; ``bulk_read=True``, the default).* Faust's own fetch loop
hands every record on its own through the conductor, a channel queue, an
``Event``, the stream's processors and an awaited ack -- several times the cost of
the detectors. :func:`install_bulk_reader` replaces the consumer's fetch loop
(``Consumer._drain_messages``) so that all input records of one fetch (up to
``max_poll_records``) go to ``handle_messages`` at once. Faust still owns the
group, the assignment, pausing during rebalances and recovery, the table and its
changelog; records of other topics (changelogs during recovery) still take
Faust's per-message path. The agent stays registered on the input topic (so Faust
subscribes to it, tracks its acks and co-partitions the table) but sees no events.

*Agent path (``bulk_read=False``, and ``agent.test_context()`` in tests).* The
agent takes up to ``batch_size`` events with ``take_events`` and calls
:meth:`BatchProcessor.handle`, which writes the touched states at the end of each
batch; ``take_events`` acks the batch after.

State writes and at-least-once (the trade-off)
----------------------------------------------

A ``SenderState`` pickles to ~15 kB and takes ~0.8 ms to pickle, so writing it
per batch is a large share of the cost when batches are small. In the bulk path
the dirty states are written at most every ``state_flush_interval`` seconds
(default 1 s; also when 50,000 input records are waiting, on a flush timer when
the input is idle, and before partitions are revoked, followed by a producer
flush). Input records are **acked only after** the states they changed were handed
to the producer (``flush_states`` sends, then acks), and Faust commits only acked
offsets and flushes its producer before committing. So a committed offset never
runs ahead of the state in the changelog: after a crash, the records since the
last commit are delivered again; those already in the restored state are
recognised by their event ids (``Outcome.duplicate``) and not learned twice, the
others are learned. The price: up to ``state_flush_interval`` seconds (plus the
commit interval) of records are re-read after a crash, and alerts raised from
them may be emitted twice (alerts are at least once anyway). ``0`` writes after
every fetched batch.

Sends are buffered (``send_soon``); Faust flushes the producer before it commits
the input offsets, so delivery is at least once, and the state recognises
re-delivered events (``Outcome.duplicate``).
"""
from __future__ import annotations

import asyncio
import logging
import time
import weakref
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from faust.streams import _current_event

from detectors.errors import EventRejected
from detectors.events import parse_event

from .models import dlq_headers
from .metrics import OTHER

if TYPE_CHECKING:  # pragma: no cover
    from .app import MailflowApp

__all__ = ["BatchProcessor", "register_agents", "install_bulk_reader", "make_bulk_drain", "ack_offsets", "INTERNAL_ERROR", "FETCH_MAX_WAIT_MS"]

log = logging.getLogger(__name__)

#: Fetch long-poll of the bulk path's consumer, milliseconds (Faust's own: 1500).
FETCH_MAX_WAIT_MS = 100

#: DLQ reason of a valid event the detectors failed on (a bug, not bad input).
INTERNAL_ERROR = "internal_error"


class _PartitionEvent:
    """Stands in for Faust's current event while a batch writes the table store.

    Stores that keep one database per partition (RocksDB) ask the current event
    which partition a key belongs to; the batch path runs outside Faust's
    per-event context, so it names the input partition itself.
    """

    __slots__ = ("message", "__weakref__")

    def __init__(self, partition: int) -> None:
        self.message = SimpleNamespace(partition=partition)


def store_put(data: Any, key: str, value: Any, partition: int | None) -> None:
    """``data[key] = value`` on a table store, with the partition known to the store."""
    if partition is None or not hasattr(data, "_db_for_partition"):
        data[key] = value
        return
    shim = _PartitionEvent(partition)
    token = _current_event.set(weakref.ref(shim))
    try:
        data[key] = value
    finally:
        _current_event.reset(token)


class BatchProcessor:
    """Handles one batch of input events; all per-event work, no awaits."""

    def __init__(self, mapp: "MailflowApp") -> None:
        self.mapp = mapp
        self.sentinel = mapp.sentinel
        self.metrics = mapp.metrics
        self.table = mapp.table
        self.topics = mapp.topics
        cfg = mapp.sentinel_config
        self.max_bytes = cfg.max_event_bytes
        self.max_recipients = cfg.max_recipients
        #: event-time watermark (max event ts seen) and the wall time it was seen
        self.watermark: float | None = None
        self.watermark_wall: float = 0.0
        #: sender -> input partition, for senders with open episodes (expiry writes)
        self.partition_of: dict[str, int] = {}
        #: sender -> (input partition, state): learned since the last changelog write
        self.dirty: dict[str, tuple[int, Any]] = {}
        #: bulk path: (partition, offsets) processed but not acked until their states are written
        self.unacked: list[tuple[Any, Sequence[int]]] = []
        #: bulk path: the Faust consumer whose offsets are acked (set by :func:`install_bulk_reader`)
        self.consumer: Any = None
        self.last_flush = time.monotonic()
        self.flush_interval = float(getattr(mapp.settings, "state_flush_interval", 0.0))
        self.flush_max_pending = 50_000

    # ------------------------------------------------------------------ batch
    def handle(self, events: Sequence[Any]) -> None:
        """Process a batch of Faust events (``event.message`` carries value, partition, offset)
        and write the touched senders' states to the changelog (the agent path)."""
        self.handle_messages([ev.message for ev in events])
        self.flush_states()

    def flush_states(self) -> int:
        """Write each dirty sender's state to the table's changelog (once per sender), then
        ack the input messages that were waiting for it; returns how many states were written."""
        dirty = self.dirty
        n = len(dirty)
        if dirty:
            send_changelog = self.table.send_changelog
            for sender, (partition, state) in dirty.items():
                send_changelog(partition, sender, state)
            dirty.clear()
        self.last_flush = time.monotonic()
        waiting = self.unacked
        if waiting:
            self.unacked = []
            if self.consumer is not None:
                ack_offsets(self.consumer, waiting)
        return n

    def handle_messages(self, messages: Sequence[Any]) -> None:
        """Process a batch of Kafka messages (``value``, ``key``, ``topic``, ``partition``, ``offset``)."""
        sentinel = self.sentinel
        m = self.metrics
        process = sentinel.process
        data = self.table.data
        perf = time.perf_counter
        max_bytes, max_recipients = self.max_bytes, self.max_recipients
        # sender -> [state, partition, processed, unrelated_sum, dirty, {template: volume}]
        touched: dict[str, list] = {}
        processed = duplicates = late = 0
        max_ts = None
        proc_time = m.processing_batch.observe
        score = m.scores_batched
        alerts_out: list[tuple[Any, int]] = []
        ended_out: list[Any] = []
        for msg in messages:
            value = msg.value
            try:
                e = parse_event(value if value is not None else b"", max_bytes=max_bytes, max_recipients=max_recipients)
            except EventRejected as exc:
                self.dead_letter(msg, exc.reason, exc.detail)
                continue
            sender = e.sender
            slot = touched.get(sender)
            if slot is None:
                state = data.get(sender)
                if state is None:
                    state = sentinel.new_state(sender)
                slot = touched[sender] = [state, msg.partition, 0, 0, False, {}]
            t0 = perf()
            try:
                out = process(e, slot[0], (msg.partition, msg.offset))
            except Exception as exc:  # a detector bug must not stop the stream
                log.warning("detectors failed on event at %s[%s]@%s: %s", msg.topic, msg.partition, msg.offset, type(exc).__name__)
                self.dead_letter(msg, INTERNAL_ERROR, f"detectors raised {type(exc).__name__}")
                continue
            proc_time(perf() - t0)
            if out.duplicate:
                duplicates += 1
                continue
            processed += 1
            late += out.late
            slot[2] += 1
            slot[3] += out.unrelated
            slot[4] = True
            if out.volume is not None:
                slot[5][out.template] = out.volume
            if max_ts is None or e.ts > max_ts:
                max_ts = e.ts
            if out.scores:
                score(out.scores)
            if out.alerts:
                for a in out.alerts:
                    alerts_out.append((a, msg.partition))
            if out.ended:
                ended_out.extend(out.ended)
        # ---- once per batch: emit, persist, count
        now = time.time()
        for a, partition in alerts_out:
            self.emit_alert(a)
            m.alert(a, now, partition)
            self.partition_of[a.sender] = partition
        for end in ended_out:
            m.episode_ended(end)
        pending = self.dirty
        for sender, (state, partition, n, unrelated_sum, dirty, volumes) in touched.items():
            if not dirty:
                continue
            store_put(data, sender, state, partition)
            pending[sender] = (partition, state)
            label = m.sender_batch(sender, n, unrelated_sum)
            if label != OTHER:
                for template, volume in volumes.items():
                    m.template_volume(sender, label, template, volume, n)
        m.flush_batches()
        if processed:
            m.events_processed.inc(processed)
        if duplicates:
            m.events_duplicate.inc(duplicates)
        if late:
            m.events_late.inc(late)
        if max_ts is not None and (self.watermark is None or max_ts > self.watermark):
            self.watermark = max_ts
            self.watermark_wall = now
            m.last_event_ts.set(max_ts)

    # ---------------------------------------------------------------- outputs
    def emit_alert(self, alert) -> None:
        self.topics.alerts.send_soon(key=alert.sender.encode(), value=alert.to_json())

    def dead_letter(self, msg, reason: str, detail: str) -> None:
        value = msg.value
        if value is not None and not isinstance(value, (bytes, bytearray)):
            value = bytes(value) if isinstance(value, memoryview) else str(value).encode("utf-8", "replace")
        key = msg.key if isinstance(msg.key, (bytes, bytearray)) or msg.key is None else str(msg.key).encode()
        self.topics.dlq.send_soon(
            key=key,
            value=value,
            headers=dlq_headers(reason, detail, msg.topic, msg.partition, msg.offset),
        )
        if reason == INTERNAL_ERROR:
            self.metrics.events_failed.inc()
        else:
            self.metrics.rejected(reason)

    # ------------------------------------------------------------------ timers
    def event_now(self) -> float | None:
        """Event-time "now": the watermark advanced by the wall time since it was seen."""
        if self.watermark is None:
            return None
        return self.watermark + max(0.0, time.time() - self.watermark_wall)

    def expire(self) -> int:
        """Close the episodes whose quiet period passed; returns how many ended."""
        now = self.event_now()
        if now is None:
            return 0
        data = self.table.data
        n = 0
        for sender in list(self.metrics.active.senders()):
            state = data.get(sender)
            partition = self.partition_of.get(sender)
            if state is None:
                continue
            ended = self.sentinel.expire(state, now)
            if not ended:
                continue
            n += len(ended)
            for end in ended:
                self.metrics.episode_ended(end)
            store_put(data, sender, state, partition)
            self.table.send_changelog(partition, sender, state)
        for sender in list(self.partition_of):
            if sender not in self.metrics.active.senders():
                self.partition_of.pop(sender, None)
        return n

    def update_lag(self) -> None:
        consumer = self.mapp.app.consumer
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
            committed = consumer._committed_offset.get(tp)
            lags[tp.partition] = hw - (committed or 0)
        self.metrics.set_lag(lags)

    def revoked(self, partitions: Iterable[int]) -> None:
        parts = set(partitions)
        self.metrics.active.forget_partitions(parts)
        for s, p in list(self.partition_of.items()):
            if p in parts:
                self.partition_of.pop(s, None)


def register_agents(mapp: "MailflowApp") -> None:
    """Attach the agent and timers to ``mapp.app``."""
    app = mapp.app
    settings = mapp.settings
    proc = mapp.processor

    async def sentinel_agent(stream):
        async for events in stream.take_events(settings.batch_size, within=settings.batch_within):
            try:
                proc.handle(events)
            except Exception:  # never crash the worker on one batch
                log.exception("batch of %d events failed", len(events))

    mapp.agent = app.agent(mapp.topics.input, name="mailflow.sentinel", concurrency=1)(sentinel_agent)

    async def expire_timer() -> None:
        proc.expire()

    async def lag_timer() -> None:
        proc.update_lag()

    async def flush_timer() -> None:
        # bulk path: an idle input still gets its states written and its offsets acked
        if (proc.dirty or proc.unacked) and time.monotonic() - proc.last_flush >= proc.flush_interval:
            proc.flush_states()

    app.timer(settings.expire_interval, name="mailflow.expire")(expire_timer)
    app.timer(settings.lag_interval, name="mailflow.lag")(lag_timer)
    app.timer(max(0.1, settings.state_flush_interval / 2), name="mailflow.flush")(flush_timer)

    async def on_revoked(sender, revoked, **kwargs) -> None:
        topic = mapp.topics.input.get_topic_name()
        # hand every pending state to the producer and wait for it, before another
        # worker can take the partitions over and rebuild the table from the changelog
        if proc.flush_states():
            await app.producer.flush()
        proc.revoked(tp.partition for tp in revoked if tp.topic == topic)

    app.on_partitions_revoked.connect(on_revoked)


# ---------------------------------------------------------------------------
# bulk reading of the input topic (the worker's fast path)

def ack_offsets(consumer: Any, pending: Sequence[tuple[Any, Sequence[int]]]) -> int:
    """Mark input ``offsets`` as acked on Faust's ``consumer``, per partition, in bulk.

    The same bookkeeping as ``Consumer.ack(message)`` for each offset (under the
    same lock: offsets below the committed one or already acked are skipped, the
    rest are added to the acked index and list and counted for ``commit_every``),
    without building a Faust ``Message`` per record. Faust's commit then finds the
    new offset from these lists as usual. Returns how many offsets were acked.
    """
    from faust.types.tuples import ack_lock
    from mode.utils.futures import notify

    enabled = consumer.app.topics.acks_enabled_for
    committed_of = consumer._committed_offset
    n = 0
    with ack_lock:
        for tp, offsets in pending:
            if not offsets or not enabled(tp.topic):
                continue
            committed = committed_of[tp]
            if committed is not None and offsets[0] < committed:
                offsets = [o for o in offsets if o >= committed]
            index = consumer._acked_index[tp]
            if not index.isdisjoint(offsets):
                offsets = [o for o in offsets if o not in index]
            if not offsets:
                continue
            index.update(offsets)
            consumer._acked[tp].extend(offsets)
            n += len(offsets)
        if n:
            consumer._n_acked += n
        notify(consumer._waiting_for_ack)
    return n


def make_bulk_drain(consumer: Any, proc: BatchProcessor, input_topic: str):
    """A replacement for Faust's ``Consumer._drain_messages`` that hands the input
    topic to ``proc`` one fetched batch at a time.

    Faust's own fetch loop delivers every record on its own (an async iterator
    step, a ``Message`` per record, a ``wait_first`` with two futures, the
    conductor lock, a channel queue, an ``Event``, the stream's processors, an
    awaited ack), which costs far more than the detectors themselves. Here, the
    records of one fetch (``Consumer._wait_next_records``, up to
    ``broker_max_poll_records``) that belong to the input topic go, as aiokafka
    returned them, to :meth:`BatchProcessor.handle_messages` in one synchronous
    pass. Their offsets are acked per partition with :func:`ack_offsets` -- the same
    bookkeeping Faust's stream acks end in, so Faust's commit of acked offsets
    (after its producer flush) is unchanged -- but only once
    :meth:`BatchProcessor.flush_states` has written the states they changed (see
    the module docstring). Records of any other topic (table changelogs during
    recovery / standby) still take Faust's own per-message path.

    Kept from Faust's ``getmany``/``_drain_messages``: only active (or buffered)
    partitions are read; nothing is read while the flow is stopped (a rebalance),
    and a fetch that returns then seeks back to the committed offsets; records
    below the partition's read offset are dropped; holes in the offsets (compacted
    or transactional markers) are recorded as gaps so commits can pass them; a batch
    is dropped if a rebalance started while it was fetched (Faust then seeks back
    to the committed offsets).

    Faust still owns the consumer group, the assignment, the table and its
    changelog. The agent stays registered on the input topic (so Faust
    subscribes to it, tracks acks for it and co-partitions the table) but, in a
    worker, sees no events; ``agent.test_context()`` still drives it in tests.
    """
    from faust.transport.consumer import CONSUMER_FETCHING

    async def _drain_messages(fetcher: Any) -> None:  # pragma: no cover - exercised by the broker tests
        self = consumer
        callback = self.callback
        wait_next_records = self._wait_next_records
        to_message = self._to_message
        consumer_should_stop = self._stopped.is_set
        fetcher_should_stop = fetcher._stopped.is_set
        read_offset = self._read_offset
        set_flag = self.diag.set_flag
        unset_flag = self.diag.unset_flag
        acks_enabled_for = self.app.topics.acks_enabled_for
        monotonic = time.monotonic
        suspended = self.suspend_flow.is_set
        app = self.app
        handle = proc.handle_messages

        async def read(tp: Any, offset: int) -> bool:
            """Faust's read-offset rule: False for a record already read; else record a
            hole before it as a gap (so commits can pass it) and move the read offset."""
            r_offset = read_offset[tp]
            if r_offset is not None and offset < r_offset:
                return False
            if r_offset and offset - r_offset > 1 and acks_enabled_for(tp.topic):
                await self._add_gap(tp, r_offset + 1, offset)
            read_offset[tp] = offset
            return True

        try:
            while not (consumer_should_stop() or fetcher_should_stop()):
                set_flag(CONSUMER_FETCHING)
                records, active = await wait_next_records(1.0)
                await self.sleep(0)
                if records is None or self.should_stop:
                    unset_flag(CONSUMER_FETCHING)
                    continue
                if not self.flow_active:
                    # as Faust's getmany: a fetch while the flow is stopped seeks back
                    try:
                        await self.perform_seek()
                    except Exception as exc:
                        log.warning("seek while the flow is stopped failed: %r", exc)
                    unset_flag(CONSUMER_FETCHING)
                    continue
                if not records:
                    unset_flag(CONSUMER_FETCHING)
                    continue
                generation = app.consumer_generation_id
                buffered = self._buffered_partitions
                track_end = app.monitor.track_tp_end_offset
                batch: list = []
                acks: list[tuple[Any, Sequence[int]]] = []
                for tp, recs in records.items():
                    if not recs or (active is not None and tp not in active and tp not in buffered):
                        continue
                    track_end(tp, self.highwater(tp))
                    if tp.topic != input_topic:
                        for rec in recs:  # Faust's own per-message path
                            if app.consumer_generation_id != generation:
                                break
                            if await read(tp, rec.offset):
                                await self.wait_first(callback(to_message(tp, rec)), self.suspend_flow.wait())
                        continue
                    r_offset = read_offset[tp]
                    first, last = recs[0].offset, recs[-1].offset
                    if (r_offset is None or first >= r_offset) and last - first == len(recs) - 1:
                        # the common case: consecutive offsets, none read before
                        await read(tp, first)
                        read_offset[tp] = last
                        batch.extend(recs)
                        acks.append((tp, range(first, last + 1)))
                        continue
                    kept = [rec for rec in recs if await read(tp, rec.offset)]
                    batch.extend(kept)
                    acks.append((tp, [rec.offset for rec in kept]))
                if batch:
                    if suspended() or not self.flow_active or app.consumer_generation_id != generation:
                        # a rebalance started: drop; Faust seeks back to the committed offsets
                        unset_flag(CONSUMER_FETCHING)
                        continue
                    try:
                        handle(batch)
                    except Exception:  # never crash the worker on one batch
                        log.exception("batch of %d events failed", len(batch))
                    unacked = proc.unacked
                    unacked.extend(acks)
                    if (
                        monotonic() - proc.last_flush >= proc.flush_interval
                        or sum(len(offsets) for _, offsets in unacked) >= proc.flush_max_pending
                    ):
                        proc.flush_states()  # writes the states, then acks
                    commit_every = self._commit_every
                    if commit_every is not None and self._n_acked >= commit_every:
                        self._n_acked = 0
                        await self.commit()
                unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                log.info("Broker stopped consumer, shutting down...")
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                log.info("Consumer shutting down for user cancel.")
                return
            raise
        except Exception as exc:
            log.exception("Drain messages raised: %r", exc)
            raise
        finally:
            unset_flag(CONSUMER_FETCHING)

    return _drain_messages


def install_bulk_reader(mapp: "MailflowApp", consumer: Any) -> None:
    """Make ``consumer`` (the app's Faust consumer) read the input topic in bulk."""
    mapp.processor.consumer = consumer
    # Faust builds its aiokafka consumer with fetch_max_wait_ms=1500. aiokafka keeps one
    # fetch request in flight per broker, so while caught-up partitions long-poll
    # for 1.5 s the partitions that still have records wait too: shorten the poll.
    thread = getattr(consumer, "_thread", None)
    create = getattr(thread, "_create_worker_consumer", None)
    if create is not None:
        def _create_worker_consumer(transport: Any) -> Any:
            c = create(transport)
            if hasattr(c, "_fetch_max_wait_ms"):
                c._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
            return c

        thread._create_worker_consumer = _create_worker_consumer
    consumer._drain_messages = make_bulk_drain(consumer, mapp.processor, mapp.topics.input.get_topic_name())
