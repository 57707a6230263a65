"""The one seam between this worker and the internals of Faust, mode and aiokafka.

Every private name of faust, mode or aiokafka the worker touches is used in this
module only, and listed in :data:`PRIVATE_NAMES`. What it provides:

* **The bulk read path.** :class:`BulkConsumer` (a subclass of Faust's aiokafka
  driver ``Consumer``) replaces Faust's per-record fetch loop
  (``Consumer._drain_messages``) with one that hands all input records of a fetch
  to a :class:`BulkSink` (the batch processor) at once, and acks their offsets in
  bulk (:func:`ack_offsets`: the same bookkeeping as ``Consumer.ack``). Its
  consumer thread shortens aiokafka's fetch long-poll (:data:`FETCH_MAX_WAIT_MS`).
  :class:`BulkTransport` is Faust's aiokafka ``Transport`` with that consumer,
  registered in Faust's transport registry (``faust.transport.drivers.TRANSPORTS``)
  under the URL scheme :data:`SCHEME`; :func:`consumer_urls` gives the
  ``broker_consumer`` URLs that select it (the producer keeps ``kafka://``).
  A consumer with no sink attached (:func:`attach`) is exactly Faust's.
* **The table store** (:class:`TableStore`): writes with the input partition known to
  the store (Faust's current-event context), the store kind, iteration of a
  serialized store.
* **Consumer facts**: :func:`committed_offset` (for the lag metric).
* **The start-up check** (:func:`check_supported`, called by ``create_app``): the
  installed faust-streaming / aiokafka / mode-streaming must be in
  :data:`TESTED_VERSIONS` and every class-level name of :data:`PRIVATE_NAMES` must
  exist; otherwise the worker **falls back to the public path** (the agent's
  ``take_events`` stream, acked by Faust) with a WARNING naming what is missing.
  Instance-level names are verified on the live consumer when it is built (same
  fallback). The store names have no public replacement: if they are missing the
  check refuses with :class:`SeamUnsupported`.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import weakref
from dataclasses import dataclass, field
from importlib import metadata
from types import SimpleNamespace
from typing import Any, Iterable, Iterator, Protocol, Sequence

from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import TRANSPORTS
from faust.transport.drivers import aiokafka as _faust_aiokafka

__all__ = [
    "PRIVATE_NAMES", "TESTED_VERSIONS", "SCHEME", "FETCH_MAX_WAIT_MS", "Support", "SeamUnsupported", "check_supported",
    "BulkSink", "BulkConsumer", "BulkTransport", "attach", "consumer_urls", "ack_offsets", "rewind_dropped",
    "committed_offset", "TableStore",
]

log = logging.getLogger(__name__)

#: URL scheme of :class:`BulkTransport` in Faust's transport registry.
SCHEME = "mailflow-bulk"

#: Fetch long-poll of the bulk path's consumer, milliseconds (Faust's own: 1500).
FETCH_MAX_WAIT_MS = 100

#: Tested ranges, ``(lowest tested, first untested)``, as pinned in ``pyproject.toml``.
TESTED_VERSIONS: dict[str, tuple[str, str]] = {
    "faust-streaming": ("0.15.3", "0.16"),
    "aiokafka": ("0.14.0", "0.15"),
    "mode-streaming": ("0.7.1", "0.8"),
}

#: Every private name of a dependency this module touches: ``(owner, name, use)``.
#: ``owner`` is ``module:Class`` (a class attribute or method, checked at start-up),
#: ``module:Class()`` (an instance attribute, checked on the live object when it is
#: built) or ``module`` (a module attribute). ``use`` is ``bulk`` (missing: fall
#: back to the public path) or ``store`` (missing: refuse to start).
PRIVATE_NAMES: tuple[tuple[str, str, str], ...] = (
    # Faust's consumer: the fetch loop and its ack / commit bookkeeping
    ("faust.transport.consumer:Consumer", "_drain_messages", "bulk"),
    ("faust.transport.consumer:Consumer", "_wait_next_records", "bulk"),
    ("faust.transport.consumer:Consumer", "_to_message", "bulk"),
    ("faust.transport.consumer:Consumer", "_add_gap", "bulk"),
    ("faust.transport.consumer:Consumer()", "_read_offset", "bulk"),
    ("faust.transport.consumer:Consumer()", "_committed_offset", "bulk"),
    ("faust.transport.consumer:Consumer()", "_acked", "bulk"),
    ("faust.transport.consumer:Consumer()", "_acked_index", "bulk"),
    ("faust.transport.consumer:Consumer()", "_n_acked", "bulk"),
    ("faust.transport.consumer:Consumer()", "_gap", "bulk"),
    ("faust.transport.consumer:Consumer()", "_buffered_partitions", "bulk"),
    ("faust.transport.consumer:Consumer()", "_commit_every", "bulk"),
    ("faust.transport.consumer:Consumer()", "_waiting_for_ack", "bulk"),
    ("faust.transport.consumer:Consumer()", "_thread", "bulk"),
    ("faust.types.tuples", "ack_lock", "bulk"),
    # mode's service: the stop flags the fetch loop watches
    ("mode.services:Service()", "_stopped", "bulk"),
    # Faust's aiokafka consumer thread: how it builds the aiokafka consumer
    ("faust.transport.drivers.aiokafka:Consumer", "_new_consumer_thread", "bulk"),
    ("faust.transport.drivers.aiokafka:AIOKafkaConsumerThread", "_create_worker_consumer", "bulk"),
    ("faust.transport.drivers.aiokafka:AIOKafkaConsumerThread()", "_consumer", "bulk"),
    # aiokafka's consumer: the fetch long-poll and the partition positions
    ("aiokafka:AIOKafkaConsumer()", "_fetch_max_wait_ms", "bulk"),
    ("aiokafka:AIOKafkaConsumer()", "_subscription", "bulk"),
    # Faust's table stores
    ("faust.streams", "_current_event", "store"),
    ("faust.stores.base:SerializedStore", "_iteritems", "store"),
    ("faust.stores.base:SerializedStore", "_decode_key", "store"),
    ("faust.stores.base:SerializedStore", "_decode_value", "store"),
    ("faust.stores.memory:Store()", "_key_partition", "store"),
    ("faust.stores.rocksdb:Store", "_db_for_partition", "store"),
)

class SeamUnsupported(RuntimeError):
    """The installed Faust lacks what the worker cannot do without (no public fallback)."""


@dataclass
class Support:
    """Result of :func:`check_supported`: may the bulk path be used, and if not, why not."""

    bulk: bool
    problems: list[str] = field(default_factory=list)


def _installed(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _vtuple(v: str) -> tuple[int, ...]:
    out = []
    for part in v.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        if not digits:
            break
        out.append(int(digits))
        if len(digits) != len(part):
            break
    return tuple(out)


def _in_range(version: str, lo: str, hi: str) -> bool:
    v = _vtuple(version)
    return _vtuple(lo) <= v < _vtuple(hi)


def _resolve(owner: str) -> Any:
    mod, _, cls = owner.partition(":")
    obj = importlib.import_module(mod)
    if cls:
        obj = getattr(obj, cls.removesuffix("()"))
    return obj


def missing_names(use: str | None = None, *, instance_of: Any = None, owner: str | None = None) -> list[str]:
    """The listed names that do not exist: class and module names (default), or, with
    ``instance_of``, the instance names of ``owner`` on that live object."""
    missing = []
    for own, name, u in PRIVATE_NAMES:
        if use is not None and u != use:
            continue
        if instance_of is not None:
            if own != owner or not own.endswith("()"):
                continue
            if not hasattr(instance_of, name):
                missing.append(f"{own}.{name}")
            continue
        if own.endswith("()"):
            continue
        where = own
        try:
            obj = _resolve(where)
        except ImportError:
            if where.startswith("faust.stores.rocksdb"):
                continue  # RocksDB is optional: the probe then never matches
            missing.append(f"{where}.{name}")
            continue
        except AttributeError:
            missing.append(where)
            continue
        if not hasattr(obj, name):
            missing.append(f"{where.split(':')[-1]}.{name}" if ":" in where else f"{where}.{name}")
    return missing


def check_supported(versions: dict[str, str | None] | None = None) -> Support:
    """Is the installed Faust one the bulk path was tested with, and does it have every
    listed private name? Falls back (``Support(bulk=False)``, a WARNING naming what is
    missing or untested) or, for the store names, raises :class:`SeamUnsupported`."""
    store = missing_names("store")
    if store:
        raise SeamUnsupported(
            "the installed Faust lacks private names the worker's table store access needs: "
            + ", ".join(store) + f"; tested: {_tested()}")
    problems: list[str] = []
    for dist, (lo, hi) in TESTED_VERSIONS.items():
        v = versions[dist] if versions is not None and dist in versions else _installed(dist)
        if v is None:
            problems.append(f"{dist} not installed")
        elif not _in_range(v, lo, hi):
            problems.append(f"{dist} {v} outside the tested range >={lo},<{hi}")
    problems += [f"missing {n}" for n in missing_names("bulk")]
    if problems:
        log.warning("bulk read path disabled, using the agent stream (slower): %s", "; ".join(problems))
        return Support(False, problems)
    return Support(True)


def _tested() -> str:
    return ", ".join(f"{d}>={lo},<{hi}" for d, (lo, hi) in TESTED_VERSIONS.items())


# ---------------------------------------------------------------------------
# the sink: what the bulk drain hands records to (the batch processor)

class BulkSink(Protocol):
    """What the bulk drain needs of the batch processor."""

    unacked: list

    async def handle_reliably(self, messages: Sequence[Any]) -> None: ...

    def defer_acks(self, acks: Sequence[tuple[Any, Sequence[int]]]) -> None:
        """Records handled: ack ``acks`` once their states are written (may flush now)."""

    def forget_acks(self, tp: Any) -> None:
        """Drop the pending acks of ``tp`` (its bookkeeping was reset)."""


_sinks: "weakref.WeakKeyDictionary[Any, tuple[BulkSink, str]]" = weakref.WeakKeyDictionary()


def attach(app: Any, sink: BulkSink, input_topic: str) -> None:
    """Let the :class:`BulkConsumer` of ``app`` read ``input_topic`` in bulk into ``sink``."""
    _sinks[app] = (sink, input_topic)


def consumer_urls(urls: Iterable[str]) -> list[str]:
    """``broker_consumer`` URLs that select :class:`BulkTransport` (same hosts)."""
    return [f"{SCHEME}://{u.split('://', 1)[1] if '://' in u else u}" for u in urls]


# ---------------------------------------------------------------------------
# acks, rewinds, commits

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


def committed_offset(consumer: Any, tp: Any) -> int | None:
    """The offset Faust last committed for ``tp`` (``None``: nothing yet)."""
    return consumer._committed_offset.get(tp)


async def rewind_dropped(consumer: Any, tp: Any, first: int, last: int) -> bool:
    """Seek ``tp`` back to ``first`` after the bulk drain dropped its fetched records
    ``first``..``last`` (unprocessed, or processed but not acked), so they are fetched again.

    aiokafka moved the partition's position past them when it returned them. Faust's
    answer to a dropped fetch is ``perform_seek`` (back to the committed offsets), but
    aiokafka's ``seek_to_committed`` leaves a partition with no committed offset (or
    committed offset 0) where it is -- past the dropped records: a partition taken over
    from a worker that died before its first commit was then never read up to its end.
    A table changelog is never committed at all: changelog records dropped that way
    (a fetch that returned between the recovery's seek and its resuming the flow, or
    after it paused the partition) left the recovery waiting for records it would
    never be given, and the worker never read the partitions it took over.
    Only done while ``tp`` is assigned and its position is still past the dropped
    records (nobody seeked it back since: a seek to the committed offset wins); run in
    the consumer's thread, where aiokafka's fetcher lives. Also resets Faust's read
    offset, as ``Consumer.seek`` does, so the read-offset rule does not reject the
    records when they come again. Returns whether it seeked.
    """
    thread = consumer._thread
    ak = thread._consumer
    if ak is None:  # not started
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
    log.info("%s[%d]: dropped records %d..%d fetched again (position %d -> %d)",
             tp.topic, tp.partition, first, last, position, first)
    return True


# ---------------------------------------------------------------------------
# the consumer and transport registered with Faust

class BulkConsumerThread(_faust_aiokafka.AIOKafkaConsumerThread):
    """Faust's aiokafka consumer thread with a short fetch long-poll.

    Faust builds its aiokafka consumer with ``fetch_max_wait_ms=1500``. aiokafka keeps
    one fetch request in flight per broker, so while caught-up partitions long-poll for
    1.5 s the partitions that still have records wait too: shorten the poll."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        c = super()._create_worker_consumer(transport)
        missing = missing_names(instance_of=c, owner="aiokafka:AIOKafkaConsumer()")
        if missing:
            log.warning("aiokafka consumer lacks %s: fetch long-poll left at Faust's default", ", ".join(missing))
        else:
            c._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
        return c


class BulkConsumer(_faust_aiokafka.Consumer):
    """Faust's aiokafka ``Consumer`` whose fetch loop reads the input topic in bulk.

    With no sink :func:`attach`-ed to its app, or when a listed instance name is
    missing on this Faust (a WARNING says which), it is Faust's consumer unchanged.
    """

    def _new_consumer_thread(self) -> Any:
        return BulkConsumerThread(self, loop=self.loop, beacon=self.beacon)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        missing = missing_names(instance_of=self, owner="faust.transport.consumer:Consumer()")
        missing += missing_names(instance_of=self, owner="mode.services:Service()")
        missing += missing_names(instance_of=self._thread, owner="faust.transport.drivers.aiokafka:AIOKafkaConsumerThread()")
        self.bulk_problems = missing
        if missing:
            log.warning("bulk read path disabled, using the agent stream (slower): missing %s", ", ".join(missing))

    def bulk_sink(self) -> tuple[BulkSink, str] | None:
        if self.bulk_problems:
            return None
        return _sinks.get(self.app)

    async def _drain_messages(self, fetcher: Any) -> None:  # pragma: no cover - exercised by the broker tests
        bound = self.bulk_sink()
        if bound is None:
            return await super()._drain_messages(fetcher)
        return await _bulk_drain(self, fetcher, *bound)


class BulkTransport(_faust_aiokafka.Transport):
    """Faust's aiokafka transport whose ``Consumer`` is :class:`BulkConsumer`."""

    Consumer = BulkConsumer


# registered the way Faust's own drivers are (``kafka``, ``aiokafka``): an alias of
# Faust's transport registry, resolved by ``transport.by_url(conf.broker_consumer[0])``
TRANSPORTS.aliases.setdefault(SCHEME, f"{__name__}:BulkTransport")


async def _bulk_drain(self: Any, fetcher: Any, sink: BulkSink, input_topic: str) -> None:  # pragma: no cover
    """Faust's ``Consumer._drain_messages``, handing the input topic to ``sink`` one fetch at a time.

    Faust's own fetch loop delivers every record on its own (an async iterator step, a
    ``Message`` per record, a ``wait_first`` with two futures, the conductor lock, a
    channel queue, an ``Event``, the stream's processors, an awaited ack), which costs
    far more than the detectors themselves. Here, the records of one fetch
    (``Consumer._wait_next_records``, up to ``broker_max_poll_records``) that belong to
    the input topic go, as aiokafka returned them, to ``sink.handle_reliably`` in one
    pass. Their offsets are acked per partition with :func:`ack_offsets` -- the same
    bookkeeping Faust's stream acks end in, so Faust's commit of acked offsets (after
    its producer flush) is unchanged -- but only once the sink has written the states
    they changed (``sink.defer_acks``). Records of any other topic (table changelogs
    during recovery / standby) still take Faust's own per-message path.

    Kept from Faust's ``getmany``/``_drain_messages``: only active (or buffered)
    partitions are read; nothing is read while the flow is stopped (a rebalance), and a
    fetch that returns then seeks back to the committed offsets; records below the
    partition's read offset are dropped; holes in the offsets (compacted or
    transactional markers) are recorded as gaps so commits can pass them; a batch is
    dropped if a rebalance started while it was fetched (Faust then seeks back to the
    committed offsets). Added: records the drain drops, of the input and of the table
    changelogs, are fetched again (:func:`rewind_dropped`), since that seek leaves a
    partition with nothing committed past them.

    The steps of one fetch: :func:`_seek_back_stopped_flow` (the flow is stopped) or
    :func:`_handle_fetch` (:func:`_split_fetch`, then the sink, then the acks).
    """
    wait_next_records = self._wait_next_records
    consumer_should_stop = self._stopped.is_set
    fetcher_should_stop = fetcher._stopped.is_set
    set_flag = self.diag.set_flag
    unset_flag = self.diag.unset_flag
    read = _read_rule(self, sink)
    try:
        while not (consumer_should_stop() or fetcher_should_stop()):
            set_flag(CONSUMER_FETCHING)
            records, active = await wait_next_records(1.0)
            await self.sleep(0)
            if records is None or self.should_stop:
                pass
            elif not self.flow_active:
                await _seek_back_stopped_flow(self, records)
            elif records:
                await _handle_fetch(self, records, active, sink, input_topic, read)
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


def _read_rule(self: Any, sink: BulkSink) -> Any:  # pragma: no cover - exercised by the broker tests
    """``await read(tp, offset)``: Faust's read-offset rule for the consumer ``self`` (a
    closure over the consumer's bookkeeping, looked up once per drain)."""
    read_offset = self._read_offset
    acks_enabled_for = self.app.topics.acks_enabled_for

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
        sink.forget_acks(tp)

    return read


async def _seek_back_stopped_flow(self: Any, records: Any) -> None:  # pragma: no cover
    """A fetch that returned while the flow is stopped (a rebalance): dropped."""
    # as Faust's getmany: a fetch while the flow is stopped seeks back
    # (and the records it dropped, of any topic, are fetched again, see rewind_dropped)
    for tp, recs in records.items():
        if recs:
            await rewind_dropped(self, tp, recs[0].offset, recs[-1].offset)
    try:
        await self.perform_seek()
    except Exception as exc:
        log.warning("seek while the flow is stopped failed: %r", exc)


async def _handle_fetch(self: Any, records: Any, active: Any, sink: BulkSink, input_topic: str,
                        read: Any) -> None:  # pragma: no cover - exercised by the broker tests
    """One fetch while the flow runs: its input records to ``sink`` in one batch, acked
    once their states are written; the records of other topics the Faust way."""
    app = self.app
    generation = app.consumer_generation_id
    batch, acks, spans = await _split_fetch(self, records, active, input_topic, read, generation)
    if not batch:
        return
    if self.suspend_flow.is_set() or not self.flow_active or app.consumer_generation_id != generation:
        # a rebalance started: drop; Faust seeks back to the committed offsets
        # (and to the dropped records where nothing is committed)
        await _rewind_spans(self, spans)
        return
    # failures: rolled back and retried, then record by record (a record that
    # fails alone is dead-lettered); dead letters written -- all before any ack
    await sink.handle_reliably(batch)
    if app.consumer_generation_id != generation:
        # a rebalance started while the batch waited (retries, dead-letter writes):
        # not acked here; its states were written on revocation, and whoever owns
        # the partitions now re-reads these records (recognised as duplicates;
        # this worker too, if it kept a partition with nothing committed)
        await _rewind_spans(self, spans)
        return
    sink.defer_acks(acks)  # writes the states and acks when due
    commit_every = self._commit_every
    if commit_every is not None and self._n_acked >= commit_every:
        self._n_acked = 0
        await self.commit()


async def _split_fetch(self: Any, records: Any, active: Any, input_topic: str, read: Any,
                       generation: Any) -> tuple[list, list, dict]:  # pragma: no cover
    """The input records of one fetch that are still to be read, their acks and spans;
    the records of other topics are handed to Faust on the way (:func:`_faust_path`)."""
    read_offset = self._read_offset
    buffered = self._buffered_partitions
    track_end = self.app.monitor.track_tp_end_offset
    batch: list = []
    acks: list[tuple[Any, Sequence[int]]] = []
    #: input partition -> (first offset to read again, last fetched offset) if dropped
    spans: dict[Any, tuple[int, int]] = {}
    for tp, recs in records.items():
        if not recs:
            continue
        if active is not None and tp not in active and tp not in buffered:
            # paused (e.g. by the recovery) since aiokafka returned them: fetched again
            # when resumed (a changelog's too: the recovery counts on reading them)
            await rewind_dropped(self, tp, recs[0].offset, recs[-1].offset)
            continue
        track_end(tp, self.highwater(tp))
        if tp.topic != input_topic:
            await _faust_path(self, tp, recs, read, generation)
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
    return batch, acks, spans


async def _faust_path(self: Any, tp: Any, recs: Any, read: Any, generation: Any) -> None:  # pragma: no cover
    """Records of a topic other than the input (a table changelog): Faust's own
    per-message path, as long as no rebalance started."""
    app = self.app
    callback = self.callback
    to_message = self._to_message
    for rec in recs:  # Faust's own per-message path
        if app.consumer_generation_id != generation:
            # a rebalance started: the rest fetched again (unless its recovery seeks)
            await rewind_dropped(self, tp, rec.offset, recs[-1].offset)
            break
        if await read(tp, rec.offset):
            await self.wait_first(callback(to_message(tp, rec)), self.suspend_flow.wait())


async def _rewind_spans(self: Any, spans: dict[Any, tuple[int, int]]) -> None:  # pragma: no cover
    """The input records of a dropped batch, fetched again (:func:`rewind_dropped`)."""
    for tp, (first, last) in spans.items():
        await rewind_dropped(self, tp, first, last)


# ---------------------------------------------------------------------------
# the table store

class _PartitionEvent:
    """Stands in for Faust's current event while a batch writes the table store.

    Stores that keep one database per partition (RocksDB), and the memory store's
    key -> partition index, ask the current event which partition a key belongs to;
    the batch path runs outside Faust's per-event context, so it names the input
    partition itself.
    """

    __slots__ = ("message", "__weakref__")

    def __init__(self, partition: int) -> None:
        self.message = SimpleNamespace(partition=partition)


class TableStore:
    """The learned-state table as the batch processor uses it (``streams.agents.Store``).

    ``restore(value, key, metrics)`` turns a stored value into a state or None (a
    refused record; counted on ``metrics`` when given)."""

    def __init__(self, table: Any, restore: Any = None, metrics: Any = None) -> None:
        self.table = table
        self.restore = restore
        self.metrics = metrics

    @property
    def copies(self) -> bool:
        """Does the store hand out copies (a serialized store: RocksDB)?"""
        return hasattr(self.table.data, "_db_for_partition")

    def get(self, key: str, count_refused: bool = True) -> Any:
        value = self.table.data.get(key)
        if self.restore is None:
            return value
        return self.restore(value, key, self.metrics if count_refused else None)

    def contains_object(self, key: str, obj: Any) -> bool:
        return self.table.data.get(key) is obj

    def put(self, key: str, value: Any, partition: int | None) -> None:
        data = self.table.data
        if partition is None or not hasattr(data, "_db_for_partition"):
            data[key] = value
            return
        self._in_partition(partition, data.__setitem__, key, value)

    def delete(self, key: str, partition: int) -> None:
        data = self.table.data
        try:
            self._in_partition(partition, data.__delitem__, key)
        except KeyError:
            pass
        key_partition = getattr(data, "_key_partition", None)  # the memory store's restore index
        if key_partition is not None:
            key_partition.pop(key, None)

    @staticmethod
    def _in_partition(partition: int, fn: Any, *args: Any) -> None:
        from faust.streams import _current_event

        shim = _PartitionEvent(partition)
        token = _current_event.set(weakref.ref(shim))
        try:
            fn(*args)
        finally:
            _current_event.reset(token)

    def send_changelog(self, partition: int | None, key: str, value: Any, **kw: Any) -> Any:
        return self.table.send_changelog(partition, key, value, **kw)

    def items(self) -> tuple[Iterator[tuple[str, Any]], dict[str, int]]:
        """``(key, value)`` of the store, and the key -> partition index if it has one (memory store).

        A serialized store's records (active partitions only) are decoded one by one: one
        that cannot be decoded is skipped (and logged) instead of ending the iteration."""
        data = self.table.data
        key_partition = getattr(data, "_key_partition", None)
        if key_partition is None and hasattr(data, "_iteritems") and hasattr(data, "_decode_value"):
            return self._decoded(data), {}
        return iter(list(data.items())), key_partition or {}

    @staticmethod
    def _decoded(data: Any) -> Iterator[tuple[str, Any]]:
        for key, value in data._iteritems():
            try:
                yield data._decode_key(key), data._decode_value(value)
            except Exception as exc:
                log.warning("skipped a state record on restore: %s", type(exc).__name__)
