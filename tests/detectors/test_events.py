"""Tests of the contract event parser (detectors/events.py, detectors/errors.py)."""

from __future__ import annotations

import json
import pickle
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.errors import EventRejected, MailflowError
from detectors.events import REJECT_REASONS, Attachment, MailEvent, _event_from, _fast_event, parse_event

BASE = {"event_id": "m1", "ts": 1503568800, "sender": "care@example.com", "to": ["a@x.org"]}


_DROP = object()


def ev(**changes):
    d = dict(BASE)
    for k, v in changes.items():
        if v is _DROP:
            d.pop(k, None)
        else:
            d[k] = v
    return d


def reason_of(raw, **kw) -> str:
    with pytest.raises(EventRejected) as info:
        parse_event(raw, **kw)
    assert info.value.reason in REJECT_REASONS
    return info.value.reason


# ---------------------------------------------------------------------------
# timestamps


@pytest.mark.parametrize(
    "ts, expected",
    [
        (1503568800, 1503568800.0),
        (1503568800.25, 1503568800.25),
        ("2017-08-24T10:00:00Z", 1503568800.0),
        ("2017-08-24T10:00:00z", 1503568800.0),
        ("2017-08-24T10:00:00.500Z", 1503568800.5),
        ("2017-08-24T12:00:00+02:00", 1503568800.0),
        ("2017-08-24T04:30:00-05:30", 1503568800.0),
        ("2017-08-24T10:00:00+00:00", 1503568800.0),
    ],
)
def test_both_timestamp_forms(ts, expected):
    e = parse_event(ev(ts=ts))
    assert isinstance(e.ts, float)
    assert e.ts == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "ts",
    ["2017-08-24T10:00:00", "2017-08-24T10:00:00.123", "2017-08-24", "yesterday", "1503568800",
     "2017-13-24T10:00:00Z", 0, -5, 1e12, float("inf")],
)
def test_bad_timestamps(ts):
    if isinstance(ts, float) and ts == float("inf"):
        assert reason_of(ev(ts=ts)) == "bad_timestamp"
    else:
        assert reason_of(json.dumps(ev(ts=ts)).encode()) == "bad_timestamp"


@pytest.mark.parametrize("ts", [True, None, [1], {"s": 1}])
def test_timestamp_of_wrong_type(ts):
    assert reason_of(ev(ts=ts)) in ("wrong_type", "missing_field")
    if ts is not None:
        assert reason_of(ev(ts=ts)) == "wrong_type"


# ---------------------------------------------------------------------------
# addresses


def test_addresses_case_insensitive_and_deduplicated():
    e = parse_event(ev(sender="Care@Example.COM", to=["A@X.org", "a@x.ORG", "b@y.com"],
                       cc=["B@Y.com", "c@z.net"], bcc=["C@Z.NET", "d@w.io"]))
    assert e.sender == "care@example.com"
    assert e.to == ("a@x.org", "b@y.com")
    assert e.recipients == ("a@x.org", "b@y.com", "c@z.net", "d@w.io")
    assert e.visible_recipients == ("a@x.org", "b@y.com", "c@z.net")
    assert e.sender_domain == "example.com"


def test_name_angle_address_form():
    e = parse_event(ev(sender="Customer Care <Care@Example.com>", to=["Jane Doe <Jane@X.org>", " jane@x.org "]))
    assert e.sender == "care@example.com"
    assert e.to == ("jane@x.org",)


@pytest.mark.parametrize("addr", ["nobody", "@x.org", "a@", "a@localhost", "a b@x.org", "a@x.org.", "a@.org",
                                  "x" * 320 + "@x.org", "a;b@x.org"])
def test_bad_addresses(addr):
    assert reason_of(ev(to=[addr])) == "bad_address"
    assert reason_of(ev(sender=addr)) == "bad_address"


def test_unknown_fields_ignored():
    e = parse_event(ev(extra=1, nested={"a": [1, 2]}, x_mailer=None))
    assert e.event_id == "m1"
    assert not hasattr(e, "extra")


def test_optional_fields_parsed():
    e = parse_event(ev(sender_kind="automated", subject="Hi", template_id="t1", body="b", thread_id="th",
                       in_reply_to="m0", attachments=[{"filename": "id.JPG", "content_type": "", "size": 12},
                                                      {"filename": "a.pdf", "content_type": "application/pdf"}]))
    assert (e.sender_kind, e.subject, e.template_id, e.body, e.thread_id, e.in_reply_to) == (
        "automated", "Hi", "t1", "b", "th", "m0")
    assert e.attachments == (Attachment("id.JPG", "", 12), Attachment("a.pdf", "application/pdf", 0))
    assert [a.is_image for a in e.attachments] == [True, False]


def test_repr_never_shows_addresses_or_text():
    e = parse_event(ev(subject="Secret subject", body="secret body"))
    r = repr(e)
    assert "a@x.org" not in r and "care@example.com" not in r and "ecret" not in r


# ---------------------------------------------------------------------------
# every reject reason, reachable and reported exactly

REJECTS = [
    ("invalid_utf8", b'{"event_id": "\xff\xfe"}', {}),
    ("invalid_json", b'{"event_id": "m1", ', {}),
    ("invalid_json", '{"event_id": ', {}),
    ("not_an_object", b"[1, 2, 3]", {}),
    ("not_an_object", b'"a string"', {}),
    ("too_large", json.dumps(ev(body="x" * 2000)).encode(), {"max_bytes": 1000}),
    ("missing_field", json.dumps(ev(sender=_DROP)).encode(), {}),
    ("missing_field", json.dumps(ev(event_id=_DROP)).encode(), {}),
    ("wrong_type", json.dumps(ev(event_id=5)).encode(), {}),
    ("wrong_type", json.dumps(ev(to="a@x.org")).encode(), {}),
    ("wrong_type", json.dumps(ev(subject=["x"])).encode(), {}),
    ("wrong_type", json.dumps(ev(attachments=["a.jpg"])).encode(), {}),
    ("bad_timestamp", json.dumps(ev(ts="2017-08-24T10:00:00")).encode(), {}),
    ("bad_address", json.dumps(ev(cc=["not an address"])).encode(), {}),
    ("bad_value", json.dumps(ev(sender_kind="robot")).encode(), {}),
    ("bad_value", json.dumps(ev(event_id="   ")).encode(), {}),
    ("no_recipients", json.dumps(ev(to=[])).encode(), {}),
    ("no_recipients", json.dumps(ev(to=_DROP)).encode(), {}),
    ("too_many_recipients", json.dumps(ev(to=["a@x.org", "b@x.org"], cc=["c@x.org"])).encode(), {"max_recipients": 2}),
    ("too_many_recipients", json.dumps(ev(to=[f"u{i}@x.org" for i in range(1001)])).encode(), {}),
]


@pytest.mark.parametrize("reason, raw, kw", REJECTS, ids=[f"{r[0]}-{i}" for i, r in enumerate(REJECTS)])
def test_each_reject_reason(reason, raw, kw):
    assert reason_of(raw, **kw) == reason


def test_every_reason_is_covered_by_a_crafted_input():
    assert {r for r, _, _ in REJECTS} == set(REJECT_REASONS)


def test_limits_configurable():
    raw = json.dumps(ev(to=[f"u{i}@x.org" for i in range(5)])).encode()
    assert len(parse_event(raw).to) == 5
    assert reason_of(raw, max_recipients=4) == "too_many_recipients"
    assert len(parse_event(raw, max_recipients=5).to) == 5
    assert reason_of(raw, max_bytes=len(raw) - 1) == "too_large"
    assert parse_event(raw, max_bytes=len(raw)).event_id == "m1"


def test_event_rejected_pickles_and_is_a_mailflow_error():
    exc = EventRejected("bad_value", "detail")
    back = pickle.loads(pickle.dumps(exc))
    assert isinstance(back, MailflowError)
    assert (back.reason, back.detail) == ("bad_value", "detail")


def test_reject_detail_never_contains_addresses():
    with pytest.raises(EventRejected) as info:
        parse_event(ev(to=["secret.person@x.org", "not an address"]))
    assert "secret.person" not in str(info.value)
    assert "not an address" not in str(info.value)


def test_mailevent_pickles():
    e = parse_event(ev(cc=["b@y.com"], subject="S", attachments=[{"filename": "a.png", "size": 3}]))
    back = pickle.loads(pickle.dumps(e))
    assert isinstance(back, MailEvent)
    assert back.__getstate__() == e.__getstate__()
    assert back.recipients == ("a@x.org", "b@y.com")


# ---------------------------------------------------------------------------
# property tests: never anything but EventRejected


def _check_never_raises_else(raw):
    try:
        e = parse_event(raw)
    except EventRejected as exc:
        assert exc.reason in REJECT_REASONS
    else:
        assert isinstance(e, MailEvent)
        assert e.recipients and all(r == r.lower() for r in e.recipients)


PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(st.binary(max_size=400))
def test_arbitrary_bytes(raw):
    _check_never_raises_else(raw)


@PROPS
@given(st.text(max_size=300))
def test_arbitrary_text(raw):
    _check_never_raises_else(raw)
    _check_never_raises_else(raw.encode("utf-8", "surrogatepass"))


json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
)
json_like = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
KEYS = ["event_id", "ts", "sender", "to", "cc", "bcc", "sender_kind", "subject", "template_id", "body",
        "thread_id", "in_reply_to", "attachments"]
plausible_values = st.one_of(
    json_like,
    st.just("a@x.org"), st.lists(st.sampled_from(["a@x.org", "B@Y.com", "bad", "", "N <c@z.io>"]), max_size=4),
    st.sampled_from(["2017-08-24T10:00:00Z", "2017-08-24T10:00:00", "automated", "human", 1503568800]),
    st.lists(st.dictionaries(st.sampled_from(["filename", "content_type", "size"]), json_like, max_size=3),
             max_size=3),
)
contract_dicts = st.dictionaries(st.sampled_from(KEYS), plausible_values, max_size=len(KEYS))


@PROPS
@given(json_like)
def test_arbitrary_json_like_objects(obj):
    _check_never_raises_else(obj)
    try:
        raw = json.dumps(obj).encode()
    except (ValueError, TypeError):
        return
    _check_never_raises_else(raw)


@PROPS
@given(contract_dicts)
def test_contract_keys_with_random_types(obj):
    _check_never_raises_else(obj)
    _check_never_raises_else(json.dumps(obj, allow_nan=True).encode())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contract_dicts, contract_dicts)
def test_valid_base_with_random_overrides(a, b):
    _check_never_raises_else({**BASE, **a})
    _check_never_raises_else({**BASE, **b, "to": BASE["to"]})


# valid events round-trip
_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
_local = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-", min_size=1,
                 max_size=12)
addresses = st.builds(lambda l, d, t: f"{l}@{d}.{t}", _local, _label, st.sampled_from(["com", "org", "fr", "io"]))
_offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
_dts = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 1, 1), timezones=_offsets)
timestamps = st.one_of(
    st.floats(min_value=1.0, max_value=4102444799.0),
    st.integers(min_value=1, max_value=4102444799),
    _dts.map(lambda d: d.isoformat()),
    _dts.map(lambda d: d.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")),
)
opt_text = st.one_of(st.none(), st.text(max_size=50))


@st.composite
def valid_events(draw):
    d = {
        "event_id": draw(st.text(min_size=1, max_size=40).filter(lambda s: s.strip())),
        "ts": draw(timestamps),
        "sender": draw(addresses),
        "to": draw(st.lists(addresses, max_size=5)),
        "cc": draw(st.lists(addresses, max_size=3)),
        "bcc": draw(st.lists(addresses, max_size=3)),
    }
    if not (d["to"] or d["cc"] or d["bcc"]):
        d["to"] = [draw(addresses)]
    for k in ("subject", "body", "template_id", "thread_id", "in_reply_to"):
        v = draw(opt_text)
        if v is not None:
            d[k] = v
    kind = draw(st.sampled_from([None, "automated", "human"]))
    if kind:
        d["sender_kind"] = kind
    return d


def _expected_ts(ts):
    if isinstance(ts, str):
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    return float(ts)


@settings(max_examples=100, deadline=None)
@given(valid_events())
def test_valid_event_round_trips(d):
    raw = json.dumps(d).encode("utf-8")
    e = parse_event(raw)
    assert e.event_id == d["event_id"]
    assert e.ts == pytest.approx(_expected_ts(d["ts"]), abs=1e-6)
    assert e.sender == d["sender"].lower()
    for k in ("to", "cc", "bcc"):
        assert getattr(e, k) == tuple(dict.fromkeys(a.lower() for a in d[k]))
    for k in ("subject", "body", "template_id", "thread_id", "in_reply_to", "sender_kind"):
        assert getattr(e, k) == d.get(k)
    # same result from the text, the bytes and the decoded mapping
    assert parse_event(raw.decode()).__getstate__() == e.__getstate__()
    assert parse_event(d).__getstate__() == e.__getstate__()
    assert pickle.loads(pickle.dumps(e)).__getstate__() == e.__getstate__()


# the one-step path for the common event gives exactly what the full validation gives

def _full_or_reason(d, max_recipients=1000):
    try:
        return _event_from(d, max_recipients).__getstate__()
    except EventRejected as exc:
        return exc.reason


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contract_dicts, st.sampled_from([1000, 1, 0]))
def test_fast_path_agrees_with_full_validation(overrides, max_recipients):
    for d in ({**BASE, **overrides}, {**BASE, **overrides, "to": BASE["to"]}, overrides):
        fast = _fast_event(d, max_recipients)
        full = _full_or_reason(d, max_recipients)
        if fast is not None:
            assert fast.__getstate__() == full
        if isinstance(full, str):  # rejected: parse_event gives the same reason
            assert reason_of(d, max_recipients=max_recipients) == full
        else:
            assert parse_event(d, max_recipients=max_recipients).__getstate__() == full


@settings(max_examples=100, deadline=None)
@given(valid_events())
def test_fast_path_takes_the_plain_events(d):
    fast = _fast_event(d, 1000)
    plain = len(d["to"]) == 1 and not d["cc"] and not d["bcc"]
    if plain:
        d = {k: v for k, v in d.items() if k not in ("cc", "bcc")}
        fast = _fast_event(d, 1000)
        assert fast is not None  # the common shape never pays for the full validation
    if fast is not None:
        assert fast.__getstate__() == _event_from(d, 1000).__getstate__()
