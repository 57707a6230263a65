"""The detection pipeline: one event in, alerts out; all learned state per sender."""

from __future__ import annotations

import re
from collections import OrderedDict
from hashlib import blake2b

from .alerts import Alert, rfc3339
from .config import SentinelConfig
from .dedup import Redeliveries
from .episodes import EpisodeEnd, Episodes
from .events import MailEvent
from .fanout import FanOut, ReplyRelay, is_internal, own_domain, recipient_groups
from .localtime import LocalTime
from .loop import MailLoop
from .novelty import TemplateNovelty
from .policy import Facts, SeverityPolicy
from .senderkind import SenderKind
from .sensitive import SensitiveRequest, find_requests
from .sketches import RecentIds, RotatingBloom
from .templates import TemplateKeyer
from .volume import VolumeSpike

__all__ = ["Sentinel", "SenderState", "Outcome", "TemplateStats"]

_SAMPLE = 5  # event ids kept per template for alert evidence
_PER_TEMPLATE = frozenset({"template_spike", "template_novelty"})
_DIGITS = b"0123456789"  # subjects are compared without their numbers (bytes.translate deletes them)
_TAIL = 40  # bytes at the end of a body (digits left out) that confirm a cached template key
_SUBJECT_CACHE = 100_000  # (sender, normalised subject) entries of the template-key cache
_SENDER_CACHE = 100_000  # senders in the own-domain cache
_CONTENTS = 16  # content keys (derived template keys) remembered per template, with their verdicts
#: ``{"unrelated": n}`` for the common small counts, built once (the fan-out detector's
#: ``learn_one`` reads its input and keeps nothing of it)
_UNRELATED = tuple({"unrelated": n} for n in range(8))
_URL_HOST = re.compile(r"https?://([^/\s:?#>\"')]+)", re.IGNORECASE)


def _close_bucket(det: VolumeSpike, prev: int, count: int, bucket: int, bucket_seconds: int,
                  local: LocalTime | None) -> None:
    """Teach ``det`` the finished bucket ``prev`` (``count``) and the empty ones up to ``bucket``.

    The detector's seasons (hour of day, day of week) are local time: it is given
    the bucket's start as local wall-clock seconds (``local`` None: UTC).
    """
    start = prev * bucket_seconds
    det.learn_one({"value": count, "ts": start if local is None else local(start),
                   "gap": min(bucket - prev - 1, 100_000)})


def _tail(body: str) -> bytes:
    """The last ``_TAIL`` bytes of ``body`` with its digits left out."""
    return body[-2 * _TAIL :].encode("utf-8", "surrogatepass").translate(None, _DIGITS)[-_TAIL:]


class TemplateStats:
    """What one sender's template did: age, counts, the current bucket, its spike detector."""

    __slots__ = ("first_ts", "novel", "total", "bucket", "count", "spike", "sensitive", "sample", "expected",
                 "limit", "limit_hour", "contents", "asked", "content")

    def __init__(self, first_ts: float, bucket: int, novel: bool = True) -> None:
        self.first_ts = first_ts
        self.novel = novel  # never seen from this sender before first_ts
        self.total = 0
        self.bucket = bucket
        self.count = 0
        self.spike: VolumeSpike | None = None
        self.sensitive: frozenset[str] | None = None  # what the current content asks for
        # content key (derived template key of the masked text) -> what that content asks for;
        # a key not in here is new content: scanned at once (a changed template)
        self.contents: dict[str, frozenset[str]] = {}
        self.content = ""  # the content key of the last message
        # category -> event time this template first asked for it (never shrinks; <= 7 entries)
        self.asked: dict[str, float] = {}
        self.sample: list[str] = []
        self.expected = 0.0  # learned expectation for the current bucket
        # the spike detector scores 0 up to this count in the current bucket and hour
        # (tolerance x reference; the reference only changes when a bucket closes)
        self.limit = 0.0
        self.limit_hour = -1  # hour (ts // 3600) that ``limit`` holds for; -1: to compute

    def __getstate__(self):
        return tuple(getattr(self, s) for s in self.__slots__)

    def __setstate__(self, state):
        self.limit, self.limit_hour = 0.0, -1
        self.contents, self.content, self.asked = {}, "", {}  # states pickled before these existed
        for s, v in zip(self.__slots__, state):
            setattr(self, s, v)


class SenderState:
    """Everything learned about one sending account. Picklable; bounded size."""

    __slots__ = (
        "sender", "first_ts", "last_ts", "n_events", "kind", "recent_ids", "offsets", "templates",
        "aliases", "seen_templates", "novel_history", "fanout", "recipients", "new_bucket", "new_count",
        "new_spike", "episodes", "loop", "new_prev",
    )

    def __init__(self, sender: str = "", quiet_seconds: float = 3600) -> None:
        self.sender = sender
        self.first_ts: float | None = None
        self.last_ts = 0.0
        self.n_events = 0
        self.kind = SenderKind()
        self.recent_ids = Redeliveries()  # re-delivered event ids over >= 24 h of event time
        self.offsets: dict[int, int] = {}  # input partition -> last processed offset
        self.templates: OrderedDict[str, TemplateStats] = OrderedDict()
        self.aliases: dict[str, str] = {}  # derived key -> template_id
        self.seen_templates = RotatingBloom(capacity=1024)  # every template key ever used, recent first
        self.novel_history = [0.0, 0.0]  # decayed count of new templates that reached volume, at ts
        self.fanout = FanOut()
        self.recipients: RotatingBloom | None = None  # human senders only
        self.new_bucket = -1
        self.new_count = 0
        self.new_spike = VolumeSpike(tolerance=3.0, warm_up=288)
        self.episodes = Episodes(quiet_seconds)
        self.loop = MailLoop()
        self.new_prev = 0  # never-mailed recipients in the bucket before new_bucket (human senders)

    def __getstate__(self):
        return tuple(getattr(self, s) for s in self.__slots__)

    def __setstate__(self, state):
        self.loop, self.new_prev = MailLoop(), 0  # states pickled before these existed
        for s, v in zip(self.__slots__, state):
            setattr(self, s, v)
        if isinstance(self.recent_ids, RecentIds):  # the last-128 ring of earlier releases
            self.recent_ids = Redeliveries()

    def baseline(self, template: str, ts: float | None = None) -> float | None:
        """Learned seasonal expectation of a template's bucket volume (None if unknown)."""
        t = self.templates.get(template)
        if t is None or t.spike is None:
            return None
        return t.spike.expected(ts)


class Outcome:
    """What processing one event gave.

    ``alerts``: new or escalated episodes; ``ended``: episodes that closed;
    ``duplicate``: the event was a re-delivery and nothing was learned;
    ``template``: template id or derived key; ``kind``: ``"automated"`` or
    ``"human"``; ``scores``: detector -> score in [0, 1] for the detectors that
    scored; ``volume``: (messages in the template's current bucket, learned
    expectation); ``unrelated``: unrelated external customers on the message;
    ``late``: the event's volume bucket had already closed (it counts in the current one);
    ``reset``: the record's offset was at or below the last one this sender's state
    remembers for its partition, yet its ``event_id`` was never seen: the topic was
    re-created, truncated or reset, and the event was processed as new.
    """

    __slots__ = ("alerts", "ended", "duplicate", "template", "kind", "scores", "volume", "unrelated", "late",
                 "reset")

    def __init__(self, duplicate: bool = False, template: str = "", kind: str = "human",
                 scores: dict[str, float] | None = None, volume: tuple[float, float] | None = None,
                 unrelated: int = 0, alerts: list[Alert] | None = None, ended: list[EpisodeEnd] | None = None) -> None:
        self.alerts: list[Alert] = [] if alerts is None else alerts
        self.ended: list[EpisodeEnd] = [] if ended is None else ended
        self.duplicate = duplicate
        self.template = template
        self.kind = kind
        self.scores: dict[str, float] = {} if scores is None else scores
        self.volume = volume
        self.unrelated = unrelated
        self.late = False  # its bucket had closed: counted in the template's current bucket
        self.reset = False  # offset at or below the remembered one, event id never seen

    def __repr__(self) -> str:
        return (f"Outcome(alerts={len(self.alerts)}, ended={len(self.ended)}, duplicate={self.duplicate}, "
                f"template={self.template!r}, kind={self.kind!r}, scores={self.scores!r})")


class _Message(Outcome):
    """What :meth:`Sentinel.process` found out about one event so far, handed from step to
    step; it is the :class:`Outcome` that ``process`` returns (one object per event, no copy).

    The steps set: ``event``, ``st``, ``ts``, and the outcome's ``alerts``, ``ended``,
    ``duplicate``, ``scores``, ``reset`` and ``late`` (:meth:`Sentinel._dedup`); ``kind``,
    ``automated``, ``template``, ``content``, ``t``, ``bucket`` (``_key``; ``_kind`` when the
    kind is learned); ``late``, ``count``, ``total`` (``_bucket``); ``own``, ``visible``,
    ``external``, ``unrelated``, ``loop_key`` (``_recipients``); the detectors ``cats``,
    ``standing``, ``repeats``, ``volume`` and ``triggers`` (``_dedup`` sets the defaults of
    those only some messages set: slots read faster than class attributes looked up through
    an instance).
    """

    __slots__ = ("event", "st", "ts", "automated", "content", "t", "bucket", "count", "total", "own", "visible",
                 "external", "loop_key", "cats", "standing", "repeats", "triggers")
    __init__ = object.__init__  # the steps set every field (Outcome's defaults are not needed)

    def trigger(self, detector: str, score: float, summary: str, evidence: dict) -> None:
        """A detector scored high enough to alert: the rules (:meth:`Sentinel._raise`) decide."""
        if self.triggers is None:
            self.triggers = []
        self.triggers.append((detector, score, summary, evidence))


class Sentinel:
    """Runs every detector on each event; learned state lives in :class:`SenderState`.

    The instance holds the configuration and caches derived from it (template
    keys, sensitive-text verdicts per template), never learned state, so any number
    of workers can share the work as long as each sender's state travels with it.

    Examples
    --------
    >>> from detectors.events import parse_event
    >>> s = Sentinel(SentinelConfig(internal_domains=("example.com",)))
    >>> e = parse_event({"event_id": "1", "ts": 1503568800, "sender": "care@example.com",
    ...                  "sender_kind": "automated", "template_id": "verify",
    ...                  "to": ["a@gmail.com", "b@yahoo.com", "c@orange.fr", "d@gmail.com"],
    ...                  "subject": "Verify your order",
    ...                  "body": "Please reply with a photo of your passport."})
    >>> for a in s.process_one(e).alerts:
    ...     print(a.detector, a.severity, a.evidence["harm"])
    sensitive_request critical ['exposed_customers']
    fanout critical ['exposed_customers']
    """

    def __init__(self, config: SentinelConfig | None = None) -> None:
        self.config = config or SentinelConfig()
        c = self.config
        self._internal = frozenset(c.internal_domains)
        self._freemail = frozenset(c.freemail_domains)
        self._keyer = TemplateKeyer()
        self._sensitive = SensitiveRequest()
        self._relay = ReplyRelay()
        self._policy = SeverityPolicy(c.warning_score, c.critical_score, c.human_page_new_recipients,
                                      c.loop_page_repeats, c.fanout_min_unrelated)
        self._warning = self._policy.warning_score  # below it a score never alerts: no summary to write
        self._bucket_seconds = c.bucket_seconds
        self._spike_min_count = c.spike_min_count
        self._loop_min_repeats = c.loop_min_repeats
        self._novelty = TemplateNovelty(c.novelty_min_count, c.novelty_age_seconds, c.sender_warm_up_seconds,
                                        critical_score=c.critical_score, min_unrelated=c.fanout_min_unrelated)
        #: the detectors of :meth:`process`, in the order their alerts come out
        self._detectors = (self._sensitive_request, self._fanout, self._reply_relay, self._mail_loop,
                           self._template_spike, self._template_novelty, self._recipient_novelty)
        self._key_cache: dict[bytes, list] = {}
        self._own: dict[str, str] = {}  # sender -> its domain as an internal one (see own_domain)
        self._states: OrderedDict[str, SenderState] = OrderedDict()
        self._local = LocalTime(c.timezone)
        self._sender_local = {s: LocalTime(z) for s, z in c.sender_zones().items()}
        self._utc = not self._sender_local and c.timezone in ("UTC", "Etc/UTC")
        #: earliest first-seen time of any sender processed: the stream's start, for the warm-up
        #: (with restored states, the first known sender's history brings it back)
        self.stream_start: float | None = None

    # -- state ------------------------------------------------------------------------
    def new_state(self, sender: str = "") -> SenderState:
        c = self.config
        st = SenderState(sender, c.episode_quiet_seconds)
        st.fanout = FanOut(c.fanout_min_unrelated, c.fanout_min_unrelated_human)
        st.recent_ids = Redeliveries(c.dedup_window_seconds, c.dedup_max_ids)
        st.loop = MailLoop(c.loop_window_seconds, c.loop_min_repeats, c.loop_page_repeats)
        return st

    def local_time(self, sender: str) -> LocalTime | None:
        """The clock of ``sender``'s seasons: its own zone if configured, else the
        deployment's; None when that is UTC (nothing to convert)."""
        if self._utc:
            return None
        return self._sender_local.get(sender, self._local) if self._sender_local else self._local

    def state_for(self, sender: str) -> SenderState:
        """The replay-mode state of ``sender`` (bounded LRU of ``max_senders``)."""
        st = self._states.get(sender)
        if st is None:
            st = self._states[sender] = self.new_state(sender)
            if len(self._states) > self.config.max_senders:
                self._states.popitem(last=False)
        else:
            self._states.move_to_end(sender)
        return st

    def process_one(self, event: MailEvent) -> Outcome:
        """Replay convenience: process with the sender's state kept in this instance."""
        st = self._states.get(event.sender)
        if st is None:
            return self.process(event, self.state_for(event.sender))
        self._states.move_to_end(event.sender)
        return self.process(event, st)

    def expire(self, state: SenderState, now: float) -> list[EpisodeEnd]:
        """Episodes of ``state`` quiet for longer than the quiet period at ``now``."""
        return state.episodes.expire(state.sender, now)

    # -- helpers ------------------------------------------------------------------------
    def _template_of(self, event: MailEvent, st: SenderState, human: bool) -> tuple[str, str]:
        """``(template, content key)``: the template id (or derived key) and the derived key
        of the message's masked text, which changes when the template's content does
        (empty for free text, whose every message is scanned)."""
        tid = event.template_id
        if not tid:
            if human:
                # A person's mail is free text: its "template" is its subject line with the
                # numbers masked ("h:" keys). What matters there is one subject sent to many,
                # and masking every body would cost more than all the detectors together.
                subject = (event.subject or "")[:200].casefold().encode("utf-8", "surrogatepass")
                return "h:" + blake2b(subject.translate(None, _DIGITS), digest_size=8).hexdigest(), ""
            key = self._derived_key(event)
            return st.aliases.get(key, key), key
        # Learn which derived key this template's text gives, so events of the same
        # template without template_id are counted together (a cached lookup mostly).
        key = self._derived_key(event)
        if st.aliases.get(key) != tid:
            if len(st.aliases) >= 256:
                st.aliases.pop(next(iter(st.aliases)))
            st.aliases[key] = tid
            t = st.templates.get(tid)
            orphan = st.templates.pop(key, None)
            if orphan is not None and t is not None:
                t.total += orphan.total
                if orphan.bucket == t.bucket:
                    t.count += orphan.count
        return tid, key

    def _derived_key(self, event: MailEvent) -> str:
        """``TemplateKeyer.key`` of the event, with a cache by (sender, subject).

        Masking the body costs ~150 µs, the costliest step by far. Automated mail
        repeats its subject line (but for numbers) with the same template, so once
        three messages with the same sender and subject gave the same key, the key is
        reused. It is confirmed by keying in full: at once when the end of the body
        (digits left out) differs from the one remembered -- the sign of another body
        under the same subject --, and otherwise every 256th message (every 64th when
        the template's last characters vary, so that the end of the body tells nothing),
        and at once when the body's length leaves the range (plus an eighth) that the
        template's keyed messages had: a paragraph added in the middle of an
        established template (a changed template) is keyed, and so scanned, at its
        first message. A different key resets the entry. Free-text mail never agrees
        three times and is always keyed in full.
        """
        subject = event.subject or ""
        body = event.body or ""
        ck = (event.sender + "\x00" + subject[:200]).encode("utf-8", "surrogatepass").translate(None, _DIGITS)
        cache = self._key_cache
        entry = cache.get(ck)
        tail = None
        size = len(body)
        if entry is not None and entry[1] >= 3 and entry[4] <= size <= entry[5]:
            n = entry[2] = entry[2] + 1
            if entry[3] is None:  # the ending varies: no tail to compare
                if n & 63:
                    return entry[0]
            elif n & 255:
                tail = _tail(body)
                if entry[3] == tail:
                    return entry[0]
        if tail is None:
            tail = _tail(body)
        key = self._keyer.key(event.subject, event.body)
        if entry is None:
            if len(cache) >= _SUBJECT_CACHE:
                del cache[next(iter(cache))]
            cache[ck] = [key, 1, 1, tail, size, size, size, size]
        elif entry[0] == key:
            entry[1] += 1
            if entry[3] != tail:
                entry[3] = None  # the same template ends differently: the tail tells nothing
            lo, hi = min(entry[6], size), max(entry[7], size)  # lengths seen, and the range accepted
            slack = (hi >> 3) + 8
            entry[4], entry[5], entry[6], entry[7] = lo - slack, hi + slack, lo, hi
        else:
            entry[:] = [key, 1, 1, tail, size, size, size, size]
        return key

    def _categories(self, t: TemplateStats, content: str, event: MailEvent) -> frozenset[str]:
        """What the message asks for: scanned once per content key of a template (every
        message of free text); new content under a known template is scanned at once."""
        found = find_requests(f"{event.subject or ''}\n{event.body or ''}")
        if content:
            contents = t.contents
            if len(contents) >= _CONTENTS:
                del contents[next(iter(contents))]
            contents[content] = found
            t.content = content
        t.sensitive = found
        return found

    def _standing(self, t: TemplateStats, cats: frozenset[str], ts: float) -> str:
        """The standing of a sensitive request for its account and template (see :class:`Facts`)."""
        c = self.config
        asked = t.asked
        newest = 0.0
        for cat in cats:
            first = asked.get(cat)
            if first is None:
                first = asked[cat] = ts
            if first > newest:
                newest = first
        start = self.stream_start if self.stream_start is not None else ts
        if newest < start + c.stream_warm_up_seconds:
            return "established"  # asked already while the stream was learning what accounts do
        if ts - newest >= c.sensitive_established_seconds:
            return "established"  # asked for long enough: this template's normal
        # the template was sending for a while before it started asking: its content changed
        if newest - t.first_ts >= c.bucket_seconds and t.total - 1 > c.novelty_min_count:
            return "changed"
        return "new"

    # -- the per-event path -----------------------------------------------------------
    def process(self, event: MailEvent, state: SenderState, offset: tuple[int, int] | None = None) -> Outcome:
        """Score ``event``, learn from it, return new alerts.

        ``offset`` is the (partition, offset) of the record when read from Kafka.
        Offsets are not identity: a record at or below the last processed offset of
        that partition for this sender is a re-delivery (not learned twice) only if
        its ``event_id`` was seen; otherwise the topic was re-created, truncated or
        its offsets reset, and the event is processed as new with ``Outcome.reset``
        set (the worker counts it in ``mailflow_offset_resets_total``) and the
        partition's remembered offset moves back to it. Independently of offsets,
        an ``event_id`` the sender sent within the last 24 hours of event time
        (:class:`~detectors.dedup.Redeliveries`) is a duplicate too: upstream
        producers, MTAs and webhook retries re-deliver as well.

        A late event (its bucket already closed for its template) is counted in the
        template's current bucket: closed buckets are never re-opened, and nothing
        is dropped (``Outcome.late``).

        The steps, each a method below: :meth:`_dedup`, :meth:`_key`, :meth:`_kind`,
        :meth:`_bucket`, :meth:`_recipients`, the detectors (one method each, listed in
        ``self._detectors``), the rules (:meth:`_raise`, through the one
        :class:`~detectors.policy.SeverityPolicy`) and the episodes. This runs once
        per message, so it is written for speed: the common case (a known template
        with a declared sender kind, one recipient, nothing to report) allocates the
        outcome (which is also the record the steps hand on: no copy) and its empty
        lists and scores, skips the steps that have nothing to do for it (the learned
        sender kind, the scan of known content, relayed replies, template novelty or
        the never-mailed recipients) and calls no detector whose answer is known to be
        0. ``bench/instructions.py`` counts its instructions per event.
        """
        m = self._dedup(event, state, offset)
        if m is None:
            return Outcome(True)
        self._key(m)
        if m.kind is None:  # not declared
            self._kind(m)
        self._bucket(m)
        self._recipients(m)
        # the detectors, as in self._detectors (the order their alerts come out); the three
        # that score only some messages run only for those (each checks again itself)
        t = m.t
        if not m.content or m.content != t.content or t.sensitive:  # else: known content, asks nothing
            self._sensitive_request(m)
        self._fanout(m)
        if m.unrelated >= 2 and m.event.in_reply_to:
            self._reply_relay(m)
        if m.loop_key:
            self._mail_loop(m)
        self._template_spike(m)
        if m.automated:
            if t.novel:
                self._template_novelty(m)
        else:
            self._recipient_novelty(m)
        if m.triggers:
            self._raise(m)
        if state.episodes:
            m.ended = state.episodes.expire(state.sender, m.ts)
        return m

    # -- the steps of process() -------------------------------------------------------
    def _dedup(self, event: MailEvent, st: SenderState, offset: tuple[int, int] | None) -> _Message | None:
        """None for a re-delivery; else the event's :class:`_Message`, with the sender's
        clock (first and last event time, events seen) and the stream's start moved on."""
        if not st.sender:
            st.sender = event.sender
        reset = False
        if offset is not None:
            part, off = offset
            offsets = st.offsets
            last = offsets.get(part)
            if last is not None and off <= last:
                if event.event_id in st.recent_ids:
                    return None  # re-read after a restart: known
                reset = True  # an offset regression: the topic's offsets were reset
            offsets[part] = off
        ts = event.ts
        if st.recent_ids.seen_or_add(event.event_id, ts):
            return None
        first_ts = st.first_ts
        if first_ts is None:
            first_ts = st.first_ts = ts
        start = self.stream_start
        if start is None or first_ts < start:
            self.stream_start = first_ts
        if ts > st.last_ts:
            st.last_ts = ts
        st.n_events += 1
        m = _Message()
        m.event = event
        m.st = st
        m.ts = ts
        m.alerts = []
        m.ended = []
        m.duplicate = False
        m.scores = {}
        m.reset = reset
        m.late = False
        m.cats = m.standing = m.triggers = None
        m.repeats = 0
        return m

    def _key(self, m: _Message) -> None:
        """The template (id or derived key) and its stats; the declared sender kind, which
        tells free text (a person's) from templated mail."""
        event, st = m.event, m.st
        kind_model = st.kind
        declared = event.sender_kind
        if declared and declared != kind_model.declared:
            kind_model.declare(declared)
        kind = m.kind = kind_model.declared  # once declared, the learned guess is never used
        m.automated = kind == "automated"
        template, m.content = self._template_of(event, st, (kind or kind_model.predict(event.sender)) == "human")
        m.template = template
        templates = st.templates
        t = templates.get(template)
        ts = m.ts
        bucket = m.bucket = int(ts // self._bucket_seconds)
        if t is None:
            novel = st.seen_templates.add(template) and st.n_events > 1
            t = templates[template] = TemplateStats(ts, bucket, novel)
            if len(templates) > self.config.max_templates_per_sender:
                templates.popitem(last=False)
        else:
            templates.move_to_end(template)
        m.t = t

    def _kind(self, m: _Message) -> None:
        """The sender kind of a sender that does not declare it: learned from what it does
        (a declared kind is :meth:`_key`'s, and this step is skipped)."""
        kind_model = m.st.kind
        kind_model.observe(m.t.total > 0, m.event.in_reply_to is not None, int(m.ts % 86_400) // 3600)
        kind = m.kind = kind_model.predict(m.event.sender)
        m.automated = kind == "automated"

    def _bucket(self, m: _Message) -> None:
        """The template's volume bucket: a new bucket closes the last one (its spike detector
        learns it); a late event's closed bucket is not re-opened: it counts now."""
        t, bucket = m.t, m.bucket
        if bucket > t.bucket:
            c = self.config
            if t.spike is None and t.total >= 2:
                t.spike = VolumeSpike(tolerance=c.spike_tolerance, seed=c.seed)
            if t.spike is not None:
                local = self.local_time(m.event.sender)
                _close_bucket(t.spike, t.bucket, t.count, bucket, c.bucket_seconds, local)
                start = bucket * c.bucket_seconds
                t.expected = t.spike.expected(start if local is None else local(start))
            t.bucket, t.count = bucket, 0
            t.limit_hour = -1
        elif bucket < t.bucket:
            m.late = True
        m.count = t.count = t.count + 1
        m.total = t.total = t.total + 1
        if len(t.sample) < _SAMPLE:
            t.sample.append(m.event.event_id)

    def _recipients(self, m: _Message) -> None:
        """Visible, external and unrelated recipients, and the loop key; a person's
        never-mailed recipients are learned."""
        event = m.event
        sender = event.sender
        own = self._own.get(sender)
        if own is None:
            own = self._own_domain(sender)
        m.own = own
        internal = self._internal
        to = event.to
        if len(to) == 1 and not event.cc:  # the common case, without sets
            m.visible = to
            r = to[0]
            m.external = m.unrelated = 0 if is_internal(r[r.rfind("@") + 1 :], own, internal) else 1
            m.loop_key = r + "\x1f" + m.template
        else:
            visible = m.visible = event.visible_recipients
            m.external, m.unrelated = recipient_groups(visible, event.sender_domain, internal, self._freemail)
            m.loop_key = "\x1e".join(sorted(visible)) + "\x1f" + m.template if visible else ""
        if not m.automated:
            self._learn_recipients(event, m.st, own, m.bucket)

    # -- the detectors: each scores (River protocol) and, at a score that can alert, says why
    def _sensitive_request(self, m: _Message) -> None:
        """Scanned once per content of a template (a new content key, i.e. a changed template,
        at once), every message of free text but a person's one-to-one reply (what it could
        ask is at most a warning: not worth a scan)."""
        t, content, event = m.t, m.content, m.event
        if content and content == t.content:
            cats = t.sensitive
        elif not content and event.in_reply_to is not None and m.unrelated <= 1 and not m.automated:
            cats = None
        else:
            cats = t.contents.get(content) if content else None
            if cats is None:
                cats = self._categories(t, content, event)
            else:
                t.content, t.sensitive = content, cats
        if not cats:
            return  # (m.cats stays None: no request)
        m.cats = cats
        ts, total, unrelated = m.ts, m.total, m.unrelated
        standing = m.standing = self._standing(t, cats, ts)
        s = m.scores["sensitive_request"] = self._sensitive.score_one(
            {"subject": event.subject, "body": event.body, "automated": m.automated,
             "volume": total, "unrelated": unrelated, "categories": cats}
        )
        if s >= self._warning:
            what = ", ".join(sorted(cats)).replace("_", " ")
            how = {"new": "a request new for this template", "changed": "new content of an established template",
                   "established": "what this template has asked for since "
                                  + rfc3339(min(t.asked[x] for x in cats))[:10]}[standing]
            m.trigger(
                "sensitive_request", s,
                f"{event.sender} ({m.kind}) sent {total} message(s) of template {m.template} asking recipients "
                f"for {what} ({how}), each to {unrelated} unrelated customer(s); expected: no request "
                f"for such data by mail.",
                {"categories": sorted(cats), "messages": total, "unrelated_recipients": unrelated,
                 "sender_kind": m.kind, "request": standing},
            )

    def _fanout(self, m: _Message) -> None:
        """Unrelated customers who see each other; scored against the habit, then learned."""
        fanout = m.st.fanout
        unrelated = m.unrelated
        if unrelated >= fanout.min_unrelated:
            s = fanout.score_one({"unrelated": unrelated, "automated": m.automated})
            if s:
                m.scores["fanout"] = s
                critical = unrelated >= self.config.fanout_critical_unrelated
                if s >= self._warning or critical:
                    if critical:
                        s = max(s, self.config.critical_score)
                    usual = fanout.usual
                    m.trigger(
                        "fanout", s,
                        f"{m.event.sender} sent a message to {unrelated} unrelated external customers who can "
                        f"see each other; this account usually addresses {usual:.1f} per message.",
                        {"unrelated_recipients": unrelated, "external_recipients": m.external,
                         "visible_recipients": len(m.visible), "usual_unrelated": round(usual, 2),
                         "threshold": round(fanout.threshold(m.automated), 2)},
                    )
        fanout.learn_one(_UNRELATED[unrelated] if unrelated < 8 else {"unrelated": unrelated})

    def _reply_relay(self, m: _Message) -> None:
        """A reply with attachments relayed to unrelated customers (rule-based)."""
        event, unrelated = m.event, m.unrelated
        if unrelated < 2 or not event.in_reply_to or not event.attachments:
            return
        images = sum(1 for a in event.attachments if a.is_image)
        s = m.scores["reply_relay"] = self._relay.score_one(
            {"reply": True, "attachments": len(event.attachments), "images": images, "unrelated": unrelated})
        if s >= self._warning:
            m.trigger(
                "reply_relay", s,
                f"{event.sender} relayed a reply with {len(event.attachments)} attachment(s) "
                f"({images} image(s)) to {unrelated} unrelated customers; a reply normally goes to one.",
                {"attachments": len(event.attachments), "image_attachments": images,
                 "unrelated_recipients": unrelated},
            )

    def _mail_loop(self, m: _Message) -> None:
        """The same recipients, the same content, over and over."""
        key = m.loop_key
        if not key:
            return
        loop = m.st.loop
        repeats = m.repeats = loop.observe(key, m.ts)
        if repeats < self._loop_min_repeats:
            return
        s = m.scores["mail_loop"] = loop.score_one({"loop_key": key, "ts": m.ts})
        if s >= self._warning:
            window = self.config.loop_window_seconds
            n = len(m.visible)
            m.trigger(
                "mail_loop", s,
                f"{m.event.sender} sent the same message (template {m.template}) {repeats} times to the same "
                f"{n} recipient(s) within {window // 60} minutes; expected: at most a few.",
                {"repeats": repeats, "recipients": n, "window_seconds": window},
            )

    def _template_spike(self, m: _Message) -> None:
        """The template's bucket against its learned baseline."""
        t, count = m.t, m.count
        spike = t.spike
        if spike is None:
            m.volume = (float(count), 0.0)
            return
        m.volume = (float(count), t.expected)
        if count < self._spike_min_count:
            return
        c = self.config
        ts = m.ts
        lts = ts if self._utc else self.local_time(m.event.sender)(ts)
        hour = int(lts // 3600)
        if t.limit_hour != hour:
            # scores are 0 up to tolerance x reference, which only moves when a
            # bucket closes (or the hour changes): compute it once per bucket
            t.limit = (spike.tolerance * spike.reference(lts) if spike.n_learned >= spike.warm_up
                       else float("inf"))
            t.limit_hour = hour
        if count <= t.limit:
            m.scores["template_spike"] = 0.0
            return
        s = m.scores["template_spike"] = spike.score_one({"value": count, "ts": lts})
        if s >= self._warning:
            exp = spike.expected(lts)
            ref = spike.reference(lts)
            minutes = c.bucket_seconds // 60
            m.trigger(
                "template_spike", s,
                f"Template {m.template} from {m.event.sender}: {count} messages in the current "
                f"{minutes}-minute bucket against {exp:.1f} expected (at most {ref:.1f} seen recently).",
                {"observed": count, "expected": round(exp, 2), "reference": round(ref, 2),
                 "bucket_seconds": c.bucket_seconds},
            )

    def _template_novelty(self, m: _Message) -> None:
        """A template never seen from this automated sender, at volume while young
        (:class:`~detectors.novelty.TemplateNovelty` over the sender's history)."""
        t = m.t
        novelty = self._novelty
        if not (t.novel and m.automated and t.total >= novelty.min_count):
            return
        st = m.st
        age = m.ts - t.first_ts
        sender_age = t.first_ts - st.first_ts
        if age > novelty.max_age_seconds or sender_age < novelty.warm_up_seconds:
            return  # outside the detector's window (it would score 0): nothing to score, nothing to learn
        x = {"ts": m.ts, "volume": t.total, "template_age": age, "sender_age": sender_age,
             "categories": m.cats, "unrelated": m.unrelated}
        novelty = novelty.bind(st.novel_history)
        s = m.scores["template_novelty"] = novelty.score_one(x)
        novelty.learn_one(x)
        if s >= self._warning:
            m.trigger(
                "template_novelty", s,
                f"{m.event.sender} (automated) sent {t.total} messages of a template first seen "
                f"{age / 60:.0f} min ago ({m.template}); expected: no new template at volume.",
                {"messages": t.total, "template_age_seconds": round(age), "observed": t.total,
                 "expected": 0},
            )

    def _recipient_novelty(self, m: _Message) -> None:
        """A person's account mailing recipients it never mailed, against its habit."""
        st = m.st
        c = self.config
        if (m.automated or st.new_count < c.novelty_min_new_recipients
                or m.ts - st.first_ts < c.sender_warm_up_seconds):
            return
        lts = m.ts if self._utc else self.local_time(m.event.sender)(m.ts)
        s = m.scores["recipient_novelty"] = st.new_spike.score_one({"value": st.new_count, "ts": lts})
        if s >= self._warning:
            exp = st.new_spike.expected(lts)
            m.trigger(
                "recipient_novelty", s,
                f"{m.event.sender} mailed {st.new_count} recipients it never mailed before in the current "
                f"{c.bucket_seconds // 60}-minute bucket against {exp:.1f} expected.",
                {"new_recipients": st.new_count, "expected": round(exp, 2), "bucket_seconds": c.bucket_seconds},
            )

    # -- the rarer steps of process(), out of its way ---------------------------------
    def _own_domain(self, sender: str) -> str:
        own = self._own
        if len(own) >= _SENDER_CACHE:
            own.clear()
        d = own[sender] = own_domain(sender.rpartition("@")[2], self._freemail)
        return d

    def _learn_recipients(self, event: MailEvent, st: SenderState, own: str, bucket: int) -> None:
        """Human accounts: count the recipients this sender never mailed, per bucket."""
        if st.recipients is None:
            st.recipients = RotatingBloom()
        bloom = st.recipients
        internal = self._internal
        new_recipients = 0
        for r in event.recipients:
            if not is_internal(r[r.rfind("@") + 1 :], own, internal) and bloom.add(r):
                new_recipients += 1
        if bucket > st.new_bucket:  # (a late event counts in the current bucket)
            if st.new_bucket >= 0:
                _close_bucket(st.new_spike, st.new_bucket, st.new_count, bucket, self.config.bucket_seconds,
                              self.local_time(st.sender))
            st.new_prev = st.new_count if bucket == st.new_bucket + 1 else 0
            st.new_bucket, st.new_count = bucket, 0
        st.new_count += new_recipients

    def _outside_link(self, body: str, own: str) -> bool:
        """Does ``body`` link to a site outside the sender's and the company's domains?"""
        if "://" not in body:
            return False
        internal = self._internal
        for m in _URL_HOST.finditer(body):
            host = m.group(1).lower().rstrip(".")
            if not (is_internal(host, own, internal) or host.endswith("." + own)):
                return True
        return False

    # -- the rules and the episodes ---------------------------------------------------
    def _raise(self, m: _Message) -> None:
        """Scores -> verdicts (the one severity policy) -> episodes -> alerts.

        A new episode, or one whose severity rose, raises an alert; its evidence
        names the harm signatures behind it (``harm``, empty for volume alone).
        """
        event, st, t, template, ts = m.event, m.st, m.t, m.template, m.ts
        facts = self._facts(m)
        decide = self._policy.decide
        for detector, score, summary, evidence in m.triggers:
            severity, harm = decide(detector, score, facts)
            if severity is None:
                continue
            evidence["harm"] = list(harm)
            # volume detectors are about one template; the others about what the account
            # does, whatever the (often free-text) template: one episode per sender
            scope = template if detector in _PER_TEMPLATE else None
            label = None if detector == "recipient_novelty" else template
            if st.episodes.trigger(detector, scope, severity, ts, label):
                tpl = st.episodes.label(detector, scope)
                ids = [event.event_id] + [i for i in t.sample if i != event.event_id][: _SAMPLE - 1]
                m.alerts.append(Alert(
                    detector=detector, severity=severity, sender=event.sender, template=tpl,
                    score=score, summary=summary, ts=ts, evidence=evidence, event_ids=ids,
                ))

    def _facts(self, m: _Message) -> Facts:
        """What the message did, for the policy (built only when a detector fired)."""
        automated, cats, unrelated, st = m.automated, m.cats, m.unrelated, m.st
        facts = Facts(automated, cats or frozenset(), m.standing, unrelated, False,
                      0 if automated else st.new_count + st.new_prev, m.repeats,
                      unrelated >= self.config.fanout_critical_unrelated)
        if cats:
            facts.reply = m.event.in_reply_to is not None
            facts.link = self._outside_link(m.event.body or "", m.own)
        return facts

    # -- what a restarted worker asks the states (streams/agents.py) -------------------
    def note_alert(self, state: SenderState, alert: Alert) -> bool:
        """Remember ``alert``'s score and summary on the open episode that raised it, so a
        restarted worker shows the episode as it was paged; False if it is not open."""
        scope = alert.template if alert.detector in _PER_TEMPLATE else None
        return state.episodes.note(alert.detector, scope, alert.score, alert.summary)

    def open_episodes(self, state: SenderState, now: float | None = None) -> list:
        """The sender's open episodes (:class:`~detectors.episodes.OpenEpisode`, most severe
        first); with ``now``, only those the next :meth:`expire` at ``now`` keeps open."""
        return state.episodes.open_episodes(state.sender or "", now)
