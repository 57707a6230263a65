"""``mailflow tap smtp`` behind a real (private) Postfix, with the embedded broker.

Mail is submitted with ``smtplib`` to the private Postfix (tests/taps/conftest.py); it
relays every message to the sink (the customers' mailboxes) and journals it to the
tap, which produces one contract event per message to the input topic.
"""

from __future__ import annotations

import os
import smtplib
import time
import uuid
from email.message import EmailMessage

import orjson
import pytest

from detectors.events import parse_event

from .conftest import JOURNAL_DOMAIN, consume, create_topics

pytestmark = [pytest.mark.broker]


def _topics(tag: str) -> tuple[str, str]:
    u = uuid.uuid4().hex[:8]
    return f"tap.{tag}.{u}.in", f"tap.{tag}.{u}.dlq"


def _message(mid: str, *, to=("ann.lee@customer-one.example",), cc=(), subject="Your invoice",
             template="invoice-v3", body="Dear customer,\nyour invoice is attached.\n", attach=True,
             sender="Billing <billing@shop.example>", headers=None) -> EmailMessage:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = ", ".join(to)
    if cc:
        m["Cc"] = ", ".join(cc)
    m["Subject"] = subject
    m["Message-ID"] = f"<{mid}>"
    m["Date"] = "Thu, 24 Aug 2017 10:00:00 +0000"
    if template:
        m["X-Template-Id"] = template
    for k, v in (headers or {}).items():
        m[k] = v
    m.set_content(body)
    if attach:
        m.add_attachment(b"%PDF-1.4 " + b"x" * 3000, maintype="application", subtype="pdf", filename="invoice.pdf")
    return m


def _events(records, mids) -> dict[str, object]:
    out = {}
    for r in records:
        e = parse_event(r.value)  # a valid contract event, or this raises
        if e.event_id in mids:
            out[e.event_id] = (r, e)
    return out


def test_mail_through_postfix_reaches_sink_and_tap(postfix_mta, mail_sink, broker, tap_factory):
    topic, dlq = _topics("flow")
    create_topics(broker.bootstrap, topic, dlq)
    tap = tap_factory(postfix_mta.tap_port, broker.url, "--input-topic", topic, "--dlq-topic", dlq)
    run = uuid.uuid4().hex[:8]
    mids = [f"m{i}.{run}@shop.example" for i in range(3)]
    # 1: To + Cc + an envelope-only (Bcc) recipient, attachment, template header
    m0 = _message(mids[0], to=("ann.lee@customer-one.example",), cc=("bo@customer-two.example",))
    postfix_mta.send(m0, to_addrs=["ann.lee@customer-one.example", "bo@customer-two.example",
                                   "secret.bcc@customer-three.example"])
    # 2: automated by header rule, no attachment, reply
    m1 = _message(mids[1], template=None, attach=False, headers={"Auto-Submitted": "auto-generated",
                                                                  "In-Reply-To": "<orig.1@customer-one.example>"})
    postfix_mta.send(m1)
    # 3: HTML only
    m2 = EmailMessage()
    m2["From"] = "jane.doe@shop.example"
    m2["To"] = "carl@customer-four.example"
    m2["Subject"] = "Hello"
    m2["Message-ID"] = f"<{mids[2]}>"
    m2.set_content("<html><body><p>Please confirm your <b>account</b> here</p></body></html>", subtype="html")
    postfix_mta.send(m2)

    # the customers got their mail (the sink: every original recipient, never the journal)
    mail_sink.wait_for(lambda ms: all(any(mid.encode() in m.data for m in ms) for mid in mids))
    for m in mail_sink.messages:
        assert not any(r.endswith("@" + JOURNAL_DOMAIN) for r in m.rcpt_tos)
    delivered = {r for m in mail_sink.with_message_id(mids[0]) for r in m.rcpt_tos}
    assert delivered == {"ann.lee@customer-one.example", "bo@customer-two.example", "secret.bcc@customer-three.example"}

    records = consume(broker.bootstrap, topic, lambda rs: len(_events(rs, mids)) == 3)
    got = _events(records, mids)
    assert set(got) == set(mids)
    assert sum(1 for r in records if parse_event(r.value).event_id in mids) == 3  # one event per message

    r0, e0 = got[mids[0]]
    assert r0.key == b"billing@shop.example"
    assert e0.sender == "billing@shop.example"
    assert e0.to == ("ann.lee@customer-one.example",)
    assert e0.cc == ("bo@customer-two.example",)
    assert e0.bcc == ("secret.bcc@customer-three.example",)  # from the journal envelope only
    assert e0.template_id == "invoice-v3"
    assert e0.subject == "Your invoice"
    assert e0.ts == 1503568800.0
    assert e0.body.startswith("Dear customer,")
    assert [(a.filename, a.content_type, a.size) for a in e0.attachments] == [("invoice.pdf", "application/pdf", 3009)]
    assert e0.sender_kind is None  # no rule matched: the project infers it

    _, e1 = got[mids[1]]
    assert e1.sender_kind == "automated" and e1.in_reply_to == "orig.1@customer-one.example"
    assert e1.attachments == () and e1.template_id is None and e1.bcc == ()

    r2, e2 = got[mids[2]]
    assert r2.key == b"jane.doe@shop.example"
    assert e2.body == "Please confirm your account here"

    tap.wait_metric("mailflow_tap_messages_total", 'result="produced"', lambda v: v >= 3)
    postfix_mta.wait_queue_empty()


def test_malformed_mail_goes_to_the_dlq_with_reason(postfix_mta, broker, tap_factory):
    topic, dlq = _topics("bad")
    create_topics(broker.bootstrap, topic, dlq)
    tap = tap_factory(postfix_mta.tap_port, broker.url, "--input-topic", topic, "--dlq-topic", dlq)
    run = uuid.uuid4().hex[:8]
    # a From header without any address (and a null envelope sender is not allowed through
    # Postfix for this path, so the envelope sender is given but From is garbage)
    raw = (f"From: \"Billing\" <not an address>\r\nTo: ann@customer.example\r\nSubject: broken {run}\r\n"
           f"Message-ID: <bad.{run}@shop.example>\r\n\r\nbody\r\n").encode()
    postfix_mta.send_bytes(raw, "", ["ann@customer.example"])
    recs = consume(broker.bootstrap, dlq, lambda rs: any(run.encode() in r.value for r in rs))
    mine = [r for r in recs if run.encode() in r.value]
    assert len(mine) == 1
    headers = dict(mine[0].headers)
    assert headers["mailflow-reason"] == b"bad_address"
    assert headers["mailflow-source-topic"] == b"smtp-tap"
    assert int(headers["mailflow-original-size"]) == len(mine[0].value)
    assert tap.metric("mailflow_tap_dead_letters_total", 'reason="bad_address"') == 1
    # nothing of it on the input topic
    assert not [r for r in consume(broker.bootstrap, topic, lambda rs: False, timeout=2) if run.encode() in r.value]
    postfix_mta.wait_queue_empty()


def test_broker_down_postfix_defers_and_retries_nothing_lost(postfix_mta, mail_sink, broker, tap_factory, free_port):
    topic, dlq = _topics("down")
    create_topics(broker.bootstrap, topic, dlq)
    dead = f"kafka://127.0.0.1:{free_port()}"  # nothing listens there
    tap = tap_factory(postfix_mta.tap_port, dead, "--input-topic", topic, "--dlq-topic", dlq, "--produce-timeout", "1")
    run = uuid.uuid4().hex[:8]
    mids = [f"d{i}.{run}@shop.example" for i in range(3)]
    for mid in mids:
        postfix_mta.send(_message(mid, attach=False))
    # the customers are not delayed by the tap ...
    mail_sink.wait_for(lambda ms: all(any(mid.encode() in m.data for m in ms) for mid in mids))
    # ... the journal copies wait in Postfix's deferred queue, with the tap's 4xx
    deadline = time.monotonic() + 30
    while True:
        deferred = postfix_mta.deferred()
        rcpts = [r for m in deferred for r in m.get("recipients", [])]
        if sum(1 for r in rcpts if "451" in (r.get("delay_reason") or "")) >= 3:
            break
        assert time.monotonic() < deadline, f"not deferred with 451: {deferred}\n{postfix_mta.log_tail()}"
        time.sleep(0.5)
    assert all(r["address"].endswith("@" + JOURNAL_DOMAIN) for r in rcpts)
    assert tap.metric("mailflow_tap_messages_total", 'result="deferred"') >= 3
    tap.stop()

    # the broker is back (the tap restarted against it): Postfix retries, every event arrives once
    tap2 = tap_factory(postfix_mta.tap_port, broker.url, "--input-topic", topic, "--dlq-topic", dlq)
    postfix_mta.flush()
    records = consume(broker.bootstrap, topic, lambda rs: len(_events(rs, set(mids))) == 3, timeout=60)
    assert set(_events(records, set(mids))) == set(mids)
    postfix_mta.wait_queue_empty()
    assert "451" in postfix_mta.log_text()
    tap2.wait_metric("mailflow_tap_messages_total", 'result="produced"', lambda v: v >= 3)


def test_25mb_message_bounded_memory(postfix_mta, mail_sink, broker, tap_factory):
    """A 25 MB message (Postfix's message_size_limit raised to 40 MB here) is accepted (the tap's
    default --max-message-size is 32 MiB) and parsed with bounded memory: through its skeleton,
    decoding only a prefix of the body, never the attachment. Over the limit: 552 (next test)."""
    topic, dlq = _topics("big")
    create_topics(broker.bootstrap, topic, dlq)
    tap = tap_factory(postfix_mta.tap_port, broker.url, "--input-topic", topic, "--dlq-topic", dlq)
    base_rss = tap.peak_rss_kib()
    run = uuid.uuid4().hex[:8]
    mid = f"big.{run}@shop.example"
    m = _message(mid, attach=False)
    m.add_attachment(os.urandom(18_500_000), maintype="application", subtype="octet-stream", filename="scan.tif")
    size = len(m.as_bytes())
    assert 24_000_000 < size < 26_000_000
    postfix_mta.send(m)
    records = consume(broker.bootstrap, topic, lambda rs: mid in _events(rs, {mid}), timeout=120)
    _, e = _events(records, {mid})[mid]
    assert [(a.filename, a.size) for a in e.attachments] == [("scan.tif", 18_500_000)]
    assert len(records[-1].value) < 10_000  # the event carries metadata, not content
    grew_mib = (tap.peak_rss_kib() - base_rss) / 1024
    # aiosmtpd holds the DATA lines (~2x) and one joined copy; the parser sees only the skeleton
    # (every MIME body cut to 256 KiB): ~4x the message here, asserted under 6x
    assert grew_mib < 6 * size / 2**20, grew_mib
    print(f"25 MB message: tap peak RSS grew by {grew_mib:.0f} MiB for a {size / 2**20:.1f} MiB message")
    postfix_mta.wait_queue_empty(timeout=120)


def test_over_the_limit_is_refused_with_552(broker, tap_factory, free_port):
    """Straight to the tap (no Postfix: it would bounce the journal copy to the sender)."""
    port = free_port()
    tap = tap_factory(port, broker.url, "--max-message-size", "100000")
    m = _message("huge@shop.example", attach=False, body=("x" * 70 + "\n") * 3000)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.ehlo()
        s.esmtp_features.pop("size", None)  # do not let smtplib check SIZE itself
        s.mail("billing@shop.example")
        s.rcpt("journal+ann=customer.example@tap.invalid")
        code, reply = s.data(m.as_bytes(policy=m.policy.clone(linesep="\r\n")))
    assert code == 552, (code, reply, tap.log())
    assert tap.metric("mailflow_tap_messages_total", 'result="too_large"') == 1


def test_a_microsoft_365_journal_report_becomes_the_original_messages_event(broker, tap_factory, free_port):
    """Straight to the tap, as an Exchange / Microsoft 365 journal rule delivers its reports:
    the event is the journalled message's (its sender, id and body), with the Bcc and the
    members of an expanded list the report names, not the Exchange system account's report."""
    from .journal_report import SYSTEM, original, report

    topic, dlq = _topics("m365")
    create_topics(broker.bootstrap, topic, dlq)
    port = free_port()
    tap = tap_factory(port, broker.url, "--input-topic", topic, "--dlq-topic", dlq)
    mid = f"m365.{uuid.uuid4().hex[:8]}@shop.example"
    data = report(original(mid), ["To: ann@customer.example", "Bcc: dave@gmail.com",
                                  "To: erin@yahoo.com, Expanded: customers@shop.example"], mid=mid)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.sendmail(SYSTEM, ["journal@tap.invalid"], data)
    recs = consume(broker.bootstrap, topic, lambda rs: bool(_events(rs, {mid})))
    ((rec, e),) = _events(recs, {mid}).values()
    assert rec.key == b"care@shop.example"
    assert e.sender == "care@shop.example"
    assert set(e.bcc) == {"ann@customer.example", "dave@gmail.com", "erin@yahoo.com"}
    assert tap.wait_metric("mailflow_tap_messages_total", 'result="produced"', lambda v: v >= 1) == 1
