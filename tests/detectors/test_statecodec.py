"""Tests of the learned-state encoding (detectors/statecodec.py, docs/state.md)."""

from __future__ import annotations

import json
import os
import pickle
import zlib
from collections import OrderedDict
from pathlib import Path

import msgpack
import pytest

from detectors import SenderState, Sentinel, SentinelConfig, parse_event
from detectors import statecodec as sc
from detectors.dedup import Redeliveries
from detectors.episodes import Episodes
from detectors.errors import MailflowError, StateRejected
from detectors.fanout import FanOut
from detectors.loop import MailLoop
from detectors.pipeline import TemplateStats
from detectors.senderkind import SenderKind
from detectors.sketches import RecentIds, RotatingBloom
from detectors.volume import VolumeSpike

DATA = Path(__file__).resolve().parents[1] / "data" / "state"
GOLDEN = ("care", "human")


# -- helpers ------------------------------------------------------------------------------
def plain(x):
    """A comparable view of a learned object: what its pickle holds, recursively.

    Each class's own ``__getstate__`` is the oracle of its full state (the release
    before the new format persisted exactly that), so a field lost or changed on
    the way through the codec shows up here."""
    if x is None or isinstance(x, (bool, int, float, str, bytes)):
        return x
    if isinstance(x, bytearray):
        return ("bytearray", bytes(x))
    if isinstance(x, (frozenset, set)):
        return (type(x).__name__, frozenset(x))
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [plain(i) for i in x])
    if isinstance(x, dict):
        return (type(x).__name__, [(plain(k), plain(v)) for k, v in x.items()])
    return (type(x).__name__, plain(x.__getstate__()))


def view(outs):
    return [(o.duplicate, o.template, o.kind, sorted(o.scores.items()), o.volume, o.unrelated,
             [a.to_dict() for a in o.alerts], o.ended) for o in outs]


def sentinel():
    cfg = json.loads((DATA / "config.json").read_text())
    return Sentinel(SentinelConfig(internal_domains=tuple(cfg["internal_domains"])))


def next_events(name):
    """The golden next events, then a new template asking 12 unrelated customers for a passport."""
    with open(DATA / f"{name}.next.jsonl", encoding="utf-8") as fh:
        events = [json.loads(line) for line in fh]
    last = max(float(e["ts"]) for e in events if not isinstance(e["ts"], str))
    sender = events[0]["sender"]
    for i in range(3):
        events.append({"event_id": f"late-burst-{i}", "ts": last + 7200 + 60 * i, "sender": sender,
                       "to": [f"victim{i}-{j}@gmail.com" for j in range(12)], "subject": "Urgent verification",
                       "body": "Please reply with a photo of your passport and your card number."})
    return [parse_event(e) for e in events]


def run(st, events, base=10_000):
    s = sentinel()
    return [s.process(e, st, (0, base + k)) for k, e in enumerate(events)]


def record(data: bytes) -> dict:
    """The msgpack record of a v1 state (either container)."""
    body = data[4:]
    if data[:4] == sc.MAGIC_Z:
        body = zlib.decompress(body)
    return msgpack.unpackb(body, strict_map_key=False)


def pack(rec: dict) -> bytes:
    return sc.MAGIC + msgpack.packb(rec, use_bin_type=True)


def is_plain(v) -> bool:
    if v is None or type(v) in (bool, int, float, str, bytes):
        return True
    if type(v) is list:
        return all(is_plain(x) for x in v)
    if type(v) is dict:
        return all(type(k) in (str, int) and is_plain(x) for k, x in v.items())
    return False


@pytest.fixture(scope="module")
def care():
    return sc.loads((DATA / "care.v0.pickle").read_bytes())


@pytest.fixture(scope="module")
def human():
    return sc.loads((DATA / "human.v0.pickle").read_bytes())


# -- golden files: today's changelogs and the v1 format, forever --------------------------------
@pytest.mark.parametrize("name", GOLDEN)
def test_golden_files_load_into_the_same_state_that_behaves_the_same(name):
    legacy_bytes = (DATA / f"{name}.v0.pickle").read_bytes()
    original = pickle.loads(legacy_bytes)  # trusted test data: the state as that release restored it
    legacy = sc.loads(legacy_bytes)
    v1 = sc.loads((DATA / f"{name}.v1.msgpack").read_bytes())
    raw = sc.loads((DATA / f"{name}.v1.raw.msgpack").read_bytes())
    for st in (legacy, v1, raw):
        assert type(st) is SenderState
        assert plain(st) == plain(original)
    events = next_events(name)
    outs = [view(run(st, events)) for st in (original, legacy, v1, raw)]
    assert outs[1] == outs[0] and outs[2] == outs[0] and outs[3] == outs[0]
    assert plain(legacy) == plain(original) and plain(v1) == plain(original)
    assert any(o[6] for o in outs[0]), "alerts"
    if name == "care":  # the next events exercise what was learned
        assert any(o[0] for o in outs[0]), "re-deliveries recognised"
        assert any(o[7] for o in outs[0]), "episodes ended"
        assert sum(1 for o in outs[0] if any(v > 0 for _, v in o[3])) > 50, "scores"
    ends = [sentinel().expire(st, st.last_ts + 86_400) for st in (original, legacy, v1, raw)]
    assert ends[0] and ends[1] == ends[0] and ends[2] == ends[0] and ends[3] == ends[0]


@pytest.mark.parametrize("name", GOLDEN)
def test_legacy_golden_file_is_rewritten_as_v1(name):
    legacy = sc.loads((DATA / f"{name}.v0.pickle").read_bytes())
    v1 = sc.loads((DATA / f"{name}.v1.raw.msgpack").read_bytes())
    out = sc.dumps(legacy)
    assert out[:4] == sc.MAGIC_Z
    assert sc.dumps(legacy, compress=False) == sc.dumps(v1, compress=False)
    assert plain(sc.loads(out)) == plain(legacy)


def test_golden_state_is_realistic(care, human):
    assert len(care.templates) >= 20 and care.n_events > 300
    assert any(t.spike is not None for t in care.templates.values())
    assert care.episodes and care.loop._d and care.fanout._n and len(care.recent_ids) > 100
    assert human.recipients is not None and human.kind.predict(human.sender) == "human"


# -- every persisted type ----------------------------------------------------------------------
def samples(care, human):
    """A populated object of every persisted type."""
    tpl = next(t for t in care.templates.values() if t.spike is not None)
    ring = RecentIds(size=4)
    for i in range(6):
        ring.seen_or_add(f"id-{i}")
    ring = pickle.loads(pickle.dumps(ring))  # hashes restored, as an earlier release's state held them
    ring.seen_or_add("id-new")
    return {
        "SenderState": care, "TemplateStats": tpl, "SenderKind": care.kind, "Redeliveries": care.recent_ids,
        "RecentIds": ring, "RotatingBloom": human.recipients, "FanOut": care.fanout, "VolumeSpike": tpl.spike,
        "MailLoop": care.loop, "Episodes": care.episodes,
    }


def test_every_persisted_type_has_a_sample(care, human):
    assert set(samples(care, human)) == set(sc.TYPES)


@pytest.mark.parametrize("tag", sorted(sc.TYPES))
def test_round_trip_of_every_type(tag, care, human):
    obj = samples(care, human)[tag]
    rec = sc.encode(obj)
    assert rec["@t"] == tag and rec["@v"] == sc.TYPES[tag].version
    assert set(rec) - {"@t", "@v"} == set(sc.TYPES[tag].fields)
    wire = msgpack.unpackb(msgpack.packb(rec, use_bin_type=True), strict_map_key=False)
    assert is_plain(wire)
    back = sc.decode(wire)
    assert type(back) is type(obj)
    assert plain(back) == plain(obj)
    assert sc.encode(back) == wire


@pytest.mark.parametrize("tag", sorted(sc.TYPES))
def test_every_type_reads_a_record_with_no_fields_as_a_new_object(tag):
    back = sc.decode({"@t": tag, "@v": 1})
    assert type(back) is sc.TYPES[tag].cls


#: every attribute of each persisted class: in the record, or derived from it on decode.
#: When this fails, a class got a new attribute: add it to detectors/statecodec.py (and here).
ATTRIBUTES = {
    SenderState: set(SenderState.__slots__),
    TemplateStats: set(TemplateStats.__slots__),
    SenderKind: {"min_events", "alpha", "_n", "_templated", "_reply", "_night", "declared", "_hint"},
    Redeliveries: {"window_seconds", "max_ids", "_half", "_gen_cap", "_max_ts", "_next", "_gidx", "_cur", "_cur_old",
                   "_cur_raw", "_old", "_starts", "_n_gens", "_limit", "_packed", "_done"},
    RecentIds: {"size", "_ids", "_old"},
    RotatingBloom: {"capacity", "bits_per_item", "n_hashes", "_m", "_cur", "_prev", "_count"},
    FanOut: {"min_unrelated", "min_unrelated_human", "alpha", "seed", "_mean", "_var", "_n"},
    VolumeSpike: {"tolerance", "alpha_season", "alpha_recent", "peak_half_life", "z_scale", "warm_up", "seed", "_hour",
                  "_hour_n", "_dow", "_level", "_recent", "_peak", "_hour_peak", "_hour_peak_n", "_n", "_decay"},
    MailLoop: {"window_seconds", "min_repeats", "page_repeats", "slots", "ways", "max_key_chars", "seed", "_half", "_nb",
               "_low", "_rate", "_gen", "_swept", "_next", "_d", "_buckets"},
    Episodes: {"quiet_seconds", "max_open", "_open", "_evicted"},
}


def attributes(cls) -> set[str]:
    obj = TemplateStats(0.0, 0) if cls is TemplateStats else cls()
    slots = set()
    for c in cls.__mro__:
        slots.update(s for s in getattr(c, "__slots__", ()) if s != "__weakref__")
    return slots | set(getattr(obj, "__dict__", {}))


#: classes encoded from their compact pickle tuple (named there): its length. When this
#: fails, the tuple changed: name the new item in detectors/statecodec.py.
GETSTATE_LEN = {SenderKind: 7, Redeliveries: 8, RotatingBloom: 7, RecentIds: 3, MailLoop: 7}


@pytest.mark.parametrize("cls", list(ATTRIBUTES), ids=lambda c: c.__name__)
def test_no_attribute_of_a_persisted_class_is_forgotten(cls):
    assert attributes(cls) == ATTRIBUTES[cls]
    tag = next(tag for tag, t in sc.TYPES.items() if t.cls is cls)
    fields = sc.TYPES[tag].fields
    if cls in (SenderState, TemplateStats):
        assert set(fields) == set(cls.__slots__)
    if cls in GETSTATE_LEN:
        state = cls().__getstate__()
        assert len(state) == GETSTATE_LEN[cls]
        if cls is MailLoop:  # (params, gen, next, keys, sizes, code, counts): the params one by one
            assert len(state[0]) == 7 and len(fields) == 7 + 6
        elif cls is RecentIds:  # (size, hashes, ring start): the ring start is always 0
            assert len(fields) == 2
        else:
            assert len(fields) == len(state)


# -- migration: appended and missing fields, versions ---------------------------------------------
def test_a_record_with_appended_unknown_fields_still_loads(care):
    rec = record(sc.dumps(care))
    rec["field_of_a_later_release"] = {"x": [1, 2, 3]}
    tpl = next(iter(rec["templates"].values()))
    tpl["another_new_field"] = b"\x00"
    rec["loop"]["ring"] = 7
    rec["episodes"]["open"][0]["escalated_by"] = "someone"
    back = sc.loads(pack(rec))
    assert plain(back) == plain(care)


def test_a_record_missing_fields_takes_the_values_of_a_new_state(care):
    rec = record(sc.dumps(care))
    for name in ("loop", "new_prev", "aliases"):  # as if written before these fields existed
        del rec[name]
    key, tpl = next(iter(rec["templates"].items()))
    for name in ("asked", "contents", "limit", "limit_hour"):
        del tpl[name]
    del rec["new_spike"]["hour_peak_n"]
    back = sc.loads(pack(rec))
    assert isinstance(back.loop, MailLoop) and not back.loop._d and back.new_prev == 0 and back.aliases == {}
    t = back.templates[key]
    assert t.asked == {} and t.contents == {} and t.limit == 0.0 and t.limit_hour == -1
    assert back.new_spike._hour_peak_n == [0] * 24
    assert plain(back.templates[key].spike) == plain(care.templates[key].spike)
    assert back.n_events == care.n_events and list(back.templates) == list(care.templates)
    run(back, next_events("care")[:50])  # and it works


def test_episode_notes_round_trip_and_older_episodes_have_none(care):
    st = sc.loads(sc.dumps(care))
    (det, scope), ep = next(iter(st.episodes._open.items()))
    assert len(ep) == 5  # the legacy state has no notes
    if hasattr(st.episodes, "note"):
        st.episodes.note(det, scope, 0.93, "summary of the last alert")
        back = sc.loads(sc.dumps(st))
        assert back.episodes._open[(det, scope)] == st.episodes._open[(det, scope)]
        assert len(back.episodes._open[(det, scope)]) == 7


@pytest.mark.parametrize("where", ["top", "nested"])
def test_a_newer_version_is_refused(care, where):
    rec = record(sc.dumps(care))
    if where == "top":
        rec["@v"] = sc.TYPES["SenderState"].version + 1
    else:
        next(iter(rec["templates"].values()))["@v"] = 99
    with pytest.raises(StateRejected) as e:
        sc.loads(pack(rec))
    assert e.value.reason == "newer_version"
    assert isinstance(e.value, MailflowError)


def test_an_older_or_equal_version_reads_and_version_zero_is_refused(care):
    rec = record(sc.dumps(care))
    assert sc.loads(pack(rec)).n_events == care.n_events
    rec["@v"] = 0
    with pytest.raises(StateRejected):
        sc.loads(pack(rec))


# -- what is refused -----------------------------------------------------------------------------
class _Evil:
    def __init__(self, cmd):
        self.cmd = cmd

    def __reduce__(self):
        return (os.system, (self.cmd,))


def _forged(tmp_path, protocol=5, inside_state=False):
    marker = tmp_path / "pwned"
    payload = _Evil(f"touch {marker}")
    if inside_state:  # a valid state whose field holds the payload
        st = Sentinel().new_state("a@b.example")
        st.aliases = {"x": payload}
        payload = st
    return pickle.dumps(payload, protocol=protocol), marker


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
@pytest.mark.parametrize("inside_state", [False, True])
def test_a_forged_pickle_is_refused_and_runs_nothing(tmp_path, protocol, inside_state):
    data, marker = _forged(tmp_path, protocol, inside_state)
    with pytest.raises(StateRejected) as e:
        sc.loads(data)
    assert e.value.reason in ("forbidden", "unknown_format")
    with pytest.raises(StateRejected):
        sc.loads_legacy(data)  # even when handed to the legacy reader directly
    assert not marker.exists()


def test_the_short_os_system_pickles_are_refused(tmp_path):
    marker = tmp_path / "pwned"
    cmd = f"touch {marker}".encode()
    short = pickle.dumps(_Evil(cmd.decode()), protocol=4)  # ~100-150 bytes: posix.system + the command
    assert len(short) < 200 and b"system" in short
    classic = b"cos\nsystem\n(S'" + cmd + b"'\ntR."  # protocol 0, by hand
    stack = b"\x80\x05\x8c\x02os\x8c\x06system\x93\x8c" + bytes([len(cmd)]) + cmd + b"\x85R."
    for d in (short, classic, stack):
        with pytest.raises(StateRejected):
            sc.loads(d)
    pickle.loads(stack)  # the same bytes through plain pickle: this is what ran on the workers
    assert marker.exists()
    marker.unlink()
    for d in (short, classic, stack):
        with pytest.raises(StateRejected):
            sc.loads(d)
    assert not marker.exists()


@pytest.mark.parametrize("module,name", [("builtins", "eval"), ("builtins", "getattr"), ("subprocess", "Popen"),
                                         ("detectors.pipeline", "Sentinel"), ("copyreg", "_reconstructor"),
                                         ("io", "open"), ("pickle", "loads")])
def test_the_legacy_reader_finds_only_the_allow_list(module, name):
    data = b"\x80\x05" + b"\x8c" + bytes([len(module)]) + module.encode() + b"\x8c" + bytes([len(name)]) + name.encode() + b"\x93."
    with pytest.raises(StateRejected) as e:
        sc.loads(data)
    assert e.value.reason == "forbidden"


def test_a_forged_constructor_call_builds_nothing_big():
    # REDUCE of an allowed class with a huge argument: RotatingBloom(10**12) would allocate 1.25 TB
    data = (b"\x80\x05\x8c\x12detectors.sketches\x8c\rRotatingBloom\x93\x8a\x06" + (10**12).to_bytes(6, "little")
            + b"\x85R.")
    with pytest.raises(StateRejected) as e:
        sc.loads(data)
    assert e.value.reason == "unknown_type"
    data = (b"\x80\x05\x8c\x12detectors.pipeline\x8c\x0bSenderState\x93\x8a\x06" + (10**12).to_bytes(6, "little")
            + b"\x85R.")
    with pytest.raises(StateRejected):  # a bare object: no fields, refused when validated
        sc.loads(data)


def test_a_legacy_state_with_wrong_types_inside_is_refused(care):
    st = pickle.loads((DATA / "care.v0.pickle").read_bytes())
    st.n_events = "many"
    with pytest.raises(StateRejected) as e:
        sc.loads(pickle.dumps(st, protocol=5))
    assert e.value.reason == "bad_field"
    st = pickle.loads((DATA / "care.v0.pickle").read_bytes())
    st.templates["x"] = OrderedDict()
    with pytest.raises(StateRejected):
        sc.loads(pickle.dumps(st, protocol=5))


@pytest.mark.parametrize("data", [
    b"", b"\x00", b"garbage, not a state", b"\x80", b"\x80\x05", sc.MAGIC, sc.MAGIC_Z, sc.MAGIC + b"\xc1",
    sc.MAGIC + msgpack.packb([1, 2]), sc.MAGIC + msgpack.packb({"@t": "Sentinel", "@v": 1}),
    sc.MAGIC + msgpack.packb({"@t": "TemplateStats", "@v": 1}), sc.MAGIC_Z + b"not zlib",
    b"{\"sender\": \"json\"}",
], ids=lambda d: d[:12].hex() or "empty")
def test_corrupt_bytes_are_refused(data):
    with pytest.raises(StateRejected):
        sc.loads(data)


@pytest.mark.parametrize("name", ["care.v0.pickle", "care.v1.msgpack", "care.v1.raw.msgpack"])
def test_truncated_or_damaged_golden_files_are_refused(name):
    data = (DATA / name).read_bytes()
    for bad in (data[: len(data) // 2], data[:-1], data[:5]):
        with pytest.raises(StateRejected):
            sc.loads(bad)
    flipped = bytearray(data)
    flipped[len(data) // 3] ^= 0xFF
    try:
        st = sc.loads(bytes(flipped))
    except StateRejected:
        return
    assert type(st) is SenderState  # a flip inside a number or string can still be a valid state


def test_a_zlib_bomb_is_refused(monkeypatch):
    monkeypatch.setattr(sc, "MAX_RECORD_BYTES", 1 << 20)
    body = msgpack.packb({"@t": "SenderState", "@v": 1, "sender": "a" * (2 << 20)})
    with pytest.raises(StateRejected) as e:
        sc.loads(sc.MAGIC_Z + zlib.compress(body, 9))
    assert e.value.reason == "corrupt"


@pytest.mark.parametrize("field,value", [
    ("n_events", "12"), ("n_events", True), ("sender", b"bytes"), ("offsets", {"0": 1}), ("templates", [1]),
    ("kind", {"@t": "FanOut", "@v": 1}), ("kind", None), ("novel_history", [1.0]),
    ("aliases", {"k": msgpack.ExtType(1, b"x")}), ("first_ts", msgpack.Timestamp(0)),
])
def test_a_field_of_the_wrong_type_is_refused(care, field, value):
    rec = record(sc.dumps(care))
    rec[field] = value
    with pytest.raises(StateRejected) as e:
        sc.loads(pack(rec))
    assert e.value.reason in ("bad_field", "corrupt")


@pytest.mark.parametrize("change", ["sizes", "counts", "gens", "bloom", "rank"])
def test_inconsistent_packed_fields_are_refused(care, human, change):
    rec = record(sc.dumps(human if change == "bloom" else care))
    if change == "sizes":
        rec["loop"]["sizes"] = rec["loop"]["sizes"][:-1]
    elif change == "counts":
        rec["loop"]["counts"] = rec["loop"]["counts"][:-2]
    elif change == "gens":
        rec["recent_ids"]["gens"][0] += b"\x01"
    elif change == "bloom":
        rec["recipients"]["cur"] = rec["recipients"]["cur"][:-1]
    else:
        rec["episodes"]["open"][0]["rank"] = 7
    with pytest.raises(StateRejected) as e:
        sc.loads(pack(rec))
    assert e.value.reason == "bad_field"


def test_decoding_never_raises_anything_but_state_rejected(care):
    """Random damage to a record: every outcome is a state or StateRejected."""
    import random

    rng = random.Random(10)
    data = sc.dumps(care, compress=False)
    for _ in range(300):
        b = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(4, len(b))] = rng.randrange(256)
        try:
            st = sc.loads(bytes(b))
        except StateRejected:
            continue
        assert type(st) is SenderState


def test_only_a_sender_state_is_written():
    with pytest.raises(TypeError):
        sc.dumps({"not": "a state"})
    with pytest.raises(TypeError):
        sc.encode(object())


def test_strings_with_lone_surrogates_round_trip():
    s = Sentinel()
    st = s.new_state("odd\udcff@example.com")
    s.process(parse_event({"event_id": "e\ud800", "ts": 1_503_532_800, "sender": "odd\udcff@example.com",
                           "to": ["x@gmail.com"], "subject": "s\udcff", "body": "b"}), st)
    back = sc.loads(sc.dumps(st))
    assert back.sender == st.sender and plain(back) == plain(st)


def test_the_module_is_pure():
    src = Path(sc.__file__).read_text()
    for name in ("faust", "kafka", "prometheus"):
        assert f"import {name}" not in src and f"from {name}" not in src


def test_the_worker_compresses_unless_digests_are_most_of_the_record(care):
    assert sc.dumps(care)[:4] == sc.MAGIC_Z  # names, keys and numbers: a third after zlib
    s = Sentinel()
    busy = s.new_state("alerts@example.com")
    for i in range(5000):
        s.process(parse_event({"event_id": f"<{i}@mta.example.com>", "ts": 1_503_532_800 + 2 * i,
                               "sender": "alerts@example.com", "sender_kind": "automated", "template_id": "alert",
                               "to": [f"user{i % 50}@gmail.com"], "subject": "Alert", "body": "Something happened."}),
                  busy)
    out = sc.dumps(busy)
    assert out[:4] == sc.MAGIC  # 40 kB of random digests: zlib would cost milliseconds for nothing
    for data in (out, sc.dumps(busy, compress=True)):
        assert plain(sc.loads(data)) == plain(busy)
