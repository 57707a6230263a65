"""The stream agents: decode, score, emit, count -- in batches.

Events are handled a batch at a time in one synchronous pass
(:meth:`BatchProcessor.handle_messages`), with no await per event:

* decode each value with :func:`detectors.events.parse_event`; a rejected event
  goes to the dead-letter topic with its original bytes and the reason in headers
  (:mod:`streams.deadletter`: truncated if larger than the topic allows, retried,
  never fatal, written before the batch is acked; ``docs/dead-letters.md``);
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
the detectors. The consumer of :mod:`streams.seam` (the one module that touches
Faust's internals) replaces the fetch loop so that all input records of one
fetch (up to ``max_poll_records``) go to :meth:`BatchProcessor.handle_reliably`
at once (acked through the ``ack`` callback once their states are written). Faust still owns the
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

A ``SenderState`` encodes to ~5-45 kB (:mod:`detectors.statecodec`) in ~0.1-0.4 ms, so writing it
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

This module imports neither Faust nor :mod:`streams.app`: the batch processor
gets its collaborators (sentinel, store, outputs, metrics, clock, ack and failure
callbacks) in its constructor, and :func:`register_agents` the Faust objects it
wires.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Iterable, Iterator, Protocol, Sequence

from detectors import statecodec
from detectors.errors import EventRejected
from detectors.events import parse_event

from .deadletter import DEFAULT_MAX_BYTES, PRODUCER_MAX_REQUEST_SIZE, DeadLetter, DeadLetterWriter, make_dead_letter
from .metrics import OTHER

__all__ = ["BatchProcessor", "ProcessorConfig", "Outputs", "Store", "Clock", "register_agents",
           "store_put", "INTERNAL_ERROR"]

log = logging.getLogger(__name__)

#: DLQ reason of a valid event the detectors failed on (a bug, not bad input).
INTERNAL_ERROR = "internal_error"


class Store(Protocol):
    """The learned-state table as the batch processor uses it (``streams.seam.TableStore``)."""

    #: does the store hand out copies of the states (a serialized store: RocksDB)?
    copies: bool

    def get(self, key: str, count_refused: bool = True) -> Any:
        """The state of ``key``, or None (none, or a refused record: counted if ``count_refused``)."""

    def contains_object(self, key: str, obj: Any) -> bool:
        """Is ``obj`` the very object the store holds for ``key``?"""

    def put(self, key: str, value: Any, partition: int | None) -> None: ...

    def delete(self, key: str, partition: int) -> None: ...

    def send_changelog(self, partition: int | None, key: str, value: Any, **kw: Any) -> Any: ...

    def items(self) -> tuple[Iterator[tuple[str, Any]], dict[str, int]]:
        """``(key, state)`` pairs, and a key -> partition index if the store keeps one."""


@dataclass
class Outputs:
    """Where the batch processor's records go."""

    #: ``send_alert(key=..., value=...)``: buffered, not awaited
    send_alert: Callable[..., Any]
    #: ``await send_dead_letter(key=..., value=..., headers=...)``: sent now, delivery awaited
    send_dead_letter: Callable[..., Awaitable[Any]]


class Clock(Protocol):
    def time(self) -> float: ...

    def monotonic(self) -> float: ...


class _SystemClock:
    """Wall and monotonic time of the system."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


@dataclass
class ProcessorConfig:
    """The batch processor's limits (from the worker and detector settings)."""

    max_event_bytes: int
    max_recipients: int
    #: an event dated further than this ahead of the wall clock does not move the watermark
    max_clock_skew_seconds: float = 3600.0
    #: at most this many senders' states (the least recently active are evicted)
    max_senders: int = 100_000
    state_flush_interval: float = 0.0
    dead_letter_max_bytes: int = DEFAULT_MAX_BYTES
    producer_max_request_size: int = PRODUCER_MAX_REQUEST_SIZE


def store_put(store: Store, key: str, value: Any, partition: int | None) -> None:
    """``store[key] = value``, with the partition known to the store."""
    store.put(key, value, partition)


class BatchProcessor:
    """Handles one batch of input events; all per-event work, no awaits."""

    def __init__(
        self,
        *,
        sentinel: Any,
        store: Store,
        outputs: Outputs,
        metrics: Any,
        config: ProcessorConfig,
        clock: Clock | None = None,
        ack: Callable[[list[tuple[Any, Sequence[int]]]], Any] | None = None,
        on_failure: Callable[[Sequence[Any], BaseException], None] | None = None,
        assigned_partitions: Callable[[], set[int]] | None = None,
    ) -> None:
        """Collaborators, all explicit (fakes in tests):

        * ``sentinel``: the detectors (``process``, ``new_state``, ``expire``, ``note_alert``,
          ``open_episodes``); ``store``: the learned-state table (:class:`Store`);
          ``outputs``: the alert and dead-letter senders; ``metrics``: :class:`streams.metrics.Metrics`;
          ``clock``: wall and monotonic time;
        * ``ack(pending)``: bulk path, acks ``[(partition, offsets)]`` once their states are
          written (``None``: the agent stream acks);
        * ``on_failure(messages, exc)``: told of every batch attempt that raised;
        * ``assigned_partitions()``: the input partitions this worker is assigned.
        """
        self.sentinel = sentinel
        self.store = store
        self.outputs = outputs
        self.metrics = metrics
        self.config = config
        self.clock = clock or _SystemClock()
        self.ack = ack
        self.on_failure = on_failure
        self._assigned = assigned_partitions
        self.max_bytes = config.max_event_bytes
        self.max_recipients = config.max_recipients
        #: event-time watermark (max event ts seen) and the wall time it was seen
        self.watermark: float | None = None
        self.watermark_wall: float = 0.0
        #: sender -> input partition, for senders with open episodes (expiry writes)
        self.partition_of: dict[str, int] = {}
        self.max_skew = float(config.max_clock_skew_seconds)
        self.max_senders = int(config.max_senders)
        #: sender -> input partition of every sender whose state this worker keeps,
        #: least recently active first (the eviction order)
        self.recent: OrderedDict[str, int] = OrderedDict()
        #: sender -> (input partition, state): learned since the last changelog write
        self.dirty: dict[str, tuple[int, Any]] = {}
        #: bulk path: (partition, offsets) processed but not acked until their states are written
        self.unacked: list[tuple[Any, Sequence[int]]] = []
        self.last_flush = self.clock.monotonic()
        self.flush_interval = float(config.state_flush_interval)
        self.flush_max_pending = 50_000
        # ---- dead letters and failures (docs/dead-letters.md)
        #: dead letters of the batches handled since the last :meth:`write_dead_letters`
        self.dead_letters: list[DeadLetter] = []
        self.dead_letter_max_bytes = min(int(config.dead_letter_max_bytes),
                                         int(config.producer_max_request_size or PRODUCER_MAX_REQUEST_SIZE))
        self.dlq_writer = DeadLetterWriter(self._send_dead_letter, self.metrics, max_bytes=self.dead_letter_max_bytes)
        #: a batch that raises is rolled back and tried this often (backoff doubling), then record by record
        self.batch_attempts = 3
        self.batch_backoff = 0.5
        #: restore points after a failure (see :meth:`restore_state`). A serialized store
        #: (RocksDB) hands out a fresh copy of the state as of the sender's last batch, so
        #: nothing is kept. The memory store hands out the live object the detectors
        #: change in place, so for it: sender -> (id of the live state, encoded state of
        #: its last changelog write, or None for a sender that had none), taken from the
        #: changelog write itself (no extra encoding; one encoding at a sender's first
        #: batch after a start, a restore or the expiry of its point), and the events
        #: applied since then.
        #: Kept for the senders written (or first touched) in the last ``restore_point_seconds``
        #: only, oldest first: an idle sender's live state is its persisted one, and its
        #: restore point is taken again (one encoding) when it comes back.
        self._bases: OrderedDict[str, tuple[int, bytes | None]] = OrderedDict()
        self._bases_at: dict[str, float] = {}
        self.restore_point_seconds = 60.0
        #: does the table store hand out copies (serialized store)? Known at the first batch.
        self._store_copies: bool | None = None
        #: memory store: the applied-event lists of the batches since the last state flush
        #: (one list per batch, kept by reference: no per-event work), and per sender the
        #: first of those batches its restore point does not contain
        self._since_batches: list[list[tuple[str, Any, int, int]]] = []
        self._base_batch: dict[str, int] = {}
        self._bases_sweep_at = 4096
        #: the batch being handled: its touched senders and the events applied, in order
        self._batch: tuple[dict[str, list], list[tuple[str, Any, int, int]]] = ({}, [])

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
            send_changelog = self.store.send_changelog
            bases = None if self._store_copies else self._bases
            for sender, (partition, state) in dirty.items():
                fut = send_changelog(partition, sender, state)
                if bases is not None:  # the written bytes are the memory store's restore point
                    blob = getattr(getattr(fut, "message", None), "value", None)
                    if isinstance(blob, bytes):
                        self._keep_base(sender, id(state), blob)
                    else:
                        bases.pop(sender, None)
            dirty.clear()
            if bases is not None:
                self._since_batches = []
                self._base_batch.clear()
                self._expire_bases()
                if len(bases) > self._bases_sweep_at:
                    self._sweep_bases()
        self.last_flush = self.clock.monotonic()
        waiting = self.unacked
        if waiting:
            self.unacked = []
            if self.ack is not None:
                self.ack(waiting)
        return n

    def defer_acks(self, acks: Sequence[tuple[Any, Sequence[int]]]) -> None:
        """Bulk path: ``acks`` were handled; they are acked by :meth:`flush_states`, which runs
        now if ``state_flush_interval`` passed or too many records wait."""
        unacked = self.unacked
        unacked.extend(acks)
        if (
            self.clock.monotonic() - self.last_flush >= self.flush_interval
            or sum(len(offsets) for _, offsets in unacked) >= self.flush_max_pending
        ):
            self.flush_states()  # writes the states, then acks

    def forget_acks(self, tp: Any) -> None:
        """Drop the pending acks of input partition ``tp`` (its bookkeeping was reset)."""
        self.unacked = [(t, offsets) for t, offsets in self.unacked if t != tp]

    def flush_due(self) -> bool:
        """Is there something to write or ack, and did ``state_flush_interval`` pass?"""
        return bool(self.dirty or self.unacked) and self.clock.monotonic() - self.last_flush >= self.flush_interval

    def _keep_base(self, sender: str, ident: int, blob: bytes | None) -> None:
        bases = self._bases
        bases[sender] = (ident, blob)
        bases.move_to_end(sender)
        self._bases_at[sender] = self.clock.monotonic()

    def _expire_bases(self) -> None:
        """Drop the restore points older than ``restore_point_seconds`` (bounded memory)."""
        bases, at = self._bases, self._bases_at
        limit = self.clock.monotonic() - self.restore_point_seconds
        while bases:
            sender = next(iter(bases))
            if at.get(sender, 0.0) > limit:
                break
            del bases[sender]
            at.pop(sender, None)

    def _sweep_bases(self) -> None:
        """Drop the restore points of senders no longer in the store (evicted, moved away)."""
        store = self.store
        bases = self._bases
        for sender in [s for s, (ident, _) in bases.items() if id(store.get(s, False)) != ident]:
            del bases[sender]
            self._bases_at.pop(sender, None)
        self._bases_sweep_at = max(4096, 2 * len(bases))

    def handle_messages(self, messages: Sequence[Any]) -> None:
        """Process a batch of Kafka messages (``value``, ``key``, ``topic``, ``partition``, ``offset``)."""
        # sender -> [state, partition, processed, unrelated_sum, dirty, {template: volume}]
        touched: dict[str, list] = {}
        # restore points: the events applied in this batch (for a sender whose event fails)
        applied: list[tuple[str, Any, int, int]] = []
        self._batch = (touched, applied)
        copies = self._store_copies
        if copies is None:
            copies = self._store_copies = bool(self.store.copies)
        bases = None if copies else self._bases
        counts, max_ts, alerts_out, ended_out = self._process_events(messages, touched, applied, bases)
        # ---- once per batch: emit, persist, count
        now = self.clock.time()
        self._emit_outcomes(alerts_out, ended_out, touched, now)
        self._persist_touched(touched)
        self._count_batch(*counts)
        self._advance_watermark(max_ts, now)
        if touched:
            self.track_senders(touched)
        if bases is not None and applied:
            # the memory store: events since each sender's last changelog write (see restore_state)
            self._since_batches.append(applied)

    def _process_events(self, messages: Sequence[Any], touched: dict[str, list],
                        applied: list[tuple[str, Any, int, int]], bases: Any) -> tuple:
        """The per-event pass of :meth:`handle_messages` (decode, score, tally; nothing emitted or written):
        ``((processed, duplicates, late, resets, future), max_ts, alerts_out, ended_out)``."""
        process = self.sentinel.process
        perf = time.perf_counter
        max_bytes, max_recipients = self.max_bytes, self.max_recipients
        horizon = self.clock.time() + self.max_skew  # later event times do not move the watermark
        future = processed = duplicates = late = 0
        resets: list[tuple[int, int]] = []  # (partition, offset) where a sender's offsets went back
        max_ts = None
        proc_time = self.metrics.processing_batch.observe
        score = self.metrics.scores_batched
        alerts_out: list[tuple[Any, int]] = []
        ended_out: list[Any] = []
        for msg in messages:
            value = msg.value
            try:
                e = parse_event(value if value is not None else b"", max_bytes=max_bytes, max_recipients=max_recipients)
            except Exception as exc:  # rejected, or a parser bug: the event fails alone
                self._not_parsed(msg, exc)
                continue
            sender = e.sender
            slot = touched.get(sender)
            if slot is None:
                slot = self._open_slot(touched, sender, msg.partition, bases)
            t0 = perf()
            try:
                out = process(e, slot[0], (msg.partition, msg.offset))
            except Exception as exc:  # a detector bug must not stop the stream
                self._detectors_failed(msg, sender, slot, applied, exc)
                continue
            proc_time(perf() - t0)
            applied.append((sender, e, msg.partition, msg.offset))
            if out.duplicate:
                duplicates += 1
                continue
            processed += 1
            late += out.late
            if out.reset:
                resets.append((msg.partition, msg.offset))
            slot[2] += 1
            slot[3] += out.unrelated
            slot[4] = True
            if out.volume is not None:
                slot[5][out.template] = out.volume
            if max_ts is None or e.ts > max_ts:
                if e.ts > horizon:
                    future += 1  # learned, but never event-time "now" for the other senders
                else:
                    max_ts = e.ts
            if out.scores:
                score(out.scores)
            if out.alerts:
                for a in out.alerts:
                    alerts_out.append((a, msg.partition))
            if out.ended:
                ended_out.extend(out.ended)
        return (processed, duplicates, late, resets, future), max_ts, alerts_out, ended_out

    def _not_parsed(self, msg: Any, exc: Exception) -> None:
        """``msg`` could not be decoded: dead-lettered with the reason (the event fails alone)."""
        if isinstance(exc, EventRejected):
            self.dead_letter(msg, exc.reason, exc.detail)
            return
        # a parser bug: the event fails alone, nothing was learned from it
        log.warning("parsing failed on event at %s[%s]@%s: %s", msg.topic, msg.partition, msg.offset, type(exc).__name__)
        self.dead_letter(msg, INTERNAL_ERROR, f"parser raised {type(exc).__name__}")

    def _open_slot(self, touched: dict[str, list], sender: str, partition: int, bases: Any) -> list:
        """A sender's first event of the batch: its slot in ``touched``, with its state from the
        store (a fresh one if it has none) and, for the memory store, its restore point."""
        state = self.store.get(sender)  # a refused record: None (counted)
        if state is None:
            state = self.sentinel.new_state(sender)
        slot = touched[sender] = [state, partition, 0, 0, False, {}]
        if bases is not None:
            self._note_base(sender, slot[0])
        return slot

    def _detectors_failed(self, msg: Any, sender: str, slot: list, applied: list[tuple[str, Any, int, int]],
                          exc: Exception) -> None:
        """The detectors raised on ``msg``: its sender's state back, the event dead-lettered."""
        log.warning("detectors failed on event at %s[%s]@%s: %s", msg.topic, msg.partition, msg.offset, type(exc).__name__)
        # the state may be half updated: back to what it was before this event
        slot[0] = self.restore_state(sender, msg.partition, [a for a in applied if a[0] == sender])
        self.dead_letter(msg, INTERNAL_ERROR, f"detectors raised {type(exc).__name__}")

    def _emit_outcomes(self, alerts_out: list[tuple[Any, int]], ended_out: list[Any], touched: dict[str, list],
                       now: float) -> None:
        """The batch's alerts out (sent, counted, indexed, noted on the state); its ended episodes counted."""
        m = self.metrics
        for a, partition in alerts_out:
            self.emit_alert(a)
            m.alert(a, now, partition)
            self.partition_of[a.sender] = partition
            self.note_alert(a, touched)
        for end in ended_out:
            m.episode_ended(end)

    def _persist_touched(self, touched: dict[str, list]) -> None:
        """Each sender that learned: its state into the store, queued for the changelog, its batch counted."""
        m = self.metrics
        store = self.store
        pending = self.dirty
        for sender, (state, partition, n, unrelated_sum, dirty, volumes) in touched.items():
            if not dirty:
                continue
            store_put(store, sender, state, partition)
            pending[sender] = (partition, state)
            label = m.sender_batch(sender, n, unrelated_sum)
            if label != OTHER:
                for template, volume in volumes.items():
                    m.template_volume(sender, label, template, volume, n)

    def _count_batch(self, processed: int, duplicates: int, late: int, resets: list[tuple[int, int]],
                     future: int) -> None:
        """The batch's counters (the per-event histograms added once)."""
        m = self.metrics
        m.flush_batches()
        if processed:
            m.events_processed.inc(processed)
        if duplicates:
            m.events_duplicate.inc(duplicates)
        if late:
            m.events_late.inc(late)
        if resets:
            m.offset_resets.inc(len(resets))
            log.warning("input offsets went back for %d sender(s) (first at partition %s offset %s): "
                        "the topic was re-created, truncated or reset; events processed as new",
                        len(resets), resets[0][0], resets[0][1])
        if future:
            m.clock_skew.inc(future)

    def _advance_watermark(self, max_ts: float | None, now: float) -> None:
        """Event-time "now" moves to the batch's latest event time (within the skew), if later."""
        if max_ts is not None and (self.watermark is None or max_ts > self.watermark):
            self.watermark = max_ts
            self.watermark_wall = now
            self.metrics.last_event_ts.set(max_ts)

    # ---------------------------------------------------------------- outputs
    def emit_alert(self, alert) -> None:
        self.outputs.send_alert(key=alert.sender.encode(), value=alert.to_json())

    def dead_letter(self, msg, reason: str, detail: str) -> None:
        """Queue ``msg`` for the dead-letter topic (no await here): truncated if it is larger than
        the topic allows (:func:`streams.deadletter.make_dead_letter`), written by
        :meth:`write_dead_letters` before the batch's offsets are acked."""
        dl = make_dead_letter(msg.value, msg.key, reason, detail, msg.topic, msg.partition, msg.offset,
                              self.dead_letter_max_bytes)
        self.dead_letters.append(dl)
        if dl.truncated:
            self.metrics.dead_letters_truncated.inc()
        if reason == INTERNAL_ERROR:
            self.metrics.events_failed.inc()
        else:
            self.metrics.rejected(reason)

    async def _send_dead_letter(self, **kw: Any) -> Any:
        # Topic.send, not send_soon: a send error in Faust's producer buffer crashes the
        # worker; here it comes back to DeadLetterWriter, which retries and counts it.
        # force=True: sent now, not attached to (and sent when acking) a current event.
        return await self.outputs.send_dead_letter(**kw)

    async def write_dead_letters(self) -> int:
        """Write the queued dead letters (retried, never raises); returns how many could not be
        written (counted in ``mailflow_dead_letter_failed_total``). Call before acking."""
        letters = self.dead_letters
        if not letters:
            return 0
        self.dead_letters = []
        try:
            return await self.dlq_writer.write(letters)
        except asyncio.CancelledError:
            raise
        except Exception:  # pragma: no cover - the writer catches send errors itself
            log.exception("writing %d dead letters failed", len(letters))
            self.metrics.dead_letter_failed.inc(len(letters))
            return len(letters)

    # ------------------------------------------------------------ failures
    async def handle_reliably(self, messages: Sequence[Any]) -> None:
        """:meth:`handle_messages` with the failure policy, then the dead letters written.

        A batch that raises (outside the per-event handling: the table store, the
        producer, a bug in the batch code) is rolled back (:meth:`rollback_batch`) and
        tried again, ``batch_attempts`` times with a doubling backoff; if it still fails,
        its records are handled one at a time, and a record that fails alone goes to the
        dead-letter topic with reason ``internal_error`` (its sender's state rolled
        back). A record is never acked unprocessed and unpersisted: the caller acks the
        batch only after this returns, i.e. after every record was processed or its
        dead letter was written (or counted as not writable). Never raises (but
        ``CancelledError``).
        """
        ok = False
        for attempt in range(self.batch_attempts):
            queued = len(self.dead_letters)
            try:
                self.handle_messages(messages)
                ok = True
                break
            except Exception as exc:
                del self.dead_letters[queued:]  # the retry queues them again
                self.rollback_batch()
                if self.on_failure is not None:
                    self.on_failure(messages, exc)
                log.error("batch of %d records failed (attempt %d of %d): %r; rolled back, not acked",
                          len(messages), attempt + 1, self.batch_attempts, exc, exc_info=attempt == 0)
                if attempt + 1 < self.batch_attempts:
                    await asyncio.sleep(self.batch_backoff * (2 ** attempt))
        if not ok:
            log.error("batch of %d records still failing: handling its records one at a time", len(messages))
            for msg in messages:
                queued = len(self.dead_letters)
                try:
                    self.handle_messages([msg])
                except Exception as exc:
                    del self.dead_letters[queued:]
                    self.rollback_batch()
                    log.error("record %s[%s]@%s fails alone: %r; dead-lettered as %s",
                              msg.topic, msg.partition, msg.offset, exc, INTERNAL_ERROR)
                    self.dead_letter(msg, INTERNAL_ERROR, f"batch handling raised {type(exc).__name__}")
        await self.write_dead_letters()

    def forget_restore_points(self) -> None:
        """Drop the memory store's restore points (a rebalance: the table is restored from the
        changelog, with new state objects); each is taken again at the sender's next batch."""
        self._bases.clear()
        self._bases_at.clear()
        self._since_batches = []
        self._base_batch.clear()

    def _note_base(self, sender: str, state: Any) -> None:
        """Memory store, a sender's first event of a batch: make sure its restore point is for
        this very state object (a restore or a rebalance replaces the object; a sender not
        in the store yet has none: it restores to a fresh state)."""
        entry = self._bases.get(sender)
        stored = self.store.contains_object(sender, state)
        if stored and entry is not None and entry[0] == id(state):
            return
        try:
            blob = statecodec.dumps(state) if stored else None
        except Exception as exc:
            log.warning("could not take a restore point of a sender's state: %s", type(exc).__name__)
            return
        self._keep_base(sender, id(state), blob)
        self._base_batch[sender] = len(self._since_batches)  # earlier batches are in the copy

    def restore_state(self, sender: str, partition: int, replay: Sequence[tuple[str, Any, int, int]] = ()) -> Any:
        """The sender's state before the failing event: its last persisted copy, with the events
        applied since then replayed (their outcomes discarded: alerts were already taken).

        * Serialized store (RocksDB): the store's copy, as of the end of the sender's last
          batch (the batch writes the store at its end), plus ``replay`` (this batch's
          earlier events of the sender).
        * Memory store: the encoded state of the sender's last changelog write (or of its
          first batch after a start), plus the events applied in the batches since, plus
          ``replay``.

        The restored state goes into the store (and the changelog queue, if it was dirty).
        Nothing is copied on the common path: this runs on failures only. A copy that
        cannot be read, or an event that fails again on replay, is counted in
        ``mailflow_state_restore_failed_total`` and logged; the sender then goes on with
        what could be rebuilt (the fresh state if nothing could).
        """
        store = self.store
        events = [(e, p, o) for _, e, p, o in replay]
        base = None
        failed = 0
        try:
            if self._store_copies:
                base = store.get(sender, False)  # a refused record: None (counted when first read)
            else:
                entry = self._bases.get(sender)
                if entry is not None and entry[1] is not None:
                    base = statecodec.loads(entry[1])
                since = [(e, p, o) for batch in self._since_batches[self._base_batch.get(sender, 0):]
                         for s, e, p, o in batch if s == sender]
                events = since + events
        except Exception as exc:
            failed += 1
            log.error("restore of a sender's state failed (copy unreadable: %s): starting it fresh", type(exc).__name__)
        state = base if base is not None else self.sentinel.new_state(sender)
        process = self.sentinel.process
        note = getattr(self.sentinel, "note_alert", None)
        for e, p, o in events:
            try:
                out = process(e, state, (p, o))
                if note is not None and out.alerts:
                    for a in out.alerts:  # as the batch did after emitting them
                        note(state, a)
            except Exception as exc:
                failed += 1
                log.error("restore of a sender's state: an earlier event at partition %s offset %s failed on replay: %s",
                          p, o, type(exc).__name__)
        if failed:
            self.metrics.state_restore_failed.inc(failed)
        try:
            store_put(store, sender, state, partition)
        except Exception as exc:
            self.metrics.state_restore_failed.inc()
            log.error("restore of a sender's state: writing the store failed: %s", type(exc).__name__)
        if not self._store_copies:
            entry = self._bases.get(sender)
            self._keep_base(sender, id(state), entry[1] if entry is not None else None)
        pending = self.dirty.get(sender)
        if pending is not None:
            self.dirty[sender] = (pending[0], state)
        return state

    def rollback_batch(self) -> None:
        """After a batch raised: every sender it touched back to its state before the batch."""
        touched, _ = self._batch
        self._batch = ({}, [])
        for sender, slot in list(touched.items()):
            try:
                self.restore_state(sender, slot[1])
            except Exception as exc:  # pragma: no cover - restore_state catches what it can
                self.metrics.state_restore_failed.inc()
                log.error("rollback of a sender's state failed: %s", type(exc).__name__)

    # ------------------------------------------------------------------ timers
    def event_now(self) -> float | None:
        """Event-time "now": the watermark advanced by the wall time since it was seen.

        The watermark is the latest event time seen, except that an event dated more than
        ``max_clock_skew_seconds`` ahead of the wall clock never moves it (it is counted in
        ``mailflow_events_future_total``): one sender's bad clock cannot end every other
        sender's episodes. So "now" is never further ahead of the wall clock than the skew.
        """
        if self.watermark is None:
            return None
        return self.watermark + max(0.0, self.clock.time() - self.watermark_wall)

    def expire(self) -> int:
        """Close the episodes whose quiet period passed; returns how many ended."""
        now = self.event_now()
        if now is None:
            return 0
        store = self.store
        dirty = self.dirty
        open_eps = self.sentinel.open_episodes
        n = 0
        # the senders with open episodes (this worker's index of them; the sentinel decides)
        for sender in list(self.partition_of):
            pending = dirty.get(sender)
            # a state not written yet is the newest one (a RocksDB get decodes a new copy)
            state = pending[1] if pending is not None else store.get(sender)
            partition = self.partition_of.get(sender, pending[0] if pending is not None else None)
            if state is None:
                self.partition_of.pop(sender, None)
                continue
            ended = self.sentinel.expire(state, now)
            try:
                still_open = bool(open_eps(state))
            except Exception as exc:
                log.warning("could not read the open episodes of a state: %s", type(exc).__name__)
                still_open = True
            if not still_open:
                self.partition_of.pop(sender, None)
            if not ended:
                continue
            n += len(ended)
            for end in ended:
                self.metrics.episode_ended(end)
            store_put(store, sender, state, partition)
            if pending is not None:
                continue  # written by the next flush_states
            store.send_changelog(partition, sender, state)
        return n

    def revoked(self, partitions: Iterable[int]) -> None:
        parts = set(partitions)
        self.metrics.active.forget_partitions(parts)
        for s, p in list(self.partition_of.items()):
            if p in parts:
                self.partition_of.pop(s, None)
        recent = self.recent
        for s in [s for s, p in recent.items() if p in parts]:
            del recent[s]

    # ------------------------------------------------------ restarts, rebalances
    def note_alert(self, alert, touched: dict[str, list]) -> None:
        """Let the raising sender's state remember the alert's score and summary, so
        :meth:`rebuild` shows the same series after a restart."""
        slot = touched.get(alert.sender)
        if slot is not None:
            try:
                self.sentinel.note_alert(slot[0], alert)
            except Exception as exc:  # the alert is out; a missing note only changes a restored summary
                log.warning("could not note the alert on the state: %s", type(exc).__name__)

    def assigned_partitions(self) -> set[int]:
        """The input partitions this worker's consumer is assigned (empty if unknown)."""
        if self._assigned is None:
            return set()
        try:
            return set(self._assigned())
        except Exception:
            return set()

    def iter_states(self, partitions: set[int]) -> Iterable[tuple[str, int, Any]]:
        """``(sender, input partition, state)`` of every state in the table store that belongs
        to one of ``partitions`` (the memory store also holds standby copies of other
        partitions; they are skipped). A record that cannot be decoded is skipped."""
        # a serialized store (RocksDB): active partitions only, decoded one by one;
        # the memory store: objects, also standby partitions (with a key -> partition index)
        items, key_partition = self.store.items()
        for sender, state in items:
            if not state:  # None, or a refused record (RefusedState is falsy; counted when read)
                continue
            p = key_partition.get(sender)
            if p is None:
                p = next((q for q in getattr(state, "offsets", {}) if q in partitions), None)
            if p in partitions:
                yield sender, p, state

    def rebuild(self, partitions: Iterable[int] | None = None) -> int:
        """After the table was restored for ``partitions`` (default: the assigned input
        partitions), rebuild from the states what was only in memory:

        * ``mailflow_active_alert`` and the open-episode index (:attr:`partition_of`) from
          each state's open episodes, with the labels of their last alert: the series is
          back (not silently resolved), and nothing is emitted again -- the episode is open
          in the state, so its next triggers are "same episode" for the detectors;
        * the sender order for the cap (least recently active first, by last event time);
        * event-time "now", if this worker has seen no event yet: the latest event time in
          the restored states (within the allowed clock skew), so episodes that went quiet
          still end.

        Then senders over ``max_senders`` are evicted and the episodes already quiet at
        that "now" end. Idempotent; returns how many series were restored.
        """
        result: list[int] = []
        for _ in self._rebuild(partitions, result):
            pass
        return result[0] if result else 0

    async def rebuild_async(self, partitions: Iterable[int] | None = None, chunk: int = 2000) -> int:
        """:meth:`rebuild`, giving the event loop a turn every ``chunk`` states (a RocksDB
        store decodes each state: about 0.15 ms for a small one, 0.6 ms for a busy one)."""
        result: list[int] = []
        for _ in self._rebuild(partitions, result, chunk):
            await asyncio.sleep(0)
        return result[0] if result else 0

    def _rebuild(self, partitions: Iterable[int] | None, result: list[int], chunk: int = 0):
        parts = self.assigned_partitions() if partitions is None else set(partitions)
        if not parts:
            return
        t0 = time.perf_counter()
        horizon = self.clock.time() + self.max_skew
        open_eps = self.sentinel.open_episodes
        restored: list[tuple[Any, int]] = []
        order: list[tuple[float, str, int]] = []
        recent = self.recent
        latest = None
        n = 0
        for sender, partition, state in self.iter_states(parts):
            n += 1
            if chunk and not n % chunk:
                yield n
            last = float(getattr(state, "last_ts", 0.0) or 0.0)
            if last <= horizon and (latest is None or last > latest):
                latest = last
            if sender not in recent:
                order.append((min(last, horizon), sender, partition))
            try:
                eps = open_eps(state)
            except Exception as exc:
                log.warning("could not read the open episodes of a restored state: %s", type(exc).__name__)
                continue
            if eps:
                self.partition_of[sender] = partition
                restored.extend((ep, partition) for ep in eps)
        added = self.metrics.active.restore(restored)
        if order:
            order.sort()
            # senders new to this worker come before the ones it has been seeing
            fresh = OrderedDict((sender, partition) for _, sender, partition in order)
            fresh.update(recent)
            self.recent = fresh
        if self.watermark is None and latest is not None:
            self.watermark = latest
            self.watermark_wall = self.clock.time()
        evicted = self.enforce_cap()
        ended = self.expire()
        log.info(
            "restored %d sender states of partitions %s in %.2fs: %d open-episode series back, "
            "%d ended since, %d senders evicted (cap %d)",
            n, sorted(parts), time.perf_counter() - t0, added, ended, evicted, self.max_senders,
        )
        result.append(added)

    # ------------------------------------------------------------- sender cap
    def track_senders(self, touched: dict[str, list]) -> None:
        """Mark the senders of a batch as the most recently active; evict over the cap."""
        recent = self.recent
        for sender, slot in touched.items():
            if sender in recent:
                recent.move_to_end(sender)
            elif slot[4]:  # learned (a sender whose every event failed has no state to keep)
                recent[sender] = slot[1]
        if len(recent) > self.max_senders:
            self.enforce_cap()

    def enforce_cap(self) -> int:
        """Evict the least recently active senders until at most ``max_senders`` are kept.

        Senders with an open episode are passed over while any other sender is left (an
        open page must not vanish); only when every remaining sender has one are they
        evicted too (their series removed, with a warning). Returns how many were evicted.
        """
        recent = self.recent
        over = len(recent) - self.max_senders
        if over <= 0:
            return 0
        protected = self.partition_of
        evicted = passed = 0
        while evicted < over and recent:
            sender, partition = next(iter(recent.items()))
            if sender in protected and passed < len(recent):
                recent.move_to_end(sender)
                passed += 1
                continue
            del recent[sender]
            self.drop_sender(sender, partition)
            evicted += 1
        return evicted

    def drop_sender(self, sender: str, partition: int) -> None:
        """Forget ``sender``: its state leaves the store and a tombstone goes to the changelog
        (so a restore does not bring it back); counted in ``mailflow_senders_evicted_total``."""
        self.dirty.pop(sender, None)
        if self.partition_of.pop(sender, None) is not None:
            n = self.metrics.forget_sender(sender)
            log.warning("sender cap %d reached with every sender alerting: evicted one with %d open episode(s)",
                        self.max_senders, n)
        self.store.delete(sender, partition)
        self.store.send_changelog(partition, sender, None, value_serializer="raw")
        self.metrics.senders_evicted.inc()


class AgentSettings(Protocol):
    batch_size: int
    batch_within: float
    expire_interval: float
    lag_interval: float
    state_flush_interval: float


def register_agents(
    app: Any,
    settings: AgentSettings,
    input_topic: Any,
    table: Any,
    proc: BatchProcessor,
    update_lag: Callable[[], None],
) -> Any:
    """Attach the agent, timers and rebalance hooks to the Faust ``app``; returns the agent.

    ``input_topic`` is the Faust topic the agent reads, ``table`` the Faust table whose
    recovery triggers :meth:`BatchProcessor.rebuild_async`, ``update_lag`` the lag timer's job."""
    agent = _register_agent(app, settings, input_topic, proc)
    _register_timers(app, settings, proc, update_lag)
    _register_rebalance_hooks(app, input_topic, table, proc)
    _register_shutdown(app, proc)
    return agent


def _register_agent(app: Any, settings: AgentSettings, input_topic: Any, proc: BatchProcessor) -> Any:
    """The one agent: batches of the input topic through the batch processor."""

    async def sentinel_agent(stream):
        async for events in stream.take_events(settings.batch_size, within=settings.batch_within):
            # a failing batch is rolled back and retried, then handled record by record (a record
            # that fails alone is dead-lettered); the dead letters are written before
            # take_events acks the batch, and the states before the next batch
            await proc.handle_reliably([ev.message for ev in events])
            proc.flush_states()

    return app.agent(input_topic, name="mailflow.sentinel", concurrency=1)(sentinel_agent)


def _register_timers(app: Any, settings: AgentSettings, proc: BatchProcessor, update_lag: Callable[[], None]) -> None:
    """Episode expiry, consumer lag, and the state flush of an idle input."""

    async def expire_timer() -> None:
        proc.expire()

    async def lag_timer() -> None:
        update_lag()

    async def flush_timer() -> None:
        # bulk path: an idle input still gets its states written and its offsets acked
        if proc.flush_due():
            proc.flush_states()

    app.timer(settings.expire_interval, name="mailflow.expire")(expire_timer)
    app.timer(settings.lag_interval, name="mailflow.lag")(lag_timer)
    app.timer(max(0.1, settings.state_flush_interval / 2), name="mailflow.flush")(flush_timer)


def _register_rebalance_hooks(app: Any, input_topic: Any, table: Any, proc: BatchProcessor) -> None:
    """Revocation, assignment and table recovery: states written before partitions move,
    what moved away forgotten, open episodes rebuilt once the table is restored."""

    async def on_revoked(sender, revoked, **kwargs) -> None:
        topic = input_topic.get_topic_name()
        # hand every pending state to the producer and wait for it, before another
        # worker can take the partitions over and rebuild the table from the changelog
        if proc.flush_states():
            await app.producer.flush()
        proc.revoked(tp.partition for tp in revoked if tp.topic == topic)

    app.on_partitions_revoked.connect(on_revoked)

    async def on_assigned(sender, assigned, **kwargs) -> None:
        # the assignment is known here, but the table is not restored yet: forget what
        # moved away (a rebalance without a revoke callback), rebuild once restored
        topic = input_topic.get_topic_name()
        mine = {tp.partition for tp in assigned if tp.topic == topic}
        gone = {p for p in proc.partition_of.values()} | {p for p in proc.recent.values()}
        if gone - mine:
            proc.revoked(gone - mine)

    app.on_partitions_assigned.connect(on_assigned)

    async def forget_restore_points(sender, assigned, **kwargs) -> None:
        # the table is restored from the changelog now (new state objects): the memory
        # store's restore points are taken again at each sender's next batch
        proc.forget_restore_points()

    app.on_partitions_assigned.connect(forget_restore_points)

    async def on_table_recovered() -> None:
        # Faust calls this after the table store finished recovery from the changelog
        # (every rebalance, the first assignment included), before the input is resumed
        try:
            await proc.rebuild_async()
        except Exception:  # a failed rebuild must not stop the worker
            log.exception("rebuilding the open episodes after recovery failed")

    table.on_recover(on_table_recovered)


def _register_shutdown(app: Any, proc: BatchProcessor) -> None:
    """The pending states written before the consumer's last commit."""

    async def on_shutdown(sender, **kwargs) -> None:
        # the fetcher has stopped; the consumer commits the acked offsets after this: write
        # the pending states first, so a restart neither loses them nor re-reads (and
        # re-pages) the records they came from
        n = proc.flush_states()
        if n:
            await app.producer.flush()
        log.info("shutdown: wrote %d pending sender states", n)

    app.on_before_shutdown.connect(on_shutdown)
