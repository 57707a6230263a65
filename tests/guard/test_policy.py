"""Postfix's policy delegation protocol (streams/guard/policy.py) and the guard's answers."""

from __future__ import annotations

import asyncio
import math

import pytest
from prometheus_client import CollectorRegistry

from streams.guard.policy import PolicyServer, RequestReader, format_action, parse_request
from streams.guard.service import Guard, GuardOptions, append_marker
from streams.settings import WorkerSettings

T = 1_700_000_000.0

REQUEST = (b"request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\nprotocol_name=ESMTP\n"
           b"queue_id=4Xyz12\nsender=Care@Shop.example\nrecipient=\nrecipient_count=5\n"
           b"client_address=127.0.0.1\nsize=1234\n\n")


def test_parse_request_block():
    a = parse_request(REQUEST)
    assert a["request"] == "smtpd_access_policy" and a["sender"] == "Care@Shop.example"
    assert a["recipient"] == "" and a["queue_id"] == "4Xyz12"
    assert parse_request(b"x=a=b\nnoequals\nX=c\n") == {"x": "c"}


def test_reader_splits_blocks_fed_in_pieces():
    r = RequestReader()
    got = []
    for i in range(0, len(REQUEST * 2), 7):
        got += r.feed((REQUEST * 2)[i:i + 7])
    assert len(got) == 2 and got[1]["size"] == "1234"
    with pytest.raises(ValueError):
        RequestReader().feed(b"a=" + b"x" * 70000 + b"\n")


def test_format_action_cannot_be_split():
    assert format_action("HOLD a\nb") == b"action=HOLD a b\n\n"


class FakeView:
    def __init__(self, age=0.0, loaded=True):
        self.age, self.loaded = age, loaded


def make_guard(tmp_path, **opts):
    g = Guard(WorkerSettings(), GuardOptions(state_dir=str(tmp_path), **opts), CollectorRegistry(), clock=lambda: T)
    g.view = FakeView()
    return g


def critical(sender="care@shop.example", ts=T):
    return {"severity": "critical", "sender": sender, "ts": ts, "template": "verify-id", "detector": "fanout"}


def test_guard_policy_answers(tmp_path):
    g = make_guard(tmp_path)
    attrs = parse_request(REQUEST)
    assert g.policy_action(attrs) == "DUNNO"
    g.holds.apply_alert(critical(), T)
    action = g.policy_action(attrs)
    assert action.startswith("HOLD ") and "care" not in action.lower()
    assert g.policy_action(attrs).startswith("HOLD")  # same queue id (RCPT and END-OF-MESSAGE): counted once
    reg = g.metrics.held
    assert reg.labels("sender")._value.get() == 1
    assert g.policy_action({**attrs, "sender": "orders@shop.example"}) == "DUNNO"
    assert g.policy_action({**attrs, "sender": ""}) == "DUNNO"  # bounces


def test_stale_view_fails_open_or_closed(tmp_path):
    g = make_guard(tmp_path, max_staleness=30)
    g.holds.apply_alert(critical(), T)
    g.view = FakeView(age=math.inf, loaded=False)
    assert g.policy_action(parse_request(REQUEST)) == "DUNNO"  # fail open
    g.holds.apply_alert(critical("inline@shop.example"), T, origin="inline")
    assert g.decide("inline@shop.example") == "inline"  # the guard's own scoring needs no Kafka
    gc = make_guard(tmp_path, max_staleness=30, fail_closed=True)
    gc.view = FakeView(age=31)
    assert gc.policy_action({"request": "smtpd_access_policy", "sender": "anyone@x.example"}).startswith("HOLD")
    assert gc.metrics.held.labels("fail_closed")._value.get() == 1


def test_release_marker_lifts_hold(tmp_path):
    g = make_guard(tmp_path)
    g.holds.apply_alert(critical(), T - 10)
    append_marker(tmp_path, {"action": "release", "sender": "Care@shop.example", "at": T, "messages": 4})
    append_marker(tmp_path, {"action": "drop", "sender": "x@shop.example", "at": T, "messages": 2})
    g.poll_markers()
    assert g.decide("care@shop.example") is None
    assert g.metrics.released._value.get() == 4 and g.metrics.dropped._value.get() == 2
    g.poll_markers()  # read once
    assert g.metrics.released._value.get() == 4


def test_policy_server_round_trip():
    async def run():
        srv = PolicyServer(lambda a: "HOLD held" if a.get("sender") == "care@shop.example" else "DUNNO", port=0)
        await srv.start()
        r, w = await asyncio.open_connection("127.0.0.1", srv.bound_port)
        w.write(b"request=smtpd_access_policy\nsender=care@shop.example\n\n"
                b"request=smtpd_access_policy\nsender=o@shop.example\n\nrequest=other\n\n")
        await w.drain()
        out = [await r.readuntil(b"\n\n") for _ in range(3)]
        w.close()
        await srv.stop()
        return out

    assert asyncio.run(run()) == [b"action=HOLD held\n\n", b"action=DUNNO\n\n", b"action=DUNNO\n\n"]


def test_policy_server_fails_open_on_a_bug():
    def boom(_):
        raise RuntimeError("bug")

    async def run():
        srv = PolicyServer(boom, port=0)
        await srv.start()
        r, w = await asyncio.open_connection("127.0.0.1", srv.bound_port)
        w.write(b"request=smtpd_access_policy\nsender=a@b.example\n\n")
        await w.drain()
        out = await r.readuntil(b"\n\n")
        w.close()
        await srv.stop()
        return out

    assert asyncio.run(run()) == b"action=DUNNO\n\n"
