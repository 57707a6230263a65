"""The fast header path of streams.taps.mime gives exactly the events policy.default gives.

``message_to_event(data, ...)`` parses with compat32 into ``_FastMessage``, which answers
plain header values itself and hands any other to policy.default's own parser;
``message_to_event(data, ..., msg=parse_message(skeleton(data)))`` is the policy.default
path (what the tap did before, and what the ESP taps still do). Over a deterministic corpus
of 3,600 messages (tests/taps/mime_corpus.py: the fixtures of the tap and guard tests,
encoded words in several charsets, odd and malformed headers, MIME shapes, journal
reports, messages over 1 MiB) the two must agree on every event, reason and exception, on
the interpreter the suite runs (the two Pythons of the project differ from each other on a
few malformed headers; each must agree with itself).
"""

from __future__ import annotations

import email
import email.policy

import orjson

from streams.taps import mime

from . import mime_corpus

ARRIVAL = 1.7e9


def _result(case, opts, reference: bool):
    msg = None
    if case["msg"] == "default":
        msg = email.message_from_bytes(case["data"], policy=email.policy.default)
    elif case["msg"] == "compat32":
        msg = email.message_from_bytes(case["data"])
    try:
        if reference and msg is None:
            msg = mime.parse_message(mime.skeleton(case["data"]))
        e = mime.message_to_event(case["data"], case["mail_from"], case["rcpts"], options=opts[case["opts"]],
                                  arrival=ARRIVAL, msg=msg)
        return ("event", orjson.dumps(e, option=orjson.OPT_SORT_KEYS) if e is not None else None)
    except mime.MalformedMessage as exc:
        return ("malformed", exc.reason, exc.detail)
    except Exception as exc:  # noqa: BLE001 - the same input must fail the same way
        return ("exception", type(exc).__name__, str(exc)[:300])


def test_the_fast_path_gives_the_events_policy_default_gives():
    cases = mime_corpus.build()
    opts = mime_corpus.OPTIONS()(mime)
    assert len(cases) == 3600 and sum(len(c["data"]) > 1024 * 1024 for c in cases) >= 10
    differ = []
    kinds = set()
    for c in cases:
        fast, ref = _result(c, opts, False), _result(c, opts, True)
        kinds.add(ref[0])
        if fast != ref:
            differ.append((c["name"], ref, fast))
    assert not differ, differ[:5]
    # the corpus reaches both outcomes, and no message makes the conversion raise (the tap's
    # internal_error): not the malformed address shapes policy.default's parser crashes on, nor
    # raw UTF-8 addresses
    assert kinds == {"event", "malformed"}


def test_addresses_policy_default_cannot_parse_give_an_event_or_bad_address():
    def convert(from_: bytes):
        raw = (b"From: " + from_ + b"\r\nTo: c@customer.example\r\nSubject: x\r\n"
               b"Message-ID: <1@shop.example>\r\n\r\nhi\r\n")
        out = []
        for msg in (None, mime.parse_message(mime.skeleton(raw))):  # the fast path and policy.default's
            try:
                out.append(mime.message_to_event(raw, "", ["c@customer.example"], arrival=ARRIVAL, msg=msg)["sender"])
            except mime.MalformedMessage as exc:
                out.append(exc.reason)
        assert out[0] == out[1]
        return out[0]

    assert convert(b"ann@") == "bad_address"  # policy.default raised IndexError here
    assert convert(b"=?utf-8?q?Ann=0D=0ABcc=3A?= <ann@shop.example>") == "ann@shop.example"  # ValueError (CR/LF)
    assert convert(b".Ann <ann@shop.example>") == "ann@shop.example"  # AttributeError
    assert convert("Jörg <jörg@bücher.example>".encode()) == "jörg@bücher.example"  # raw UTF-8 (RFC 6532)
    assert convert(b"J\xf6rg <j\xf6rg@shop.example>") == "bad_address"  # 8-bit, not UTF-8: no address
