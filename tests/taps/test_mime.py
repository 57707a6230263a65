"""streams.taps.mime: a journalled message -> one contract event (no SMTP, no Kafka)."""

from __future__ import annotations

import os
from email.message import EmailMessage

import orjson
import pytest

from detectors.events import parse_event
from streams.taps.mime import (
    MalformedMessage,
    MimeOptions,
    digest_id,
    html_to_text,
    journal_recipients,
    message_to_event,
    parse_rule,
    skeleton,
)

ARRIVAL = 1_700_000_000.0


def _msg(**headers) -> EmailMessage:
    m = EmailMessage()
    base = {"From": "Billing <Billing@Shop.example>", "To": "Ann Lee <ann.lee@customer.example>",
            "Subject": "Your invoice", "Message-ID": "<inv.1@shop.example>",
            "Date": "Thu, 24 Aug 2017 12:00:00 +0200"}
    base.update(headers)
    for k, v in base.items():
        if v is not None:
            m[k] = v
    return m


def _event(m, mail_from="bounces@shop.example", rcpts=("journal@tap.invalid",), **opts) -> dict:
    data = m if isinstance(m, bytes) else m.as_bytes()
    e = message_to_event(data, mail_from, list(rcpts), options=MimeOptions(**opts), arrival=ARRIVAL)
    if e is not None:
        parse_event(orjson.dumps(e))  # always a valid contract event
    return e


def test_basic_fields():
    m = _msg(Cc="bo@customer.example, Ann Lee <ANN.LEE@customer.example>")
    m["X-Template-Id"] = "invoice-v3"
    m["In-Reply-To"] = "<q.7@customer.example>"
    m["References"] = "<root.1@customer.example> <q.7@customer.example>"
    m.set_content("Dear Ann,\nyour invoice.\n")
    e = _event(m)
    assert e["event_id"] == "inv.1@shop.example"
    assert e["ts"] == 1503568800.0
    assert e["sender"] == "billing@shop.example"
    assert e["to"] == ["ann.lee@customer.example"]
    assert e["cc"] == ["bo@customer.example"]  # duplicates of To removed
    assert "bcc" not in e
    assert e["subject"] == "Your invoice"
    assert e["template_id"] == "invoice-v3"
    assert e["in_reply_to"] == "q.7@customer.example"
    assert e["thread_id"] == "root.1@customer.example"
    assert e["body"] == "Dear Ann,\nyour invoice."
    assert "sender_kind" not in e and "attachments" not in e


def test_bcc_from_the_journal_envelope():
    m = _msg()
    m.set_content("hi")
    rcpts = ["journal+ann.lee=customer.example@tap.invalid", "journal+hidden=other.example@tap.invalid",
             "journal@tap.invalid"]
    e = _event(m, rcpts=rcpts)
    assert e["to"] == ["ann.lee@customer.example"]
    assert e["bcc"] == ["hidden@other.example"]
    # plain always_bcc: only the journal address, no Bcc to be seen
    assert "bcc" not in _event(m, rcpts=["journal@tap.invalid"])
    # an MTA that journals with the original envelope (plain recipients)
    assert _event(m, rcpts=["ann.lee@customer.example", "x@y.example"])["bcc"] == ["x@y.example"]
    # a Bcc header (sendmail -t keeps none, but some clients submit one)
    m2 = _msg(Bcc="b2@other.example")
    m2.set_content("hi")
    assert _event(m2)["bcc"] == ["b2@other.example"]


def test_journal_recipients_decoding():
    assert journal_recipients(["Journal+a.b=c.example@tap.invalid"]) == ["a.b@c.example"]
    assert journal_recipients(["jrnl+a=b.example@x.invalid", "jrnl@x.invalid"], "jrnl") == ["a@b.example"]
    assert journal_recipients(["journal+broken@tap.invalid", "not-an-address"]) == []


def test_missing_message_id_and_date():
    m = _msg(**{"Message-ID": None, "Date": None})
    m.set_content("hi")
    data = m.as_bytes()
    e = _event(data)
    assert e["event_id"] == digest_id(data) and e["event_id"].startswith("sha256:")
    assert _event(data)["event_id"] == e["event_id"]  # stable
    assert e["ts"] == ARRIVAL
    bad_date = _msg(Date="yesterday at noon")
    bad_date.set_content("x")
    assert _event(bad_date)["ts"] == ARRIVAL


def test_sender_rules():
    m = _msg(From="a@shop.example, b@shop.example", Sender="ops@shop.example")
    m.set_content("x")
    assert _event(m)["sender"] == "ops@shop.example"  # several From: the Sender (RFC 5322 3.6.2)
    m = _msg(From=None)
    m.set_content("x")
    assert _event(m, mail_from="App@Shop.example")["sender"] == "app@shop.example"
    with pytest.raises(MalformedMessage) as exc:
        _event(m, mail_from="")
    assert exc.value.reason == "no_sender"


@pytest.mark.parametrize("header,value", [("Auto-Submitted", "auto-generated"), ("Precedence", "bulk"),
                                          ("List-Unsubscribe", "<mailto:u@shop.example>")])
def test_automated_by_header(header, value):
    m = _msg(**{header: value})
    m.set_content("x")
    assert _event(m)["sender_kind"] == "automated"


def test_automated_rules_configurable():
    m = _msg(**{"Auto-Submitted": "no", "X-Mailer": "Campaign 2"})
    m.set_content("x")
    assert "sender_kind" not in _event(m)  # Auto-Submitted: no is a person
    assert _event(m, automated_rules=(parse_rule("X-Mailer=campaign 2"),))["sender_kind"] == "automated"
    assert "sender_kind" not in _event(m, automated_rules=())
    with pytest.raises(ValueError):
        parse_rule("=x")


def test_attachments_metadata_only():
    m = _msg()
    m.set_content("See attached.")
    m.add_alternative("<p>See <b>attached</b>.</p>", subtype="html")
    m.add_attachment(b"\x00" * 12345, maintype="application", subtype="pdf", filename="statement.pdf")
    m.add_attachment("a,b\n1,2\n", subtype="csv", filename="data.csv")
    img = EmailMessage()
    img.set_content(b"\x89PNG" + b"\x01" * 999, maintype="image", subtype="png")
    m.attach(img)
    e = _event(m)
    assert e["body"] == "See attached."
    atts = {(a["filename"], a["content_type"]): a["size"] for a in e["attachments"]}
    assert atts == {("statement.pdf", "application/pdf"): 12345, ("data.csv", "text/csv"): 8,
                    ("", "image/png"): 1003}
    assert b"\x00" * 10 not in orjson.dumps(e)


def test_html_only_body_is_stripped():
    m = _msg()
    m.set_content("<html><head><style>.x{}</style></head><body><p>Please send your "
                  "<b>card number</b></p><script>x()</script></body></html>", subtype="html")
    assert _event(m)["body"] == "Please send your card number"
    assert html_to_text("a<br>b") == "a\nb"


def test_body_prefix_and_encodings():
    m = _msg()
    m.set_content("Grüße, " + "z" * 10_000, cte="base64")
    e = _event(m, body_chars=50)
    assert e["body"] == ("Grüße, " + "z" * 10_000)[:50]
    m = _msg()
    m.set_content("Caf\u00e9 = fine\n" * 500, cte="quoted-printable")
    assert _event(m, body_chars=30)["body"] == ("Caf\u00e9 = fine\n" * 3)[:30]
    assert "body" not in _event(m, body_chars=0)


def test_internal_domains_skip_inbound():
    m = _msg()
    m.set_content("x")
    assert _event(m, internal_domains=("shop.example",))["sender"] == "billing@shop.example"
    assert _event(m, internal_domains=("other.example",)) is None
    sub = _msg(From="a@eu.shop.example")
    sub.set_content("x")
    assert _event(sub, internal_domains=("shop.example",)) is not None


@pytest.mark.parametrize("data,reason", [
    (b"", "unparsable"),
    (b"\r\n\r\njust a body\r\n", "unparsable"),
    (b"From: <not an address>\r\nTo: a@b.example\r\n\r\nx\r\n", "bad_address"),
    (b"From: a@shop.example\r\nSubject: nobody\r\n\r\nx\r\n", "no_recipients"),
])
def test_malformed(data, reason):
    with pytest.raises(MalformedMessage) as exc:
        message_to_event(data, "", [], arrival=ARRIVAL)
    assert exc.value.reason == reason
    assert ".example" not in exc.value.detail and "address>" not in exc.value.detail  # never the mail's text


def test_garbage_never_raises_anything_else():
    import random

    rnd = random.Random(12)
    for _ in range(300):
        data = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 400)))
        if rnd.random() < 0.5:
            data = b"From: a@shop.example\r\nTo: b@c.example\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n" + data
        try:
            e = message_to_event(data, "s@shop.example", ["journal@tap.invalid"], arrival=ARRIVAL)
        except MalformedMessage:
            continue
        parse_event(orjson.dumps(e))


def _big_message() -> EmailMessage:
    m = _msg()
    m["X-Template-Id"] = "t-9"
    m.set_content("Dear customer,\n" + "line of text\n" * 50_000)  # 650 KB text part
    m.add_alternative("<p>html</p>" * 10, subtype="html")
    m.add_attachment(os.urandom(1_500_000), maintype="application", subtype="octet-stream", filename="a.bin")
    inner = EmailMessage()
    inner["From"] = "x@y.example"
    inner["Subject"] = "fwd"
    inner.set_content("forwarded")
    m.add_attachment(inner, filename="fwd.eml")
    m.add_attachment("q" * 900_000 + "\n", subtype="plain", filename="log.txt", cte="quoted-printable")
    return m


def test_skeleton_gives_the_same_event():
    data = _big_message().as_bytes()
    assert len(data) > 2_000_000
    skel = skeleton(data)
    assert len(skel) < 1_500_000
    full = message_to_event(data, "s@shop.example", ["journal+ann.lee=customer.example@tap.invalid"],
                            arrival=ARRIVAL, msg=__import__("email").message_from_bytes(
                                data, policy=__import__("email.policy").policy.default))
    viaskel = message_to_event(data, "s@shop.example", ["journal+ann.lee=customer.example@tap.invalid"],
                               arrival=ARRIVAL)
    assert viaskel == full
    sizes = {a["filename"]: a["size"] for a in viaskel["attachments"]}
    assert sizes["a.bin"] == 1_500_000
    assert sizes["log.txt"] == 900_001
    assert viaskel["body"].startswith("Dear customer,\nline of text")
    # a small message is not touched
    small = _msg()
    small.set_content("x")
    assert skeleton(small.as_bytes()) == small.as_bytes()


def test_skeleton_header_in_the_mail_is_not_trusted():
    from streams.taps import mime

    m = _msg()
    m.set_content("x")
    att = EmailMessage()
    att.set_content(b"abc", maintype="application", subtype="zip")
    att[mime._SIZE_HEADER.replace(mime._SIZE_HEADER[-12:], "000000000000")] = "999999"
    att.add_header("Content-Disposition", "attachment", filename="z.zip")
    m.make_mixed()
    m.attach(att)
    assert _event(m)["attachments"] == [{"filename": "z.zip", "content_type": "application/zip", "size": 3}]


def test_an_8bit_utf8_text_body_becomes_the_event_body():
    # what EmailMessage.set_content gives for accented text: Content-Transfer-Encoding 8bit
    from email.message import EmailMessage

    from streams.taps.mime import message_to_event

    m = EmailMessage()
    m["From"] = "care@shop.example.com"
    m["To"] = "emilie@gmail.com"
    m["Subject"] = "Vérification"
    m["Message-ID"] = "<v1@shop.example.com>"
    m.set_content("Bonjour Émilie, envoyez une copie de votre pièce d'identité.\n")
    assert m["Content-Transfer-Encoding"] == "8bit"
    ev = message_to_event(m.as_bytes(), "care@shop.example.com", ["emilie@gmail.com"])
    assert ev["body"].startswith("Bonjour Émilie, envoyez une copie de votre pièce d'identité.")
    assert ev["subject"] == "Vérification"


# --------------------------------------------------------------------------- Exchange / M365 journal reports
from .journal_report import SYSTEM, original, report  # noqa: E402

REPORT_LINES = ["To: ann@customer.example", "To: bob@customer.example", "Cc: carol@partner.example",
                "Bcc: dave@gmail.com", "To: erin@yahoo.com, Expanded: customers@shop.example"]


def test_a_journal_report_is_the_original_message_with_every_recipient_of_the_report():
    data = report(original(), REPORT_LINES)
    e = _event(data, mail_from=SYSTEM, rcpts=("journal@tap.invalid",))
    # the original's sender and id, not the Exchange system account's report
    assert e["sender"] == "care@shop.example" and e["event_id"] == "blast.1@shop.example"
    assert e["to"] == ["customers@shop.example"]  # what the customers saw in To
    # every recipient the report lists that the headers do not show: Bcc and the list's members
    assert set(e["bcc"]) == {"ann@customer.example", "bob@customer.example", "carol@partner.example",
                             "dave@gmail.com", "erin@yahoo.com"}
    assert "passport" in e["body"] and e["subject"] == "Verify your order"
    assert not e.get("attachments")  # the attached original is the message itself, not an attachment


def test_a_journal_report_keeps_visible_recipients_visible():
    data = report(original(to="ann@customer.example, bob@customer.example"),
                  ["To: ann@customer.example", "To: bob@customer.example", "Bcc: dave@gmail.com"])
    e = _event(data, mail_from=SYSTEM)
    assert e["to"] == ["ann@customer.example", "bob@customer.example"] and e["bcc"] == ["dave@gmail.com"]


def test_a_journal_report_of_a_message_without_message_id_takes_the_reports():
    e = _event(report(original(with_mid=False), REPORT_LINES, mid="abc@exchange.example"), mail_from=SYSTEM)
    assert e["event_id"] == "abc@exchange.example"


def test_a_large_journalled_message_is_read_from_the_raw_bytes():
    """Over the skeleton's threshold: the original is unwrapped from the report's bytes, not
    from the (cut) parsed tree, and its attachment is counted at its real size."""
    big = os.urandom(3 * 1024 * 1024)
    e = _event(report(original(attachment=big), REPORT_LINES), mail_from=SYSTEM)
    assert e["sender"] == "care@shop.example" and len(e["bcc"]) == 5
    (att,) = e["attachments"]
    assert att["filename"] == "form.bin" and att["size"] >= len(big)


def test_a_journal_report_without_the_original_is_a_dead_letter():
    with pytest.raises(MalformedMessage) as exc:
        _event(report(None, REPORT_LINES), mail_from=SYSTEM)
    assert exc.value.reason == "bad_journal_report"
