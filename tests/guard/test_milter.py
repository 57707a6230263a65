"""The milter protocol (streams/taps/milter.py), the tap milter and the guard's milter,
driven by the MTA side of the protocol (:class:`MtaClient`) over loopback."""

from __future__ import annotations

import asyncio
import threading
import time
from email.message import EmailMessage

import orjson
import pytest
from prometheus_client import CollectorRegistry

from streams.guard.milter import GuardMilterHandler
from streams.guard.service import Guard, GuardOptions
from streams.settings import WorkerSettings
from streams.taps.milter import (ACCEPT, MilterServer, MtaClient, TapMilterHandler, TapMilterMetrics, Verdict,
                                 parse_milter_settings)
from streams.taps.mime import MimeOptions


class LoopThread:
    """An asyncio loop in a thread serving a MilterServer (the test speaks the MTA side, blocking)."""

    def __init__(self, server: MilterServer) -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        self.t = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self):
        self.t.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(5)
        return self

    def __exit__(self, *exc):
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.t.join(5)

    def client(self) -> MtaClient:
        return MtaClient("127.0.0.1", self.server.bound_port)


def raw_message(sender="care@shop.example.com", to=("a@gmail.com",), subject="Hello", body="Hi there.\n",
                template="t1", bcc_note=False) -> bytes:
    m = EmailMessage()
    m["From"] = f"Care <{sender}>"
    m["To"] = ", ".join(to)
    m["Subject"] = subject
    m["Message-ID"] = "<m1@shop.example.com>"
    m["Auto-Submitted"] = "auto-generated"
    m["X-Template-Id"] = template
    m.set_content(body)
    return m.as_bytes()


def test_protocol_negotiates_no_reply_and_rebuilds_the_message():
    seen = []

    async def handler(msg):
        seen.append(msg)
        return Verdict("quarantine", "because") if msg.mail_from.startswith("bad") else ACCEPT

    with LoopThread(MilterServer(handler, port=0, quarantine=True)) as lt:
        c = lt.client()
        assert c.actions & 0x20  # SMFIF_QUARANTINE asked
        assert c.protocol & 0x80 and c.protocol & 0x8000  # no reply for headers and RCPT
        assert c.send_message("ok@shop.example.com", ["a@gmail.com", "hidden@yahoo.com"], raw_message(),
                              queue_id="4ABC") == ("a", "")
        assert c.send_message("bad@shop.example.com", ["a@gmail.com"], raw_message()) == ("a", "because")
        folded = b"From: a@shop.example.com\r\nTo: b@gmail.com\r\nSubject: a folded\r\n  subject line\r\n\r\nx\r\n"
        assert c.send_message("a@shop.example.com", ["b@gmail.com"], folded) == ("a", "")
        c.close()
    m = seen[0]
    assert m.queue_id == "4ABC" and m.rcpts == ["a@gmail.com", "hidden@yahoo.com"]
    assert m.header("x-template-id") == "t1" and b"Hi there." in m.body
    from streams.taps.mime import message_to_event

    e = message_to_event(m.raw(), m.mail_from, m.rcpts)
    assert e["bcc"] == ["hidden@yahoo.com"] and e["template_id"] == "t1" and e["body"].startswith("Hi there.")
    assert message_to_event(seen[2].raw(), "", seen[2].rcpts)["subject"] == "a folded  subject line"


def test_quarantine_not_asked_means_accept_and_errors_fail_open():
    async def quarantine(msg):
        return Verdict("quarantine", "x")

    async def slow(msg):
        await asyncio.sleep(5)
        return Verdict("quarantine", "x")

    async def boom(msg):
        raise RuntimeError("bug")

    for h, kw in ((quarantine, {}), (slow, {"timeout": 0.05, "quarantine": True}), (boom, {"quarantine": True})):
        with LoopThread(MilterServer(h, port=0, **kw)) as lt:
            c = lt.client()
            t = time.monotonic()
            assert c.send_message("a@shop.example.com", ["b@gmail.com"], raw_message()) == ("a", "")
            assert time.monotonic() - t < 2
            c.close()


class FakeSink:
    def __init__(self, fail=False):
        self.records, self.fail = [], fail

    async def send(self, topic, key, value, headers=()):
        if self.fail:
            raise RuntimeError("broker down")
        self.records.append((topic, key, value))


def test_tap_milter_produces_event_with_envelope_bcc_and_queue_id():
    settings, _ = parse_milter_settings(["--internal-domain", "shop.example.com", "--wait-ack", "2"], env={})
    sink = FakeSink()
    metrics = TapMilterMetrics(CollectorRegistry())
    with LoopThread(MilterServer(TapMilterHandler(settings, sink, metrics), port=0)) as lt:
        c = lt.client()
        assert c.send_message("care@shop.example.com", ["a@gmail.com", "secret@yahoo.com"], raw_message(),
                              queue_id="4QID")[0] == "a"
        # inbound mail (sender outside the internal domain): no event
        assert c.send_message("x@elsewhere.example", ["a@shop.example.com"],
                              raw_message(sender="x@elsewhere.example"))[0] == "a"
        # no sender at all: dead-lettered
        assert c.send_message("", ["a@gmail.com"], b"Subject: x\r\n\r\nbody\r\n")[0] == "a"
        c.close()
    topics = [r[0] for r in sink.records]
    assert topics == [settings.worker.input_topic, settings.worker.dlq_topic]
    topic, key, value = sink.records[0]
    e = orjson.loads(value)
    assert key == b"care@shop.example.com" and e["queue_id"] == "4QID" and e["bcc"] == ["secret@yahoo.com"]
    assert e["sender_kind"] == "automated"
    assert metrics.messages.labels("not_outbound")._value.get() == 1


def test_tap_milter_accepts_when_the_broker_is_down():
    settings, _ = parse_milter_settings(["--wait-ack", "0.5", "--spool-dir", "none"], env={})
    assert settings.spool_dir == ""
    metrics = TapMilterMetrics(CollectorRegistry())
    with LoopThread(MilterServer(TapMilterHandler(settings, FakeSink(fail=True), metrics), port=0)) as lt:
        c = lt.client()
        assert c.send_message("care@shop.example.com", ["a@gmail.com"], raw_message())[0] == "a"
        c.close()
    assert metrics.messages.labels("failed")._value.get() == 1  # no spool: the event is lost (and counted)


def test_tap_milter_spools_what_the_broker_refuses_and_sends_it_after_a_restart(tmp_path):
    """Broker down: mail is accepted at once and the events wait in the spool on disk; a tap
    started again later (a new handler and spool on the same directory) sends each once."""
    from streams.taps.spool import Spool

    settings, _ = parse_milter_settings(["--wait-ack", "2", "--data-dir", str(tmp_path)], env={})
    assert settings.spool_dir == str(tmp_path / "milter-spool")  # the default: under the data dir
    reg = CollectorRegistry()
    metrics = TapMilterMetrics(reg)
    down = FakeSink(fail=True)
    with LoopThread(MilterServer(TapMilterHandler(settings, down, metrics, Spool(settings.spool_dir)), port=0)) as lt:
        c = lt.client()
        for i in range(3):
            assert c.send_message("care@shop.example.com", [f"c{i}@gmail.com"],
                                  raw_message(to=(f"c{i}@gmail.com",)).replace(b"<m1@", f"<m{i}x@".encode()))[0] == "a"
        assert c.send_message("", ["a@gmail.com"], b"Subject: x\r\n\r\nbody\r\n")[0] == "a"  # a dead letter too
        c.close()
    assert reg.get_sample_value("mailflow_tap_milter_messages_total", {"result": "spooled"}) == 4
    assert reg.get_sample_value("mailflow_tap_milter_messages_total", {"result": "failed"}) == 0
    assert reg.get_sample_value("mailflow_tap_milter_spool_records") == 4

    # the tap restarts, the broker is back
    reg2 = CollectorRegistry()
    up = FakeSink()
    handler = TapMilterHandler(settings, up, TapMilterMetrics(reg2), Spool(settings.spool_dir))
    assert reg2.get_sample_value("mailflow_tap_milter_spool_records") == 4
    assert asyncio.run(handler.resend_spooled()) == 4
    assert asyncio.run(handler.resend_spooled()) == 0  # sent once
    w = settings.worker
    assert [t for t, _, _ in up.records] == [w.input_topic] * 3 + [w.dlq_topic]
    events = [orjson.loads(v) for t, _, v in up.records[:3]]
    assert [e["to"] for e in events] == [["c0@gmail.com"], ["c1@gmail.com"], ["c2@gmail.com"]]
    assert all(k == b"care@shop.example.com" for _, k, _ in up.records[:3])
    assert reg2.get_sample_value("mailflow_tap_milter_spool_resent_total") == 4
    assert reg2.get_sample_value("mailflow_tap_milter_spool_records") == 0


class FreshView:
    age, loaded = 0.0, True


def blast(i):
    return raw_message(to=[f"v{i}-{k}@gmail.com" for k in range(5)], subject="Verify your account",
                       body="Please reply with a photo of your passport or ID card.\n", template="verify-id")


def order(i, sender="orders@shop.example.com"):
    return raw_message(sender=sender, to=[f"buyer{i}@gmail.com"], subject=f"Your order #{1000 + i} is confirmed",
                       body=f"Thank you for your order #{1000 + i}. Total 42.90 EUR.\n", template="order-confirmation")


@pytest.fixture
def guard(tmp_path):
    g = Guard(WorkerSettings(internal_domains=("shop.example.com",)), GuardOptions(state_dir=str(tmp_path), inline=True),
              CollectorRegistry())
    g.view = FreshView()
    return g


def test_inline_holds_the_first_blast_message_and_the_next_not_the_ramp(guard):
    handler = GuardMilterHandler(guard, MimeOptions(internal_domains=("shop.example.com",)), inline=True)
    with LoopThread(MilterServer(handler, port=0, quarantine=True)) as lt:
        c = lt.client()
        for i in range(30):
            assert c.send_message("orders@shop.example.com", [f"buyer{i}@gmail.com"], order(i)) == ("a", "")
        v = [c.send_message("care@shop.example.com", [f"v{i}-{k}@gmail.com" for k in range(5)], blast(i))
             for i in range(3)]
        # the care account's other mail is held too while its inline hold is open
        v.append(c.send_message("care@shop.example.com", ["one@gmail.com"], order(99, "care@shop.example.com")))
        c.close()
    assert all(x[1].startswith("mailflow-guard") for x in v), v
    assert guard.metrics.held.labels("inline")._value.get() == 4
    assert guard.decide("care@shop.example.com") == "inline" and guard.decide("orders@shop.example.com") is None


def test_guard_milter_holds_a_sender_the_alerts_named_by_from_or_envelope(guard):
    handler = GuardMilterHandler(guard, MimeOptions(), inline=False)
    guard.holds.apply_alert({"severity": "critical", "sender": "care@shop.example.com", "template": "verify-id",
                             "ts": time.time()}, time.time())
    with LoopThread(MilterServer(handler, port=0, quarantine=True)) as lt:
        c = lt.client()
        # envelope sender of a bounce-handling address, From the held account
        _, reason = c.send_message("bounces@mailer.example", ["a@gmail.com"], blast(1))
        assert "template" in reason
        assert c.send_message("orders@shop.example.com", ["a@gmail.com"], order(1)) == ("a", "")
        c.close()


@pytest.mark.parametrize("kind", ["plain", "qp", "base64", "utf8-subject", "reply", "multipart", "8bit"])
def test_fast_event_matches_the_taps_conversion(kind):
    """The guard's inline fast path builds the same event as streams.taps.mime.message_to_event."""
    from streams.taps.milter import fast_event
    from streams.taps.milter import MilterMessage
    from streams.taps.mime import message_to_event

    m = EmailMessage()
    m["From"] = "Service Client <Care@Shop.example.com>"
    m["To"] = "Ann <ann@gmail.com>, bob@yahoo.com"
    m["Cc"] = "carl@orange.fr"
    m["Subject"] = "Vérifiez votre compte ✓" if kind == "utf8-subject" else "Verify your account"
    m["Message-ID"] = "<abc@shop.example.com>"
    m["Date"] = "Thu, 24 Aug 2017 10:00:00 +0000"
    m["X-Template-Id"] = "verify-id"
    m["Precedence"] = "bulk"
    if kind == "reply":
        m["In-Reply-To"] = "<q1@gmail.com>"
        m["References"] = "<q0@gmail.com> <q1@gmail.com>"
    # accented text only where it is transfer-encoded: an 8bit UTF-8 body makes the taps'
    # conversion raise (streams/taps/mime.py _part_text, reported); the fast path decodes it
    accented = kind in ("qp", "base64", "8bit")
    text = ("Bonjour,\nmerci d'envoyer une photo de votre pi\u00e8ce d'identit\u00e9.\n" if accented else
            "Hello,\nplease send a photo of your passport.\n") + "ligne\n" * 5
    cte = {"qp": "quoted-printable", "base64": "base64"}.get(kind)
    m.set_content(text, cte=cte) if cte else m.set_content(text)
    if kind == "multipart":
        m.add_alternative("<p>hello</p>", subtype="html")
    raw = m.as_bytes()
    head, _, body = raw.partition(b"\n\n")
    mm = MilterMessage(mail_from="bounce@shop.example.com", rcpts=["ann@gmail.com", "bob@yahoo.com", "carl@orange.fr",
                                                                    "hidden@gmail.com"])
    for ln in head.decode().split("\n"):
        if ln[:1] in (" ", "\t"):
            k, v = mm.headers[-1]
            mm.headers[-1] = (k, v + "\r\n" + ln)
        else:
            k, _, v = ln.partition(":")
            mm.headers.append((k, v.lstrip(" ")))
    mm.body = bytearray(body.replace(b"\n", b"\r\n"))
    opts = MimeOptions(internal_domains=("shop.example.com",))
    fast = fast_event(mm, opts, 1.0)
    if kind == "multipart":
        assert fast is None
        return
    if kind == "8bit":
        assert fast["body"].startswith("Bonjour,\nmerci d'envoyer une photo de votre pi\u00e8ce")
        return
    slow = message_to_event(mm.raw(), mm.mail_from, mm.rcpts, options=opts, arrival=1.0)
    assert fast == slow and fast["ts"] == 1503568800.0
    assert fast["bcc"] == ["hidden@gmail.com"] and fast["sender_kind"] == "automated"
    assert fast_event(mm, MimeOptions(internal_domains=("other.example",)), 1.0) == {}
