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
"""
from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import OrderedDict
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from faust.streams import _current_event

from detectors import statecodec
from detectors.errors import EventRejected
from detectors.events import parse_event

from .deadletter import DEFAULT_MAX_BYTES, PRODUCER_MAX_REQUEST_SIZE, DeadLetter, DeadLetterWriter, make_dead_letter
from .metrics import OTHER
from .models import restored_state

if TYPE_CHECKING:  # pragma: no cover
    from .app import MailflowApp

__all__ = ["BatchProcessor", "register_agents", "install_bulk_reader", "make_bulk_drain", "ack_offsets", "rewind_dropped", "INTERNAL_ERROR", "FETCH_MAX_WAIT_MS"]

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
        settings = mapp.settings
        #: an event dated further than this ahead of the wall clock does not move the watermark
        self.max_skew = float(getattr(settings, "max_clock_skew_seconds", 3600.0))
        #: at most this many senders' states (the least recently active are evicted)
        self.max_senders = int(getattr(settings, "max_senders", 100_000))
        #: sender -> input partition of every sender whose state this worker keeps,
        #: least recently active first (the eviction order)
        self.recent: OrderedDict[str, int] = OrderedDict()
        #: sender -> (input partition, state): learned since the last changelog write
        self.dirty: dict[str, tuple[int, Any]] = {}
        #: bulk path: (partition, offsets) processed but not acked until their states are written
        self.unacked: list[tuple[Any, Sequence[int]]] = []
        #: bulk path: the Faust consumer whose offsets are acked (set by :func:`install_bulk_reader`)
        self.consumer: Any = None
        self.last_flush = time.monotonic()
        self.flush_interval = float(getattr(mapp.settings, "state_flush_interval", 0.0))
        self.flush_max_pending = 50_000
        # ---- dead letters and failures (docs/dead-letters.md)
        #: dead letters of the batches handled since the last :meth:`write_dead_letters`
        self.dead_letters: list[DeadLetter] = []
        limit = int(getattr(settings, "dead_letter_max_bytes", DEFAULT_MAX_BYTES))
        producer_limit = getattr(getattr(mapp.app, "conf", None), "producer_max_request_size", PRODUCER_MAX_REQUEST_SIZE)
        self.dead_letter_max_bytes = min(limit, int(producer_limit or PRODUCER_MAX_REQUEST_SIZE))
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
            send_changelog = self.table.send_changelog
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
        self.last_flush = time.monotonic()
        waiting = self.unacked
        if waiting:
            self.unacked = []
            if self.consumer is not None:
                ack_offsets(self.consumer, waiting)
        return n

    def _keep_base(self, sender: str, ident: int, blob: bytes | None) -> None:
        bases = self._bases
        bases[sender] = (ident, blob)
        bases.move_to_end(sender)
        self._bases_at[sender] = time.monotonic()

    def _expire_bases(self) -> None:
        """Drop the restore points older than ``restore_point_seconds`` (bounded memory)."""
        bases, at = self._bases, self._bases_at
        limit = time.monotonic() - self.restore_point_seconds
        while bases:
            sender = next(iter(bases))
            if at.get(sender, 0.0) > limit:
                break
            del bases[sender]
            at.pop(sender, None)

    def _sweep_bases(self) -> None:
        """Drop the restore points of senders no longer in the store (evicted, moved away)."""
        data = self.table.data
        bases = self._bases
        for sender in [s for s, (ident, _) in bases.items() if id(data.get(s)) != ident]:
            del bases[sender]
            self._bases_at.pop(sender, None)
        self._bases_sweep_at = max(4096, 2 * len(bases))

    def handle_messages(self, messages: Sequence[Any]) -> None:
        """Process a batch of Kafka messages (``value``, ``key``, ``topic``, ``partition``, ``offset``)."""
        sentinel = self.sentinel
        m = self.metrics
        process = sentinel.process
        data = self.table.data
        perf = time.perf_counter
        max_bytes, max_recipients = self.max_bytes, self.max_recipients
        horizon = time.time() + self.max_skew  # later event times do not move the watermark
        future = 0
        # sender -> [state, partition, processed, unrelated_sum, dirty, {template: volume}]
        touched: dict[str, list] = {}
        # restore points: the events applied in this batch (for a sender whose event fails)
        applied: list[tuple[str, Any, int, int]] = []
        self._batch = (touched, applied)
        copies = self._store_copies
        if copies is None:
            copies = self._store_copies = hasattr(data, "_db_for_partition")
        bases = None if copies else self._bases
        processed = duplicates = late = 0
        resets: list[tuple[int, int]] = []  # (partition, offset) where a sender's offsets went back
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
            except Exception as exc:  # a parser bug: the event fails alone, nothing was learned from it
                log.warning("parsing failed on event at %s[%s]@%s: %s", msg.topic, msg.partition, msg.offset, type(exc).__name__)
                self.dead_letter(msg, INTERNAL_ERROR, f"parser raised {type(exc).__name__}")
                continue
            sender = e.sender
            slot = touched.get(sender)
            if slot is None:
                state = restored_state(data.get(sender), sender, m)  # a refused record: None
                if state is None:
                    state = sentinel.new_state(sender)
                slot = touched[sender] = [state, msg.partition, 0, 0, False, {}]
                if bases is not None:
                    self._note_base(sender, slot[0])
            t0 = perf()
            try:
                out = process(e, slot[0], (msg.partition, msg.offset))
            except Exception as exc:  # a detector bug must not stop the stream
                log.warning("detectors failed on event at %s[%s]@%s: %s", msg.topic, msg.partition, msg.offset, type(exc).__name__)
                # the state may be half updated: back to what it was before this event
                slot[0] = self.restore_state(sender, msg.partition, [a for a in applied if a[0] == sender])
                self.dead_letter(msg, INTERNAL_ERROR, f"detectors raised {type(exc).__name__}")
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
        # ---- once per batch: emit, persist, count
        now = time.time()
        for a, partition in alerts_out:
            self.emit_alert(a)
            m.alert(a, now, partition)
            self.partition_of[a.sender] = partition
            self.note_alert(a, touched)
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
        if resets:
            m.offset_resets.inc(len(resets))
            log.warning("input offsets went back for %d sender(s) (first at partition %s offset %s): "
                        "the topic was re-created, truncated or reset; events processed as new",
                        len(resets), resets[0][0], resets[0][1])
        if future:
            m.clock_skew.inc(future)
        if max_ts is not None and (self.watermark is None or max_ts > self.watermark):
            self.watermark = max_ts
            self.watermark_wall = now
            m.last_event_ts.set(max_ts)
        if touched:
            self.track_senders(touched)
        if bases is not None and applied:
            # the memory store: events since each sender's last changelog write (see restore_state)
            self._since_batches.append(applied)

    # ---------------------------------------------------------------- outputs
    def emit_alert(self, alert) -> None:
        self.topics.alerts.send_soon(key=alert.sender.encode(), value=alert.to_json())

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
        return await self.topics.dlq.send(force=True, **kw)

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
        stored = self.table.data.get(sender) is state
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
        data = self.table.data
        events = [(e, p, o) for _, e, p, o in replay]
        base = None
        failed = 0
        try:
            if self._store_copies:
                base = restored_state(data.get(sender), sender)  # a refused record: None (counted when first read)
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
            store_put(data, sender, state, partition)
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
        return self.watermark + max(0.0, time.time() - self.watermark_wall)

    def expire(self) -> int:
        """Close the episodes whose quiet period passed; returns how many ended."""
        now = self.event_now()
        if now is None:
            return 0
        data = self.table.data
        dirty = self.dirty
        n = 0
        for sender in list(self.metrics.active.senders()):
            pending = dirty.get(sender)
            # a state not written yet is the newest one (a RocksDB get decodes a new copy)
            state = pending[1] if pending is not None else restored_state(data.get(sender), sender, self.metrics)
            partition = self.partition_of.get(sender, pending[0] if pending is not None else None)
            if state is None:
                continue
            ended = self.sentinel.expire(state, now)
            if not ended:
                continue
            n += len(ended)
            for end in ended:
                self.metrics.episode_ended(end)
            store_put(data, sender, state, partition)
            if pending is not None:
                continue  # written by the next flush_states
            self.table.send_changelog(partition, sender, state)
        open_now = self.metrics.active.senders()
        for sender in [s for s in self.partition_of if s not in open_now]:
            del self.partition_of[sender]
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
        topic = self.topics.input.get_topic_name()
        try:
            return {tp.partition for tp in self.mapp.app.consumer.assignment() if tp.topic == topic}
        except Exception:
            return set()

    def iter_states(self, partitions: set[int]) -> Iterable[tuple[str, int, Any]]:
        """``(sender, input partition, state)`` of every state in the table store that belongs
        to one of ``partitions`` (the memory store also holds standby copies of other
        partitions; they are skipped). A record that cannot be decoded is skipped."""
        data = self.table.data
        key_partition = getattr(data, "_key_partition", None)
        if key_partition is None and hasattr(data, "_iteritems") and hasattr(data, "_decode_value"):
            items = _decoded_items(data)  # a serialized store (RocksDB): active partitions only
        else:
            items = list(data.items())  # the memory store: objects, also standby partitions
        key_partition = key_partition or {}
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
        horizon = time.time() + self.max_skew
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
            self.watermark_wall = time.time()
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
            active = self.metrics.active
            keys = [k for k in active.open if k[1] == sender]
            for detector, _, template in keys:
                active.end(detector, sender, template)
            log.warning("sender cap %d reached with every sender alerting: evicted one with %d open episode(s)",
                        self.max_senders, len(keys))
        data = self.table.data
        shim = _PartitionEvent(partition)
        token = _current_event.set(weakref.ref(shim))
        try:
            del data[sender]
        except KeyError:
            pass
        finally:
            _current_event.reset(token)
        key_partition = getattr(data, "_key_partition", None)  # the memory store's restore index
        if key_partition is not None:
            key_partition.pop(sender, None)
        self.table.send_changelog(partition, sender, None, value_serializer="raw")
        self.metrics.senders_evicted.inc()


def _decoded_items(data: Any) -> Iterable[tuple[str, Any]]:
    """A serialized store's items, decoded one by one: a record that cannot be decoded is
    skipped (and logged) instead of ending the iteration."""
    for key, value in data._iteritems():
        try:
            yield data._decode_key(key), data._decode_value(value)
        except Exception as exc:
            log.warning("skipped a state record on restore: %s", type(exc).__name__)


def register_agents(mapp: "MailflowApp") -> None:
    """Attach the agent and timers to ``mapp.app``."""
    app = mapp.app
    settings = mapp.settings
    proc = mapp.processor

    async def sentinel_agent(stream):
        async for events in stream.take_events(settings.batch_size, within=settings.batch_within):
            # a failing batch is rolled back and retried, then handled record by record (a record
            # that fails alone is dead-lettered); the dead letters are written before
            # take_events acks the batch, and the states before the next batch
            await proc.handle_reliably([ev.message for ev in events])
            proc.flush_states()

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

    async def on_assigned(sender, assigned, **kwargs) -> None:
        # the assignment is known here, but the table is not restored yet: forget what
        # moved away (a rebalance without a revoke callback), rebuild once restored
        topic = mapp.topics.input.get_topic_name()
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

    mapp.table.on_recover(on_table_recovered)

    async def on_shutdown(sender, **kwargs) -> None:
        # the fetcher has stopped; the consumer commits the acked offsets after this: write
        # the pending states first, so a restart neither loses them nor re-reads (and
        # re-pages) the records they came from
        n = proc.flush_states()
        if n:
            await app.producer.flush()
        log.info("shutdown: wrote %d pending sender states", n)

    app.on_before_shutdown.connect(on_shutdown)


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


async def rewind_dropped(consumer: Any, tp: Any, first: int, last: int) -> bool:
    """Seek ``tp`` back to ``first`` after the bulk drain dropped its fetched records
    ``first``..``last`` (unprocessed, or processed but not acked), so they are fetched again.

    aiokafka moved the partition's position past them when it returned them. Faust's
    answer to a dropped fetch is ``perform_seek`` (back to the committed offsets), but
    aiokafka's ``seek_to_committed`` leaves a partition with no committed offset (or
    committed offset 0) where it is -- past the dropped records: a partition taken over
    from a worker that died before its first commit was then never read up to its end.
    Only done while ``tp`` is assigned and its position is still past the dropped
    records (nobody seeked it back since: a seek to the committed offset wins); run in
    the consumer's thread, where aiokafka's fetcher lives. Also resets Faust's read
    offset, as ``Consumer.seek`` does, so the read-offset rule does not reject the
    records when they come again. Returns whether it seeked.
    """
    thread = getattr(consumer, "_thread", None)
    ak = getattr(thread, "_consumer", None)
    if ak is None:
        return False

    async def _rewind() -> int | None:
        sub = ak._subscription.subscription
        assignment = sub.assignment if sub is not None else None
        if assignment is None or tp not in assignment.tps:
            return None
        state = assignment.state_value(tp)
        if not state.has_valid_position or state.position <= last:
            return None
        position = state.position
        ak.seek(tp, first)
        return position

    try:
        position = await thread.call_thread(_rewind)
    except Exception as exc:  # a rebalance in between: Faust seeks anyway
        log.debug("rewind of %s to %d failed: %r", tp, first, exc)
        return False
    if position is None:
        return False
    consumer._read_offset[tp] = first if first else None
    log.info("input %s[%d]: dropped records %d..%d fetched again (position %d -> %d)",
             tp.topic, tp.partition, first, last, position, first)
    return True


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
    to the committed offsets). Added: input records the drain drops are fetched again
    (:func:`rewind_dropped`), since that seek leaves a partition with nothing committed
    past them.

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
        handle = proc.handle_reliably

        async def read(tp: Any, offset: int) -> bool:
            """Faust's read-offset rule: False for a record already read; else record a
            hole before it as a gap (so commits can pass it) and move the read offset.

            Except when the partition's log now ends at or below the read offset: the topic
            was re-created or truncated under the running worker (the client reset its
            position to the new log's start without telling Faust). Then the partition's
            read, ack and commit bookkeeping is forgotten, as Faust does when a partition is
            revoked, and the record is read: the detectors recognise what they have seen by
            event id and count the rest as offset resets."""
            r_offset = read_offset[tp]
            if r_offset is not None and offset < r_offset:
                hw = self.highwater(tp)
                if hw is None or hw > r_offset:
                    return False
                forget_partition(tp)
                log.warning("input %s[%s] now ends at offset %s, below the %s read: the topic was re-created "
                            "or truncated; reading it again from offset %s", tp.topic, tp.partition, hw,
                            r_offset, offset)
                r_offset = None
            if r_offset and offset - r_offset > 1 and acks_enabled_for(tp.topic):
                await self._add_gap(tp, r_offset + 1, offset)
            read_offset[tp] = offset
            return True

        def forget_partition(tp: Any) -> None:
            # what Faust's on_partitions_revoked clears for a partition, and our pending acks
            for table in (self._gap, self._acked, self._acked_index, read_offset, self._committed_offset):
                table.pop(tp, None)
            proc.unacked = [(t, offsets) for t, offsets in proc.unacked if t != tp]

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
                    # (and the input records it dropped are fetched again, see rewind_dropped)
                    for tp, recs in records.items():
                        if recs and tp.topic == input_topic:
                            await rewind_dropped(self, tp, recs[0].offset, recs[-1].offset)
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
                #: input partition -> (first offset to read again, last fetched offset) if dropped
                spans: dict[Any, tuple[int, int]] = {}
                for tp, recs in records.items():
                    if not recs:
                        continue
                    if active is not None and tp not in active and tp not in buffered:
                        # paused (e.g. by the recovery) since aiokafka returned them
                        if tp.topic == input_topic:
                            await rewind_dropped(self, tp, recs[0].offset, recs[-1].offset)
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
                        spans[tp] = (first, last)
                        continue
                    kept = [rec for rec in recs if await read(tp, rec.offset)]
                    batch.extend(kept)
                    acks.append((tp, [rec.offset for rec in kept]))
                    if kept:
                        spans[tp] = (kept[0].offset, last)
                if batch:
                    if suspended() or not self.flow_active or app.consumer_generation_id != generation:
                        # a rebalance started: drop; Faust seeks back to the committed offsets
                        # (and to the dropped records where nothing is committed)
                        for tp, (first, last) in spans.items():
                            await rewind_dropped(self, tp, first, last)
                        unset_flag(CONSUMER_FETCHING)
                        continue
                    # failures: rolled back and retried, then record by record (a record that
                    # fails alone is dead-lettered); dead letters written -- all before any ack
                    await handle(batch)
                    if app.consumer_generation_id != generation:
                        # a rebalance started while the batch waited (retries, dead-letter writes):
                        # not acked here; its states were written on revocation, and whoever owns
                        # the partitions now re-reads these records (recognised as duplicates;
                        # this worker too, if it kept a partition with nothing committed)
                        for tp, (first, last) in spans.items():
                            await rewind_dropped(self, tp, first, last)
                        unset_flag(CONSUMER_FETCHING)
                        continue
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
