"""Versioned, named-field, code-free encoding of the learned state (``SenderState``).

Pure (stdlib + msgpack): never imports faust, kafka or prometheus. See
``docs/state.md`` for the format, the version rule and the figures.

Format (v1)
-----------
``MAGIC_Z`` (``b"MFZ\\x01"``) followed by the zlib-deflated (level 1) msgpack
map of the ``SenderState`` record, or ``MAGIC`` (``b"MFS\\x01"``) followed by
that map as it is (written when event-id digests, which do not compress, are
most of the record; both are always read). A record
is a map ``{"@t": type tag, "@v": version, field: value, ...}``; values are
plain data only (None, bool, int, float, str, bytes, lists, maps with
str or int keys) or nested records. Packed numeric arrays are little-endian
``bytes``. Nothing in a record names code: the decoder reads each type through an
explicit function of an allow-list (:data:`TYPES`), field by field, checking each
value's type.

Version rule (per type)
-----------------------
* record version == the code's: decode; a field the record lacks takes the value
  a new object has (appending a field migrates); a field the code does not know
  is ignored (it was appended by a later release: a rollback keeps the state);
* record version < the code's: decoded by the type's migration from that version;
* record version > the code's, or < 1: refused (:class:`StateRejected`
  ``newer_version``): a later release changed that type incompatibly.

Bump a type's version only for an incompatible change (a field renamed, removed,
given another type or meaning) and keep a migration from the older version.

Legacy
------
States pickled by earlier releases (``pickle`` protocol 2-5) are read by
:func:`loads_legacy`: a restricted unpickler that finds only the project's state
classes (as stand-ins that never run their ``__init__``) and a few stdlib
containers; the object it gives is then passed through the v1 encoder and
decoder, so a legacy state is validated like any record and becomes v1 on its
next write. Anything else is refused with :class:`StateRejected`.
"""

from __future__ import annotations

import io
import pickle
import sys
import zlib
from array import array
from collections import OrderedDict
from typing import Any, Callable

import msgpack

from .dedup import Redeliveries
from .episodes import SEVERITY_RANK, Episodes
from .errors import StateRejected
from .fanout import FanOut
from .loop import MailLoop
from .pipeline import SenderState, TemplateStats
from .senderkind import SenderKind
from .sketches import RecentIds, RotatingBloom
from .volume import VolumeSpike

__all__ = ["MAGIC", "MAGIC_Z", "MAX_RECORD_BYTES", "TYPES", "StateType", "StateRejected", "dumps", "loads",
           "loads_legacy", "encode", "decode", "is_legacy", "LEGACY_CLASSES"]

MAGIC = b"MFS\x01"  # "mailflow state", container 1: the msgpack record as it is
MAGIC_Z = b"MFZ\x01"  # container 1, zlib-deflated (level 1): what the worker writes
#: largest inflated record accepted (a state is at most ~1 MiB; refuses zlib bombs)
MAX_RECORD_BYTES = 64 * 1024 * 1024
_BIG_ENDIAN = sys.byteorder == "big"
_RANKS = frozenset(SEVERITY_RANK.values())


# -- plain-data checks -------------------------------------------------------------------
def _num(v: Any) -> bool:
    c = v.__class__
    return c is float or c is int


def _int(v: Any) -> bool:
    return v.__class__ is int


def _str(v: Any) -> bool:
    return v.__class__ is str


def _bytes(v: Any) -> bool:
    return v.__class__ is bytes


def _bool(v: Any) -> bool:
    return v.__class__ is bool


def _opt(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: v is None or check(v)


def _list_of(check: Any, n: int | None = None) -> Callable[[Any], bool]:
    """A list (of ``n`` items) whose items pass ``check``: a predicate or a frozenset of classes."""
    if check.__class__ is frozenset:
        return lambda v: v.__class__ is list and (n is None or len(v) == n) and check.issuperset(map(type, v))
    return lambda v: v.__class__ is list and (n is None or len(v) == n) and all(map(check, v))


def _map_of(kcheck: Any, vcheck: Any) -> Callable[[Any], bool]:
    """A map whose keys and values pass their checks (predicates or frozensets of classes)."""
    keys = (lambda v: kcheck.issuperset(map(type, v))) if kcheck.__class__ is frozenset else (lambda v: all(map(kcheck, v)))
    vals = ((lambda v: vcheck.issuperset(map(type, v.values()))) if vcheck.__class__ is frozenset
            else (lambda v: all(map(vcheck, v.values()))))
    return lambda v: v.__class__ is dict and keys(v) and vals(v)


_OPT_NUM, _OPT_INT, _OPT_STR, _OPT_BYTES = _opt(_num), _opt(_int), _opt(_str), _opt(_bytes)
_C_STR, _C_INT, _C_NUM = frozenset((str,)), frozenset((int,)), frozenset((int, float))
_LIST_STR = _list_of(_C_STR)


def _le(a: array) -> bytes:
    """An array as packed little-endian bytes."""
    if _BIG_ENDIAN:
        a = array(a.typecode, a)
        a.byteswap()
    return a.tobytes()


def _from_le(code: str, raw: bytes, n: int | None, tag: str, name: str) -> array:
    a = array(code)
    if len(raw) % a.itemsize or (n is not None and len(raw) != n * a.itemsize):
        raise StateRejected("bad_field", f"{tag}.{name}")
    a.frombytes(raw)
    if _BIG_ENDIAN:
        a.byteswap()
    return a


class _Fields:
    """Reads one record's named fields; a missing field takes the value of a new object."""

    __slots__ = ("d", "tag", "_fresh", "_obj")

    def __init__(self, d: dict, tag: str, fresh: Callable[[], Any]) -> None:
        self.d, self.tag, self._fresh, self._obj = d, tag, fresh, None

    def fresh(self) -> Any:
        if self._obj is None:
            self._obj = self._fresh()
        return self._obj

    def get(self, name: str, check: Callable[[Any], bool], default: Callable[[Any], Any]) -> Any:
        d = self.d
        if name not in d:
            return default(self.fresh())
        v = d[name]
        if not check(v):
            raise StateRejected("bad_field", f"{self.tag}.{name}")
        return v

    def sub(self, name: str, tags: tuple[str, ...], default: Callable[[Any], Any], optional: bool = False) -> Any:
        d = self.d
        if name not in d:
            return default(self.fresh())
        v = d[name]
        if v is None and optional:
            return None
        if v.__class__ is not dict or v.get("@t") not in tags:
            raise StateRejected("bad_field", f"{self.tag}.{name}")
        return decode(v)


def _check(ok: bool, tag: str, name: str) -> None:
    if not ok:
        raise StateRejected("bad_field", f"{tag}.{name}")


_MISSING = object()
_NUMS = frozenset((int, float))
_INTS = frozenset((int,))
_STRS = frozenset((str,))
_BOOLS = frozenset((bool,))
_OPT_NUMS = frozenset((int, float, type(None)))


class _Sub:
    """A field holding a nested record of one of ``tags`` (None allowed when ``optional``)."""

    __slots__ = ("tags", "optional")

    def __init__(self, *tags: str, optional: bool = False) -> None:
        self.tags, self.optional = frozenset(tags), optional


def _read(d: dict, tag: str, spec: tuple, obj: Any, fresh: Callable[[], Any]) -> Any:
    """Set ``obj``'s attributes from record ``d`` by ``spec``: ``(field, attribute, check)``,
    ``check`` a frozenset of allowed classes, a predicate or a :class:`_Sub`. A field the
    record lacks takes the attribute of ``fresh()`` (a new object, made once)."""
    new = None
    get = d.get
    for name, attr, check in spec:
        v = get(name, _MISSING)
        if v is _MISSING:
            if new is None:
                new = fresh()
            v = getattr(new, attr)
        elif check.__class__ is frozenset:
            if v.__class__ not in check:
                raise StateRejected("bad_field", f"{tag}.{name}")
        elif check.__class__ is _Sub:
            if v is None and check.optional:
                pass
            elif v.__class__ is not dict or v.get("@t") not in check.tags:
                raise StateRejected("bad_field", f"{tag}.{name}")
            else:
                v = decode(v)
        elif not check(v):
            raise StateRejected("bad_field", f"{tag}.{name}")
        setattr(obj, attr, v)
    return obj


class StateType:
    """One persisted type: its tag, current version, class, fields, encoder and decoder.

    ``fields`` are the record's field names (for the tests and the docs);
    ``decode(d, version)`` builds the object from a record of ``version`` (<= ``version``).
    """

    __slots__ = ("tag", "version", "cls", "fields", "encode", "decode")

    def __init__(self, tag, version, cls, fields, encode, decode):
        self.tag, self.version, self.cls, self.fields = tag, version, cls, tuple(fields)
        self.encode, self.decode = encode, decode


TYPES: dict[str, StateType] = {}
_BY_CLASS: dict[type, StateType] = {}


def _register(tag: str, version: int, cls: type, fields: tuple[str, ...], enc: Callable, dec: Callable) -> None:
    TYPES[tag] = _BY_CLASS[cls] = StateType(tag, version, cls, fields, enc, dec)


def encode(obj: Any) -> dict:
    """The record of one persisted object (``TypeError`` for a type outside :data:`TYPES`)."""
    t = _BY_CLASS.get(obj.__class__)
    if t is None:
        raise TypeError(f"not a persisted state type: {type(obj).__name__}")
    rec = {"@t": t.tag, "@v": t.version}
    rec.update(t.encode(obj))
    return rec


def decode(rec: Any) -> Any:
    """The object of one record (:class:`StateRejected` for anything not allowed)."""
    if rec.__class__ is not dict:
        raise StateRejected("bad_field", "record is not a map")
    tag = rec.get("@t")
    t = TYPES.get(tag) if _str(tag) else None
    if t is None:
        raise StateRejected("unknown_type", repr(tag)[:60])
    v = rec.get("@v")
    if not _int(v) or v < 1:
        raise StateRejected("bad_field", f"{t.tag}.@v")
    if v > t.version:
        raise StateRejected("newer_version", f"{t.tag} v{v}, this release reads up to v{t.version}")
    return t.decode(rec, v)


# -- the persisted types ---------------------------------------------------------------------
# SenderKind -----------------------------------------------------------------------------
_KIND_FIELDS = ("min_events", "alpha", "n", "templated", "reply", "night", "declared")


def _enc_kind(k: SenderKind) -> dict:
    return dict(zip(_KIND_FIELDS, k.__getstate__()))


def _dec_kind(d: dict, v: int) -> SenderKind:
    f = _Fields(d, "SenderKind", SenderKind)
    checks = (_int, _num, _int, _num, _num, _num, _OPT_STR)
    vals = tuple(f.get(n, c, lambda o, i=i: o.__getstate__()[i]) for i, (n, c) in enumerate(zip(_KIND_FIELDS, checks)))
    k = SenderKind.__new__(SenderKind)
    k.__setstate__(vals)
    return k


_register("SenderKind", 1, SenderKind, _KIND_FIELDS, _enc_kind, _dec_kind)


# Redeliveries ---------------------------------------------------------------------------
_RED_FIELDS = ("window_seconds", "max_ids", "max_ts", "next", "gidx", "starts", "n_gens", "gens")


def _enc_red(r: Redeliveries) -> dict:
    s = r.__getstate__()
    d = dict(zip(_RED_FIELDS, s))
    d["starts"] = list(d["starts"])
    d["gens"] = [bytes(g) for g in d["gens"]]
    return d


def _gens(v: Any) -> bool:
    return v.__class__ is list and len(v) == 3 and all(_bytes(g) and len(g) % 8 == 0 for g in v)


def _dec_red(d: dict, v: int) -> Redeliveries:
    tag = "Redeliveries"
    f = _Fields(d, tag, Redeliveries)
    checks = (_num, _int, _num, _num, _OPT_INT, _list_of(_C_NUM, 3), _int, _gens)
    fresh = lambda o: dict(zip(_RED_FIELDS, o.__getstate__()))  # noqa: E731
    vals = [f.get(n, c, lambda o, n=n: fresh(o)[n]) for n, c in zip(_RED_FIELDS, checks)]
    _check(1 <= vals[6] <= 3, tag, "n_gens")
    r = Redeliveries.__new__(Redeliveries)
    r.__setstate__(tuple(vals))
    return r


_register("Redeliveries", 1, Redeliveries, _RED_FIELDS, _enc_red, _dec_red)


# RecentIds (the last-128 ring of earlier releases) -------------------------------------------
_RECENT_FIELDS = ("size", "hashes")


def _enc_recent(r: RecentIds) -> dict:
    size, raw, _ = r.__getstate__()
    return {"size": size, "hashes": bytes(raw)}


def _dec_recent(d: dict, v: int) -> RecentIds:
    f = _Fields(d, "RecentIds", RecentIds)
    size = f.get("size", _int, lambda o: o.size)
    raw = f.get("hashes", lambda x: _bytes(x) and len(x) % 8 == 0, lambda o: b"")
    r = RecentIds.__new__(RecentIds)
    r.__setstate__((size, raw, 0))
    return r


_register("RecentIds", 1, RecentIds, _RECENT_FIELDS, _enc_recent, _dec_recent)


# RotatingBloom --------------------------------------------------------------------------
_BLOOM_FIELDS = ("capacity", "bits_per_item", "n_hashes", "m", "cur", "prev", "count")


def _enc_bloom(b: RotatingBloom) -> dict:
    return dict(zip(_BLOOM_FIELDS, b.__getstate__()))


def _dec_bloom(d: dict, v: int) -> RotatingBloom:
    tag = "RotatingBloom"
    f = _Fields(d, tag, RotatingBloom)
    checks = (_int, _int, _int, _int, _bytes, _OPT_BYTES, _int)
    fresh = lambda o: dict(zip(_BLOOM_FIELDS, o.__getstate__()))  # noqa: E731
    vals = [f.get(n, c, lambda o, n=n: fresh(o)[n]) for n, c in zip(_BLOOM_FIELDS, checks)]
    capacity, _, n_hashes, m, cur, prev, _ = vals
    _check(capacity >= 1, tag, "capacity")
    _check(1 <= n_hashes <= 64, tag, "n_hashes")
    _check(m >= 1 and len(cur) == (m + 7) // 8, tag, "m")
    _check(prev is None or len(prev) == len(cur), tag, "prev")
    b = RotatingBloom.__new__(RotatingBloom)
    b.__setstate__(tuple(vals))
    return b


_register("RotatingBloom", 1, RotatingBloom, _BLOOM_FIELDS, _enc_bloom, _dec_bloom)


# FanOut (a River detector: attributes in __dict__) ------------------------------------------
_FAN_FIELDS = ("min_unrelated", "min_unrelated_human", "alpha", "seed", "mean", "var", "n")


def _enc_fan(x: FanOut) -> dict:
    return {"min_unrelated": x.min_unrelated, "min_unrelated_human": x.min_unrelated_human, "alpha": x.alpha,
            "seed": x.seed, "mean": x._mean, "var": x._var, "n": x._n}


def _dec_fan(d: dict, v: int) -> FanOut:
    f = _Fields(d, "FanOut", FanOut)
    x = FanOut(f.get("min_unrelated", _num, lambda o: o.min_unrelated),
               f.get("min_unrelated_human", _num, lambda o: o.min_unrelated_human),
               f.get("alpha", _num, lambda o: o.alpha),
               f.get("seed", _OPT_INT, lambda o: o.seed))
    x._mean = f.get("mean", _num, lambda o: o._mean)
    x._var = f.get("var", _num, lambda o: o._var)
    x._n = f.get("n", _int, lambda o: o._n)
    return x


_register("FanOut", 1, FanOut, _FAN_FIELDS, _enc_fan, _dec_fan)


# VolumeSpike (a River detector; its 24- and 7-slot profiles as packed arrays) ------------------
_VOL_PARAMS = ("tolerance", "alpha_season", "alpha_recent", "peak_half_life", "z_scale", "warm_up", "seed")
_VOL_NUMS = ("level", "recent", "peak")
_VOL_ARRAYS = (("hour", "d", 24), ("hour_n", "q", 24), ("dow", "d", 7), ("hour_peak", "d", 24),
               ("hour_peak_n", "q", 24))
_VOL_FIELDS = _VOL_PARAMS + _VOL_NUMS + tuple(a[0] for a in _VOL_ARRAYS) + ("n",)
#: attributes of a VolumeSpike not in its record: derived from the parameters on decode
VOLUME_DERIVED = ("_decay",)


def _enc_vol(x: VolumeSpike) -> dict:
    dd = x.__dict__
    d = {n: dd[n] for n in _VOL_PARAMS}
    for n in _VOL_NUMS:
        d[n] = dd["_" + n]
    for n, code, _ in _VOL_ARRAYS:
        d[n] = _le(array(code, dd["_" + n]))
    d["n"] = x._n
    return d


def _dec_vol(d: dict, v: int) -> VolumeSpike:
    tag = "VolumeSpike"
    f = _Fields(d, tag, VolumeSpike)
    checks = (_num, _num, _num, _num, _num, _int, _OPT_INT)
    params = [f.get(n, c, lambda o, n=n: getattr(o, n)) for n, c in zip(_VOL_PARAMS, checks)]
    _check(params[3] > 0, tag, "peak_half_life")
    x = VolumeSpike(*params)
    for n in _VOL_NUMS:
        setattr(x, "_" + n, f.get(n, _num, lambda o, n=n: getattr(o, "_" + n)))
    for n, code, size in _VOL_ARRAYS:
        raw = f.get(n, _bytes, lambda o, n=n, code=code: _le(array(code, getattr(o, "_" + n))))
        setattr(x, "_" + n, _from_le(code, raw, size, tag, n).tolist())
    x._n = f.get("n", _int, lambda o: o._n)
    return x


_register("VolumeSpike", 1, VolumeSpike, _VOL_FIELDS, _enc_vol, _dec_vol)


# MailLoop (live entries only, bucket by bucket, as its pickle) ---------------------------------
_LOOP_PARAMS = ("window_seconds", "min_repeats", "page_repeats", "slots", "ways", "max_key_chars", "seed")
_LOOP_FIELDS = _LOOP_PARAMS + ("gen", "next", "keys", "sizes", "count_width", "counts")


def _enc_loop(x: MailLoop) -> dict:
    params, g, nxt, keys, sizes, code, raw = x.__getstate__()
    d = dict(zip(_LOOP_PARAMS, params))
    counts = array(code)
    counts.frombytes(raw)
    d.update(gen=g, next=nxt, keys=list(keys), sizes=bytes(sizes), count_width=counts.itemsize, counts=_le(counts))
    return d


def _dec_loop(d: dict, v: int) -> MailLoop:
    tag = "MailLoop"
    f = _Fields(d, tag, MailLoop)
    checks = (_num, _int, _int, _int, _int, _int, _OPT_INT)
    params = [f.get(n, c, lambda o, n=n: getattr(o, n)) for n, c in zip(_LOOP_PARAMS, checks)]
    window, _, _, slots, ways, _, _ = params
    _check(window > 0 and slots >= 1 and ways >= 1, tag, "slots")
    g = f.get("gen", _int, lambda o: o._gen)
    nxt = f.get("next", _num, lambda o: o._next)
    keys = f.get("keys", _LIST_STR, lambda o: [])
    sizes = f.get("sizes", _bytes, lambda o: bytes(len(o._buckets)))
    width = f.get("count_width", lambda x: _int(x) and x in (2, 4), lambda o: 2)
    code = "H" if width == 2 else "I"  # 16- or 32-bit counts ("I" is 32-bit on every supported platform)
    counts = _from_le(code, f.get("counts", _bytes, lambda o: b""), 3 * len(keys), tag, "counts")
    _check(len(sizes) == max(1, slots // ways) and max(sizes, default=0) <= ways and sum(sizes) == len(keys),
           tag, "sizes")
    x = MailLoop.__new__(MailLoop)
    x.__setstate__((tuple(params), g, nxt, tuple(keys), sizes, code, counts.tobytes()))
    return x


_register("MailLoop", 1, MailLoop, _LOOP_FIELDS, _enc_loop, _dec_loop)


# Episodes ------------------------------------------------------------------------------
_EP_FIELDS = ("quiet_seconds", "max_open", "open", "evicted")
#: one episode: named fields; "score" and "summary" (of its last alert) only once noted
_EPISODE_FIELDS = ("detector", "scope", "rank", "started_ts", "last_ts", "triggers", "label", "score", "summary")


def _enc_episode(key: tuple, ep: list) -> dict:
    x = {"detector": key[0], "scope": key[1], "rank": ep[0], "started_ts": ep[1], "last_ts": ep[2],
         "triggers": ep[3], "label": ep[4]}
    if len(ep) > 6:
        x["score"], x["summary"] = ep[5], ep[6]
    return x


def _enc_eps(e: Episodes) -> dict:
    return {"quiet_seconds": e.quiet_seconds, "max_open": e.max_open,
            "open": [_enc_episode(k, ep) for k, ep in e._open.items()],
            "evicted": [_enc_episode(k, ep) for k, ep in e._evicted]}


def _dec_episode(x: Any) -> tuple[tuple, list]:
    tag = "Episodes.episode"
    _check(x.__class__ is dict, tag, "map")
    g = x.get
    det, scope, rank, started, last, triggers = (g("detector"), g("scope"), g("rank"), g("started_ts"),
                                                 g("last_ts"), g("triggers", 1))
    label = g("label", scope)
    _check(_str(det) and _OPT_STR(scope) and _OPT_STR(label), tag, "detector")
    _check(_int(rank) and rank in _RANKS, tag, "rank")
    _check(_num(started) and _num(last) and _int(triggers), tag, "last_ts")
    ep = [rank, started, last, triggers, label]
    if "score" in x:
        score, summary = g("score"), g("summary", "")
        _check(_num(score) and _str(summary), tag, "score")
        ep += [float(score), summary]
    return (det, scope), ep


def _dec_eps(d: dict, v: int) -> Episodes:
    f = _Fields(d, "Episodes", Episodes)
    e = Episodes(f.get("quiet_seconds", _num, lambda o: o.quiet_seconds), f.get("max_open", _int, lambda o: o.max_open))
    for x in f.get("open", _list_of(frozenset((dict,))), lambda o: []):
        key, ep = _dec_episode(x)
        e._open[key] = ep
    e._evicted = [_dec_episode(x) for x in f.get("evicted", _list_of(frozenset((dict,))), lambda o: [])]
    return e


_register("Episodes", 1, Episodes, _EP_FIELDS, _enc_eps, _dec_eps)


# TemplateStats --------------------------------------------------------------------------
_TPL_FIELDS = TemplateStats.__slots__


def _enc_tpl(t: TemplateStats) -> dict:
    return {"first_ts": t.first_ts, "novel": t.novel, "total": t.total, "bucket": t.bucket, "count": t.count,
            "spike": None if t.spike is None else encode(t.spike),
            "sensitive": None if t.sensitive is None else sorted(t.sensitive),
            "sample": list(t.sample), "expected": t.expected, "limit": t.limit, "limit_hour": t.limit_hour,
            "contents": {k: sorted(c) for k, c in t.contents.items()},
            "asked": dict(t.asked), "content": t.content}


_LIST_STR_OR_NONE = _opt(_LIST_STR)
_CONTENTS = _map_of(_C_STR, _LIST_STR)
_ASKED = _map_of(_C_STR, _C_NUM)
_TPL_SPEC = (("first_ts", "first_ts", _NUMS), ("novel", "novel", _BOOLS), ("total", "total", _INTS),
             ("bucket", "bucket", _INTS), ("count", "count", _INTS), ("spike", "spike", _Sub("VolumeSpike", optional=True)),
             ("sensitive", "sensitive", _LIST_STR_OR_NONE), ("sample", "sample", _LIST_STR),
             ("expected", "expected", _NUMS), ("limit", "limit", _NUMS), ("limit_hour", "limit_hour", _INTS),
             ("contents", "contents", _CONTENTS), ("asked", "asked", _ASKED), ("content", "content", _STRS))


def _dec_tpl(d: dict, v: int) -> TemplateStats:
    t = TemplateStats.__new__(TemplateStats)
    try:  # fast path: every field there (up to 32 templates per sender); checked at once below
        t.first_ts, t.novel, t.total, t.bucket, t.count = d["first_ts"], d["novel"], d["total"], d["bucket"], d["count"]
        spike, t.sensitive, t.sample, t.expected = d["spike"], d["sensitive"], d["sample"], d["expected"]
        t.limit, t.limit_hour, t.contents, t.asked, t.content = d["limit"], d["limit_hour"], d["contents"], d["asked"], d["content"]
        ok = (t.first_ts.__class__ in _NUMS and t.novel.__class__ is bool and t.total.__class__ is int
              and t.bucket.__class__ is int and t.count.__class__ is int and t.expected.__class__ in _NUMS
              and t.limit.__class__ in _NUMS and t.limit_hour.__class__ is int and t.content.__class__ is str
              and _LIST_STR(t.sample) and _LIST_STR_OR_NONE(t.sensitive) and _CONTENTS(t.contents)
              and _ASKED(t.asked) and (spike is None or (spike.__class__ is dict and spike.get("@t") == "VolumeSpike")))
    except KeyError:
        ok = False
    if ok:
        t.spike = None if spike is None else decode(spike)
    else:  # a field missing (an older record) or refused: field by field
        _read(d, "TemplateStats", _TPL_SPEC, t, lambda: TemplateStats(0.0, 0))
    s = t.sensitive
    if s.__class__ is list:
        t.sensitive = frozenset(s)
    if t.contents:
        t.contents = {k: frozenset(c) for k, c in t.contents.items()}
    return t


_register("TemplateStats", 1, TemplateStats, _TPL_FIELDS, _enc_tpl, _dec_tpl)


# SenderState ----------------------------------------------------------------------------
_STATE_FIELDS = SenderState.__slots__


def _enc_state(s: SenderState) -> dict:
    return {"sender": s.sender, "first_ts": s.first_ts, "last_ts": s.last_ts, "n_events": s.n_events,
            "kind": encode(s.kind), "recent_ids": encode(s.recent_ids), "offsets": dict(s.offsets),
            "templates": {k: encode(t) for k, t in s.templates.items()}, "aliases": dict(s.aliases),
            "seen_templates": encode(s.seen_templates), "novel_history": list(s.novel_history),
            "fanout": encode(s.fanout), "recipients": None if s.recipients is None else encode(s.recipients),
            "new_bucket": s.new_bucket, "new_count": s.new_count, "new_spike": encode(s.new_spike),
            "episodes": encode(s.episodes), "loop": encode(s.loop), "new_prev": s.new_prev}


def _templates(v: Any) -> bool:
    return v.__class__ is dict and all(_str(k) and x.__class__ is dict and x.get("@t") == "TemplateStats"
                                       for k, x in v.items())


_STATE_SPEC = (
    ("sender", "sender", _STRS), ("first_ts", "first_ts", _OPT_NUMS), ("last_ts", "last_ts", _NUMS),
    ("n_events", "n_events", _INTS), ("kind", "kind", _Sub("SenderKind")),
    ("recent_ids", "recent_ids", _Sub("Redeliveries", "RecentIds")), ("offsets", "offsets", _map_of(_C_INT, _C_INT)),
    ("templates", "templates", _templates), ("aliases", "aliases", _map_of(_C_STR, _C_STR)),
    ("seen_templates", "seen_templates", _Sub("RotatingBloom")), ("novel_history", "novel_history", _list_of(_C_NUM, 2)),
    ("fanout", "fanout", _Sub("FanOut")), ("recipients", "recipients", _Sub("RotatingBloom", optional=True)),
    ("new_bucket", "new_bucket", _INTS), ("new_count", "new_count", _INTS), ("new_spike", "new_spike", _Sub("VolumeSpike")),
    ("episodes", "episodes", _Sub("Episodes")), ("loop", "loop", _Sub("MailLoop")), ("new_prev", "new_prev", _INTS),
)


def _dec_state(d: dict, v: int) -> SenderState:
    s = _read(d, "SenderState", _STATE_SPEC, SenderState.__new__(SenderState), SenderState)
    if isinstance(s.recent_ids, RecentIds):  # the last-128 ring of earlier releases (as SenderState.__setstate__)
        s.recent_ids = Redeliveries()
    s.templates = OrderedDict([(k, decode(x)) if x.__class__ is dict else (k, x) for k, x in s.templates.items()])
    return s


_register("SenderState", 1, SenderState, _STATE_FIELDS, _enc_state, _dec_state)


# -- whole states ----------------------------------------------------------------------------
def _digest_bytes(rec: dict) -> int:
    """Bytes of the record's event-id digests (random: zlib cannot shrink them)."""
    r = rec.get("recent_ids")
    if r.__class__ is not dict:
        return 0
    return sum(len(g) for g in r.get("gens", ())) if r.get("@t") == "Redeliveries" else len(r.get("hashes", b""))


def dumps(state: SenderState, compress: bool | None = None) -> bytes:
    """``state`` in the v1 format: :data:`MAGIC_Z` + zlib(msgpack record), or
    :data:`MAGIC` + the msgpack record.

    ``compress`` None (the worker's choice): zlib when the event-id digests (random
    bytes) are less than half the record -- names, keys and numbers shrink to a
    third; a sender with tens of thousands of remembered ids would pay milliseconds
    for a few per cent. True or False: always or never."""
    if state.__class__ is not SenderState:
        raise TypeError(f"expected a SenderState, got {type(state).__name__}")
    rec = encode(state)
    body = msgpack.packb(rec, use_bin_type=True, unicode_errors="surrogatepass")
    if compress is None:
        compress = 2 * _digest_bytes(rec) < len(body)
    return MAGIC_Z + zlib.compress(body, 1) if compress else MAGIC + body


def is_legacy(data: bytes) -> bool:
    """Is ``data`` a pickle of an earlier release (protocol 2-5)?"""
    return len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5


def loads(data: bytes) -> SenderState:
    """The state in ``data`` (v1, or a legacy pickle); :class:`StateRejected` if refused.

    Never runs code named by the data, and never raises anything else (but
    ``MemoryError``)."""
    if data.__class__ is not bytes:
        try:
            data = bytes(data)
        except Exception:
            raise StateRejected("corrupt", f"not bytes: {type(data).__name__}") from None
    head = data[:4]
    if head == MAGIC_Z or head == MAGIC:
        body = memoryview(data)[4:]
        if head == MAGIC_Z:
            z = zlib.decompressobj()
            try:
                body = z.decompress(body, MAX_RECORD_BYTES)
            except zlib.error:
                raise StateRejected("corrupt", "zlib") from None
            if z.unconsumed_tail or not z.eof:
                raise StateRejected("corrupt", "zlib stream truncated or over the size limit")
        try:
            rec = msgpack.unpackb(body, raw=False, strict_map_key=False, unicode_errors="surrogatepass")
        except MemoryError:
            raise
        except Exception as exc:
            raise StateRejected("corrupt", f"msgpack: {type(exc).__name__}") from None
        return _decode_state(rec)
    if is_legacy(data):
        return loads_legacy(data)
    raise StateRejected("unknown_format", f"{len(data)} bytes starting {data[:4].hex()}")


def _decode_state(rec: Any) -> SenderState:
    if rec.__class__ is not dict or rec.get("@t") != "SenderState":
        raise StateRejected("unknown_type", "the top record is not a SenderState")
    try:
        return decode(rec)
    except (StateRejected, MemoryError):
        raise
    except Exception as exc:  # a constructor or __setstate__ refused a value
        raise StateRejected("bad_field", f"{type(exc).__name__} while decoding") from None


# -- legacy pickles ----------------------------------------------------------------------------
#: (module, name) -> class: the classes a legacy state pickle may name
LEGACY_CLASSES: dict[tuple[str, str], type] = {
    (c.__module__, c.__qualname__): c
    for c in (SenderState, TemplateStats, SenderKind, Redeliveries, RecentIds, RotatingBloom, FanOut,
              VolumeSpike, MailLoop, Episodes)
}


def _stand_in(cls: type) -> type:
    """A type whose construction gives a bare ``cls`` object, never running ``cls.__init__``.

    Pickle's NEWOBJ (how these classes are pickled) calls ``__new__``: the real class's
    bare object, as a plain unpickle gives. A forged REDUCE (a call with arguments)
    gets the same bare object: the arguments are ignored, no constructor runs."""
    real_new = cls.__new__

    def __new__(_stand_in_cls, *args, **kwargs):
        return real_new(cls)

    return type(f"_Legacy{cls.__name__}", (), {"__new__": staticmethod(__new__), "__slots__": ()})


_STAND_INS = {k: _stand_in(c) for k, c in LEGACY_CLASSES.items()}


def _bytearray(*args):
    if len(args) > 2 or (args and not isinstance(args[0], (bytes, bytearray))):
        raise StateRejected("forbidden", "bytearray from a non-bytes argument")
    return bytearray(*args)


def _array_reconstructor(cls, typecode, mformat_code, items):
    if cls is not array or not isinstance(items, bytes):
        raise StateRejected("forbidden", "array reconstructor arguments")
    from array import _array_reconstructor as rebuild  # type: ignore[attr-defined]

    return rebuild(cls, typecode, mformat_code, items)


_STDLIB = {
    ("collections", "OrderedDict"): OrderedDict,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "set"): set,
    ("builtins", "bytearray"): _bytearray,
    ("array", "array"): array,
    ("array", "_array_reconstructor"): _array_reconstructor,
}


class _LegacyUnpickler(pickle.Unpickler):
    """Finds only the project's state classes (stand-ins) and a few stdlib containers."""

    def find_class(self, module: str, name: str) -> Any:
        key = (module, name)
        found = _STAND_INS.get(key) or _STDLIB.get(key)
        if found is None:
            raise StateRejected("forbidden", f"a legacy state may not name {module[:40]}.{name[:40]}")
        return found

    def persistent_load(self, pid: Any) -> Any:
        raise StateRejected("forbidden", "persistent ids")


def loads_legacy(data: bytes) -> SenderState:
    """A state pickled by an earlier release, validated and rebuilt through the v1 codec."""
    try:
        obj = _LegacyUnpickler(io.BytesIO(data)).load()
    except (StateRejected, MemoryError):
        raise
    except Exception as exc:
        raise StateRejected("corrupt", f"pickle: {type(exc).__name__}") from None
    if obj.__class__ is not SenderState:
        raise StateRejected("unknown_type", f"a legacy record holding {type(obj).__name__}")
    try:
        rec = encode(obj)
    except Exception as exc:  # a value outside the state types (forged or corrupt)
        raise StateRejected("bad_field", f"legacy state: {type(exc).__name__}") from None
    return _decode_state(rec)
