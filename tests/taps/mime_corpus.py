"""A deterministic corpus of journalled messages (bytes + envelope + options) for
streams.taps.mime.message_to_event: the fixtures of tests/taps and tests/guard, and generated
variations (headers, encodings, MIME shapes, malformed input, large messages). Used by
tests/taps/test_mime_fast_path.py to check that the fast header path gives the events
policy.default gives.

Each case: dict(name, data: bytes, mail_from, rcpts: list, opts: key of OPTIONS, msg: None |
"default" | "compat32" (message_to_event(msg=...) given a message parsed with that policy, as
the ESP taps do)).
"""

from __future__ import annotations

import base64
import hashlib
import os
import random
from email.message import EmailMessage


# ------------------------------------------------------------------------------------ options
def OPTIONS():
    # built lazily against a given mime module (its HeaderRule / MimeOptions classes)
    def make(mod):
        HR, MO = mod.HeaderRule, mod.MimeOptions
        return {
            "default": MO(),
            "body50": MO(body_chars=50),
            "body0": MO(body_chars=0),
            "body1": MO(body_chars=1, max_body_scan=10),
            "scan64": MO(body_chars=4000, max_body_scan=64),
            "internal": MO(internal_domains=("shop.example",)),
            "internal2": MO(internal_domains=("other.example", "example.com")),
            "tpl_subject": MO(template_header="Subject"),
            "tpl_replyto": MO(template_header="Reply-To"),
            "tpl_none": MO(template_header=""),
            "tpl_mailer": MO(template_header="X-Mailer"),
            "tpl_ctype": MO(template_header="Content-Type"),
            "tpl_date": MO(template_header="Date"),
            "tpl_mid": MO(template_header="Message-ID"),
            "rules_mailer": MO(automated_rules=(mod.parse_rule("X-Mailer=campaign 2"),)),
            "rules_none": MO(automated_rules=()),
            "rules_addr": MO(automated_rules=(HR("Reply-To"), HR("From", ("noreply@shop.example",)),
                                              HR("Content-Type", ("multipart/report",)),
                                              HR("To", ("x@y.example",), negate=True))),
            "rules_date": MO(automated_rules=(HR("Date", ("thu, 24 aug 2017 10:00:00 +0000",)),
                                              HR("Subject", ("re: hello",)))),
            "jrnl": MO(journal_local="jrnl"),
        }
    return make


OPTION_KEYS = ["default", "body50", "body0", "body1", "scan64", "internal", "internal2", "tpl_subject",
               "tpl_replyto", "tpl_none", "tpl_mailer", "tpl_ctype", "tpl_date", "tpl_mid", "rules_mailer",
               "rules_none", "rules_addr", "rules_date", "jrnl"]

cases: list[dict] = []


def add(name, data, mail_from="bounces@shop.example", rcpts=("journal@tap.invalid",), opts="default", msg=None):
    if isinstance(data, EmailMessage):
        data = data.as_bytes()
    assert isinstance(data, bytes), name
    cases.append({"name": name, "data": data, "mail_from": mail_from, "rcpts": list(rcpts), "opts": opts,
                  "msg": msg})


def crlf(b: bytes) -> bytes:
    return b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


# ---------------------------------------------------------------------- fixtures of the tests
def tests_mime(rng):
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

    m = _msg(Cc="bo@customer.example, Ann Lee <ANN.LEE@customer.example>")
    m["X-Template-Id"] = "invoice-v3"
    m["In-Reply-To"] = "<q.7@customer.example>"
    m["References"] = "<root.1@customer.example> <q.7@customer.example>"
    m.set_content("Dear Ann,\nyour invoice.\n")
    add("mime.basic", m)
    m = _msg()
    m.set_content("hi")
    for r in (["journal+ann.lee=customer.example@tap.invalid", "journal+hidden=other.example@tap.invalid",
               "journal@tap.invalid"], ["journal@tap.invalid"], ["ann.lee@customer.example", "x@y.example"]):
        add("mime.bcc_env", m, rcpts=r)
    m2 = _msg(Bcc="b2@other.example")
    m2.set_content("hi")
    add("mime.bcc_hdr", m2)
    m = _msg(**{"Message-ID": None, "Date": None})
    m.set_content("hi")
    add("mime.no_mid_date", m)
    bd = _msg(Date="yesterday at noon")
    bd.set_content("x")
    add("mime.bad_date", bd)
    m = _msg(From="a@shop.example, b@shop.example", Sender="ops@shop.example")
    m.set_content("x")
    add("mime.several_from", m)
    m = _msg(From=None)
    m.set_content("x")
    add("mime.no_from", m, mail_from="App@Shop.example")
    add("mime.no_from_null", m, mail_from="")
    add("mime.no_from_none", m, mail_from=None)
    add("mime.no_from_bad_env", m, mail_from="not-an-address")
    for h, v in [("Auto-Submitted", "auto-generated"), ("Precedence", "bulk"),
                 ("List-Unsubscribe", "<mailto:u@shop.example>")]:
        m = _msg(**{h: v})
        m.set_content("x")
        add(f"mime.auto.{h}", m)
    m = _msg(**{"Auto-Submitted": "no", "X-Mailer": "Campaign 2"})
    m.set_content("x")
    for o in ("default", "rules_mailer", "rules_none"):
        add("mime.rules", m, opts=o)
    m = _msg()
    m.set_content("See attached.")
    m.add_alternative("<p>See <b>attached</b>.</p>", subtype="html")
    m.add_attachment(b"\x00" * 12345, maintype="application", subtype="pdf", filename="statement.pdf")
    m.add_attachment("a,b\n1,2\n", subtype="csv", filename="data.csv")
    img = EmailMessage()
    img.set_content(b"\x89PNG" + b"\x01" * 999, maintype="image", subtype="png")
    m.attach(img)
    add("mime.attachments", m)
    m = _msg()
    m.set_content("<html><head><style>.x{}</style></head><body><p>Please send your "
                  "<b>card number</b></p><script>x()</script></body></html>", subtype="html")
    add("mime.html_only", m)
    m = _msg()
    m.set_content("Grüße, " + "z" * 10_000, cte="base64")
    add("mime.b64_body50", m, opts="body50")
    add("mime.b64_body", m)
    m = _msg()
    m.set_content("Caf\u00e9 = fine\n" * 500, cte="quoted-printable")
    add("mime.qp_body50", m, opts="body50")
    add("mime.qp_body0", m, opts="body0")
    add("mime.qp_body", m)
    m = _msg()
    m.set_content("x")
    add("mime.internal", m, opts="internal")
    add("mime.internal2", m, opts="internal2")
    sub = _msg(From="a@eu.shop.example")
    sub.set_content("x")
    add("mime.internal_sub", sub, opts="internal")
    for d in (b"", b"\r\n\r\njust a body\r\n", b"From: <not an address>\r\nTo: a@b.example\r\n\r\nx\r\n",
              b"From: a@shop.example\r\nSubject: nobody\r\n\r\nx\r\n"):
        add("mime.malformed", d, mail_from="", rcpts=[])
    grnd = random.Random(12)
    for _ in range(300):
        data = bytes(grnd.randrange(256) for _ in range(grnd.randrange(1, 400)))
        if grnd.random() < 0.5:
            data = b"From: a@shop.example\r\nTo: b@c.example\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n" + data
        add("mime.garbage", data, mail_from="s@shop.example")
    # the big message (skeleton)
    m = _msg()
    m["X-Template-Id"] = "t-9"
    m.set_content("Dear customer,\n" + "line of text\n" * 50_000)
    m.add_alternative("<p>html</p>" * 10, subtype="html")
    m.add_attachment(rng.randbytes(1_500_000), maintype="application", subtype="octet-stream", filename="a.bin")
    inner = EmailMessage()
    inner["From"] = "x@y.example"
    inner["Subject"] = "fwd"
    inner.set_content("forwarded")
    m.add_attachment(inner, filename="fwd.eml")
    m.add_attachment("q" * 900_000 + "\n", subtype="plain", filename="log.txt", cte="quoted-printable")
    big = m.as_bytes()
    add("mime.big", big, mail_from="s@shop.example", rcpts=["journal+ann.lee=customer.example@tap.invalid"])
    add("mime.big_crlf", crlf(big), mail_from="s@shop.example", rcpts=["journal+ann.lee=customer.example@tap.invalid"])
    add("mime.big_msg_default", big, mail_from="s@shop.example",
        rcpts=["journal+ann.lee=customer.example@tap.invalid"], msg="default")
    # size header in the mail is not trusted
    m = _msg()
    m.set_content("x")
    att = EmailMessage()
    att.set_content(b"abc", maintype="application", subtype="zip")
    att["X-Mailflow-Tap-Size-000000000000"] = "999999"
    att.add_header("Content-Disposition", "attachment", filename="z.zip")
    m.make_mixed()
    m.attach(att)
    add("mime.size_header", m)
    m = EmailMessage()
    m["From"] = "care@shop.example.com"
    m["To"] = "emilie@gmail.com"
    m["Subject"] = "Vérification"
    m["Message-ID"] = "<v1@shop.example.com>"
    m.set_content("Bonjour Émilie, envoyez une copie de votre pièce d'identité.\n")
    add("mime.8bit", m, mail_from="care@shop.example.com", rcpts=["emilie@gmail.com"])


def journal_reports(rng):
    from . import journal_report as jr

    lines = ["To: ann@customer.example", "To: bob@customer.example", "Cc: carol@partner.example",
             "Bcc: dave@gmail.com", "To: erin@yahoo.com, Expanded: customers@shop.example"]
    add("jr.basic", jr.report(jr.original(), lines), mail_from=jr.SYSTEM)
    add("jr.visible", jr.report(jr.original(to="ann@customer.example, bob@customer.example"),
                                ["To: ann@customer.example", "To: bob@customer.example", "Bcc: dave@gmail.com"]),
        mail_from=jr.SYSTEM)
    add("jr.nomid", jr.report(jr.original(with_mid=False), lines, mid="abc@exchange.example"), mail_from=jr.SYSTEM)
    add("jr.big", jr.report(jr.original(attachment=rng.randbytes(3 * 1024 * 1024)), lines), mail_from=jr.SYSTEM)
    add("jr.none", jr.report(None, lines), mail_from=jr.SYSTEM)
    variants = [
        ["Recipient: a@x.example", "Recipient: journal@tap.invalid"],
        ["To: Ann Lee <ann@customer.example>, Forwarded: fw@x.example"],
        ["TO : ann@customer.example", "cc:bob@customer.example", "On-Behalf-Of: boss@shop.example"],
        [], ["Bcc: not an address", "Bcc: =?utf-8?q?J=C3=B6rg?= <j@x.example>"],
        ["To: a@x.example, OriginalRecipient: b@y.example"],
    ]
    for i, v in enumerate(variants):
        add(f"jr.var{i}", jr.report(jr.original(f"v{i}@shop.example", cc="cc@partner.example"), v), mail_from=jr.SYSTEM)
        add(f"jr.var{i}.nomid", jr.report(jr.original(with_mid=False), v, mid=f"x{i}@ex.example"), mail_from="")
    for o in ("internal", "internal2", "body0", "jrnl", "rules_addr"):
        add("jr.opts", jr.report(jr.original(), lines), mail_from=jr.SYSTEM, opts=o)
    # handmade reports: base64 original, broken base64, empty original, nested report, qp text, no boundary
    orig = jr.original("b64@shop.example").as_bytes()
    for label, cte, body in [("b64", "base64", base64.encodebytes(orig)), ("b64bad", "base64", b"!!!*\n"),
                             ("empty", "7bit", b"\r\n"), ("plain", "7bit", orig), ("8bit", "8bit", orig),
                             ("b64_upper", " BASE64 ", base64.encodebytes(orig))]:
        data = (b"From: Microsoft Exchange <sys@shop.example>\r\nTo: journal@tap.invalid\r\n"
                b"X-MS-Journal-Report: \r\nMIME-Version: 1.0\r\n"
                b"Content-Type: multipart/mixed; boundary=\"BND\"\r\n\r\npreamble\r\n--BND\r\n"
                b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                b"Sender: care@shop.example\r\nMessage-Id: <rep@x.example>\r\nTo: a=40x.example@x\r\n"
                b"To: ann@customer.example\r\nBcc: =C3=A9l=C3=A8ve@ecole.example\r\n--BND\r\n"
                b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: " + cte.encode() + b"\r\n\r\n"
                + body + b"\r\n--BND--\r\nepilogue\r\n")
        add(f"jr.hand.{label}", data, mail_from="sys@shop.example")
    nested = jr.report(jr.original(), lines)
    outer = (b"From: sys@shop.example\r\nTo: journal@tap.invalid\r\nX-MS-Journal-Report:\r\n"
             b"Content-Type: multipart/mixed; boundary=ZZ\r\n\r\n--ZZ\r\nContent-Type: text/plain\r\n\r\n"
             b"Sender: a@b.example\r\n--ZZ\r\nContent-Type: message/rfc822\r\n\r\n" + nested + b"\r\n--ZZ--\r\n")
    add("jr.nested", outer, mail_from="sys@shop.example")
    add("jr.noboundary", b"From: sys@shop.example\r\nTo: journal@tap.invalid\r\nX-MS-Journal-Report: x\r\n\r\nhello\r\n",
        mail_from="sys@shop.example")
    add("jr.text_charset", jr.report(jr.original(), lines).replace(b"charset=\"utf-8\"", b"charset=\"x-bogus\""),
        mail_from="sys@shop.example")
    add("jr.orig_no_headers", outer.replace(nested, b"\r\n\r\njust body"), mail_from="sys@shop.example")
    add("jr.hdr_ew", jr.report(jr.original(), lines).replace(b"X-MS-Journal-Report:", b"X-MS-Journal-Report: =?utf-8?q?x?="),
        mail_from="sys@shop.example")


def smtp_tap_and_guard(rng):
    def _message(mid, *, to=("ann.lee@customer-one.example",), cc=(), subject="Your invoice", template="invoice-v3",
                 body="Dear customer,\nyour invoice is attached.\n", attach=True,
                 sender="Billing <billing@shop.example>", headers=None):
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

    add("smtp.m0", _message("m0.r@shop.example", cc=("bo@customer-two.example",)),
        rcpts=["journal+ann.lee=customer-one.example@tap.invalid", "journal+bo=customer-two.example@tap.invalid",
               "journal+secret.bcc=customer-three.example@tap.invalid"])
    add("smtp.m1", _message("m1.r@shop.example", template=None, attach=False,
                            headers={"Auto-Submitted": "auto-generated", "In-Reply-To": "<orig.1@customer-one.example>"}),
        rcpts=["journal+ann.lee=customer-one.example@tap.invalid"])
    m2 = EmailMessage()
    m2["From"] = "jane.doe@shop.example"
    m2["To"] = "carl@customer-four.example"
    m2["Subject"] = "Hello"
    m2["Message-ID"] = "<m2.r@shop.example>"
    m2.set_content("<html><body><p>Please confirm your <b>account</b> here</p></body></html>", subtype="html")
    add("smtp.m2", m2, rcpts=["journal+carl=customer-four.example@tap.invalid"])
    add("smtp.bad", b"From: \"Billing\" <not an address>\r\nTo: ann@customer.example\r\nSubject: broken r\r\n"
                    b"Message-ID: <bad.r@shop.example>\r\n\r\nbody\r\n", mail_from="", rcpts=["ann@customer.example"])
    m = _message("huge@shop.example", attach=False, body=("x" * 70 + "\n") * 3000)
    add("smtp.huge", m.as_bytes(policy=m.policy.clone(linesep="\r\n")), mail_from="billing@shop.example",
        rcpts=["journal+ann=customer.example@tap.invalid"])
    m = _message("big.r@shop.example", attach=False)
    m.add_attachment(rng.randbytes(3_500_000), maintype="application", subtype="octet-stream", filename="scan.tif")
    add("smtp.big", m)

    DOMAIN = "shop.example.com"

    def blast_message(sender, i, tag):
        m = EmailMessage()
        m["From"] = f"Customer Care <{sender}>"
        m["To"] = ", ".join(f"{tag}-v{i}-{k}@gmail.com" for k in range(5))
        m["Subject"] = "Verify your account"
        m["Message-ID"] = f"<blast-{tag}-{i}@{DOMAIN}>"
        m["Date"] = "Wed, 02 Dec 2026 02:00:00 +0000"
        m["Auto-Submitted"] = "auto-generated"
        m["X-Template-Id"] = "verify-id"
        m.set_content("Dear customer,\nplease reply with a photo of your passport or ID card so we can verify "
                      "your account.\nCustomer Care\n")
        return m

    def order_message(sender, i, tag):
        m = EmailMessage()
        m["From"] = f"Shop Orders <{sender}>"
        m["To"] = f"{tag}-buyer{i}@gmail.com"
        m["Subject"] = f"Your order #{100000 + i} is confirmed"
        m["Message-ID"] = f"<order-{tag}-{i}@{DOMAIN}>"
        m["Date"] = "Wed, 02 Dec 2026 02:00:00 +0000"
        m["Auto-Submitted"] = "auto-generated"
        m["X-Template-Id"] = "order-confirmation"
        m.set_content(f"Thank you for your order #{100000 + i}.\nTotal: {20 + i % 7}.90 EUR. "
                      "We will let you know when it ships.\n")
        return m

    for i in range(6):
        b = blast_message(f"care-ab12@{DOMAIN}", i, "ab12")
        add("guard.blast", b, mail_from=f"care-ab12@{DOMAIN}", rcpts=[f"journal+ab12-v{i}-0=gmail.com@tap.invalid"])
        add("guard.blast.crlf", b.as_bytes(policy=b.policy.clone(linesep="\r\n")), mail_from="bounces@mailer.example",
            rcpts=[f"ab12-v{i}-{k}@gmail.com" for k in range(5)], opts="internal2")
    for i in range(28):
        add("guard.order", order_message(f"orders-ab12@{DOMAIN}", i, "ab12"), mail_from=f"orders-ab12@{DOMAIN}",
            rcpts=[f"journal+ab12-buyer{i}=gmail.com@tap.invalid"])

    # /tmp/tapprof.py and bench/tap_smtp.py messages
    def message(i, run=None):
        m = EmailMessage()
        m["From"] = f"Shop {i % 7} <orders{i % 7}@shop.example>"
        m["To"] = f"customer{i}@customers.example"
        m["Subject"] = f"Your order {i} has shipped"
        m["Message-ID"] = f"<b{i}@shop.example>" if run is None else f"<b{i}.{run}@shop.example>"
        m["X-Template-Id"] = "shipped-v2"
        if run is None:
            m["Received"] = ("from localhost (localhost [127.0.0.1]) by mta.example (Postfix) with ESMTP id 4XyZ; "
                             "Thu, 24 Aug 2017 10:00:00 +0000")
            m["Date"] = "Thu, 24 Aug 2017 10:00:00 +0000"
        m.set_content(f"Dear customer,\nyour order {i} is on its way.\n" + "Details line.\n" * 20)
        return m

    for i in range(0, 200, 3):
        add("prof", message(i), mail_from="orders@shop.example", rcpts=["journal+c=x.example@tap.invalid"])
        m = message(i, "r1")
        add("bench", m.as_bytes(policy=m.policy.clone(linesep="\r\n")), mail_from="orders@shop.example",
            rcpts=[f"journal+customer{i}=customers.example@tap.invalid"])

    # tests/guard/test_milter.py shapes
    for kind in ["plain", "qp", "base64", "utf8-subject", "reply", "multipart", "8bit"]:
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
        accented = kind in ("qp", "base64", "8bit")
        text = ("Bonjour,\nmerci d'envoyer une photo de votre pi\u00e8ce d'identit\u00e9.\n" if accented else
                "Hello,\nplease send a photo of your passport.\n") + "ligne\n" * 5
        cte = {"qp": "quoted-printable", "base64": "base64"}.get(kind)
        m.set_content(text, cte=cte) if cte else m.set_content(text)
        if kind == "multipart":
            m.add_alternative("<p>hello</p>", subtype="html")
        add(f"milter.{kind}", m.as_bytes(), mail_from="bounce@shop.example.com",
            rcpts=["ann@gmail.com", "bob@yahoo.com", "carl@orange.fr", "hidden@gmail.com"], opts="internal2")
    folded = b"From: a@shop.example.com\r\nTo: b@gmail.com\r\nSubject: a folded\r\n  subject line\r\n\r\nx\r\n"
    add("milter.folded", folded, mail_from="a@shop.example.com", rcpts=["b@gmail.com"])


# ------------------------------------------------------------------------ generated variations
FROMS = [
    "Shop <orders@shop.example>", "orders@shop.example", '"Doe, John" <john.doe@shop.example>',
    "=?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@shop.example>", "=?iso-8859-1?q?Andr=E9?= <andre@shop.example>",
    '"=?utf-8?b?w4lsaXNl?=" <elise@shop.example>', "=?utf-8?b?w4lsaXNlLCBEdXBvbnQ=?= <elise@shop.example>",
    "=?koi8-r?b?8NLJ18XU?= <privet@shop.example>",
    "a@shop.example, b@shop.example", "<not an address>", "Billing", "", "undisclosed-recipients:;",
    "team: a@shop.example, b@shop.example;", "a@shop.example (Ann)", "Ann <ann@[192.168.0.1]>",
    '"john doe"@shop.example', "john..doe@shop.example", "ann.lee@shop", "x@y@z.example",
    "Dr. Who <who@tardis.example>", "ann<ann@shop.example>", "<ann@shop.example>", "ANN@SHOP.EXAMPLE",
    "Ann <ann@shop.example", "Ann ann@shop.example>", "=?utf-8?q?Ann=0D=0ABcc=3A?= <ann@shop.example>",
    "Ann\t<ann@shop.example>", "Ann (comment) <ann@shop.example>", "ann@shop.example,", ", ann@shop.example",
    "ann@shop.example;bob@shop.example", "Jörg <j@shop.example>", "jörg@shop.example",
    "=?utf-8?q?a?= <x@shop.example>, =?utf-8?q?b,c?= <z@shop.example>", '"unbalanced <a@shop.example>',
    "a@shop.example <c@shop.example>", "(unbalanced a@shop.example", "a\\@b@shop.example",
    "ann@xn--bcher-kva.example", "ann@bücher.example", "O'Brien <o'brien@shop.example>",
    "Shop Orders  <orders+tag@shop.example>", "  orders@shop.example  ", "orders@shop.example.",
    "<orders@shop.example> Orders", "Orders <orders@shop.example> (the shop)", '"Orders\\" x" <o@shop.example>',
    "=?utf-8?q?Orders?=<orders@shop.example>", "=?utf-8?Q?=E2=9C=93_Shop?= <check@shop.example>",
    "=?bogus-cs?q?Shop?= <b@shop.example>", "=?utf-8?b?!!?= <b@shop.example>", "Ann <ANN.Lee@Shop.Example>",
    "mailer-daemon@shop.example (Mail Delivery System)", "<>", "Ann <>", "@shop.example", "ann@",
    "ann @ shop.example", "ann@shop .example", "=?utf-8?q?x?=@shop.example", "a b <a.b@shop.example>",
    "\"\" <empty@shop.example>", "Ann <ann@shop.example>, ", "Ann <<ann@shop.example>>",
    "ann@shop.example\x00", "ann@shop.example, ann@shop.example", "x" * 400 + "@shop.example",
    "Ann <" + "a" * 300 + "@shop.example>", "Ann: ;", "a.@shop.example", ".a@shop.example",
    "Ann <@route.example:ann@shop.example>", "ann@-shop.example", "ann@shop_example.com",
]

TOS = [
    "customer@customers.example", "Ann Lee <ann.lee@customer.example>", "a@x.example, b@y.example, A@X.example",
    '"Lee, Ann" <ann@x.example>, "Bo, B" <bo@y.example>', "undisclosed-recipients:;", "", "not an address",
    "friends: a@x.example, b@y.example;, c@z.example", "=?utf-8?q?Ren=C3=A9?= <rene@x.example>",
    "a@x.example (comment), b@y.example", "<a@x.example>", "a@x.example b@y.example", "a@x.example;b@y.example",
    "Ann <ann@x.example", "ann@x.example,,bob@y.example", "\"quoted,comma\"@x.example",
    "Ann <ann@x.example>\r\n\t,\r\n Bob <bob@y.example>", "=?utf-8?b?5byg5LiJ?= <zhang@x.example>",
    "ann@x.example, =?koi8-r?q?=F0=D2=C9?= <p@y.example>", "René <rene@x.example>",
    ", ".join(f"user{k}@bulk.example" for k in range(40)),
]

SUBJECTS = [
    "Your invoice", "", "   ", "Re: Hello", "=?utf-8?b?VsOpcmlmaWNhdGlvbiBkZSB2b3RyZSBjb21wdGU=?=",
    "=?utf-8?q?V=C3=A9rification_de_votre_compte?=", "=?iso-8859-1?q?Caf=E9?= ok",
    "=?koi8-r?b?8NLJ18XU?=", "=?koi8-r?q?=F0=D2=C9=D7=C5=D4_=CD=C9=D2?=", "=?windows-1252?q?=93quoted=94?=",
    "=?utf-8?q?a?= =?utf-8?q?b?=", "=?utf-8?q?a?=  =?utf-8?q?b?=", "=?utf-8?q?a?=\t=?utf-8?q?b?= c",
    "x =?utf-8?q?a?= y", "Re: =?utf-8?q?Gr=C3=BC=C3=9Fe?=", "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=", "=?utf-8?B?R3LDvMOfZQ==?=",
    "=?x-unknown?q?abc?=", "=?utf-8?b?!!!?=", "=?utf-8?q?=FF?=", "abc=?utf-8?q?x?=def", "=?utf-8?q?x?=def",
    "abc =?utf-8?q?x?=def", "=?utf-8*en?q?x?=", "=?utf-8?q?a_b?=", "what =? is this", "a ?= b =? c",
    "=?utf-8?q?unterminated", "=?utf-8?x?abc?=", "=?utf-8?q??=", "=?utf-8?b?YQ?=", "=?utf-8?b?YWJj=?=",
    "Subject\twith\ttabs", "  leading and trailing  ", "Vérification 8bit", "Caf\xe9 latin1",
    "A very long subject line " * 8, "=?utf-8?q?" + "A" * 70 + "?= =?utf-8?q?" + "B" * 70 + "?=",
    "=?utf-8?q?=E2=9C=93?= done", "=?utf-8?q?x=0D=0Ay?=", "=?utf-8?q?=C3?= =?utf-8?q?=A9?=",
    "=?us-ascii?q?plain?=", "=?utf-16?b?AGEAYg==?=", "=?iso-2022-jp?b?GyRCJEckORsoQg==?=", "tab\x0bvt",
    "=?utf-8?q?a?==?utf-8?q?b?=", "(=?utf-8?q?a?=)", "\"=?utf-8?q?a?=\"", "=?utf-8?Q?=E2=82=AC?= 100",
    "=?utf-8?q?=3D=3F?=", "=?gb2312?b?xOO6ww==?=", "=?utf-8?b?8J+Ygw==?= emoji", "ctl\x01char",
    "=?utf-7?q?+2D3dgw-?=", "=?utf-8?q?=ED=A0=80?=", "=?latin-1?q?=E9t=E9?=",
]

DATES = [
    "Thu, 24 Aug 2017 10:00:00 +0000", "Thu, 24 Aug 2017 12:00:00 +0200", "Thu, 24 Aug 2017 10:00:00 -0000",
    "24 Aug 2017 10:00:00", "yesterday at noon", "", "Mon, 1 Jan 1960 00:00:00 +0000",
    "Fri, 1 Jan 2150 00:00:00 +0000", "Thu, 24 Aug 2017 10:00:00 +2500", "24 Aug 2017 10:00 GMT",
    "Thu, 31 Feb 2017 10:00:00 +0000", "Mon, 1 Jan 99999 00:00:00 +0000", "Thu, 24 Aug 2017 10:00:00 +0000 (UTC)",
    "Thu, 24 Aug 17 10:00:00 EST", "Thu, 24 Aug 2017 25:61:61 +0000", "1503568800", "Thu, 1 Jan 1970 00:00:00 +0000",
    "Thu, 1 Jan 1970 00:00:01 +0000", "Sat, 1 Jan 2100 00:00:00 +0000", "Fri, 31 Dec 2099 23:59:59 +0000",
    "Thu,\r\n 24 Aug 2017 10:00:00 +0000", "Thu, 24 Aug 2017 10:00:00 +0000\xe9", "Thu 24 Aug 2017 10:00:00 +0000",
    "24-Aug-2017 10:00:00 +0000", "2017-08-24T10:00:00Z", "Thu, 24 Aug 2017 10:00:00.5 +0000",
    "Thu, 24 Aug 2017 10:00:00 +0000, Fri, 25 Aug 2017", "Thu, 24 Aug 2017 10:00 +0530", "=?utf-8?q?x?=",
]

MIDS = [
    "<a.1@shop.example>", "a.2@shop.example", "<a b@shop.example>", "", "<>", "<a@[1.2.3.4]>",
    "<a@shop.example> (comment)", "<a@shop.example> junk", " <a@shop.example>", "<<a@shop.example>>",
    "<" + "x" * 2000 + "@shop.example>", "<a@b.example><c@d.example>", "=?utf-8?q?x?=", "<é@shop.example>",
    "<a@shop.example", "a@shop.example>", "<a..b@shop.example>", "<\"quoted\"@shop.example>", "<a@b>",
    "<a@shop.example>\r\n (folded comment)", "plain-id", "<a@shop.example> <b@shop.example>", "   ",
    "<CAF=+x-_y@mail.gmail.com>", "<20170824100000.ABC123@mta.example>", "<a@shop.example>\t",
]

REFS = ["<q.7@customer.example>", "<root.1@customer.example> <q.7@customer.example>", "garbage", "", "   ",
        "=?utf-8?q?x?=", "<a@b.example>\r\n <c@d.example>", "q.7@customer.example", "<>", "<a b>", "<é@x.example>",
        "(comment) <a@b.example>", "<" + "r" * 1500 + ">", "<a@b.example>,<c@d.example>"]

TEMPLATES = ["shipped-v2", "invoice-v3", "", "  ", "=?utf-8?q?mod=C3=A8le?=", "t" * 1500, "vérif-8bit",
             "a\r\n b", "=?utf-8?b?dGVtcGxhdGU=?=", "x; y=z"]

AUTOS = [("Auto-Submitted", "auto-generated"), ("Auto-Submitted", "no"), ("Auto-Submitted", "No "),
         ("Auto-Submitted", "auto-replied; foo=bar"), ("Auto-Submitted", ""), ("Auto-Submitted", "=?utf-8?q?no?="),
         ("Auto-Submitted", "NO; x=y"), ("Precedence", "bulk"), ("Precedence", "list"), ("Precedence", "Junk"),
         ("Precedence", "first-class"), ("Precedence", "=?utf-8?q?bulk?="), ("List-Unsubscribe", "<mailto:u@x.example>"),
         ("List-Unsubscribe", ""), ("X-Auto-Response-Suppress", "All"), ("X-Mailer", "Campaign 2"),
         ("X-Mailer", "campaign 2; v=1"), ("Reply-To", "noreply@shop.example"), ("X-Mailer", "Outlook")]


def gen_body_part(rng, kind):
    """A leaf text body (EmailMessage) of the given kind."""
    texts = ["Dear customer,\nyour order is on its way.\n" + "Details line.\n" * rng.randrange(1, 30),
             "Bonjour Émilie, envoyez une copie de votre pièce d'identité.\n" * rng.randrange(1, 5),
             "Привет, мир\n" * rng.randrange(1, 20), "short", "   \n  \n", "",
             "Line with = sign and trailing spaces   \n" * 30, "x" * 5000 + "\n", "\u2603 snow " * 300]
    text = rng.choice(texts)
    m = EmailMessage()
    if kind == "html":
        html = ("<html><head><title>T</title><style>p{}</style></head><body><p>Hello&nbsp;<b>" + text +
                "</b></p><script>x()</script><div>more</div><br>end</body></html>")
        cte = rng.choice([None, "base64", "quoted-printable", "8bit"])
        try:
            m.set_content(html, subtype="html", cte=cte) if cte else m.set_content(html, subtype="html")
        except ValueError:
            m.set_content(html, subtype="html")
    else:
        cte = rng.choice([None, None, "base64", "quoted-printable", "8bit", "7bit"])
        charset = rng.choice(["utf-8", "utf-8", "iso-8859-1", "koi8-r"])
        try:
            if cte:
                m.set_content(text, cte=cte, charset=charset)
            else:
                m.set_content(text, charset=charset)
        except (ValueError, UnicodeError, LookupError):
            m.set_content(text)
    return m


def attachment(rng):
    m = EmailMessage()
    kind = rng.randrange(9)
    names = ["statement.pdf", "Résumé été.pdf", "данные.csv", "a b  c.txt", "long" * 40 + ".bin", "x;y.zip",
             'q"uote.txt', "=?utf-8?q?x?=.txt", "report.PDF"]
    fname = rng.choice(names)
    payload = rng.randbytes(rng.randrange(0, 5000))
    if kind == 0:
        m.set_content(payload, maintype="application", subtype="pdf", filename=fname)
    elif kind == 1:
        m.set_content(payload, maintype="image", subtype="png")  # no name
    elif kind == 2:
        m.set_content("BEGIN:VCALENDAR\nEND:VCALENDAR\n", subtype="calendar")
    elif kind == 3:
        m.set_content("a,b\n1,2\n" * rng.randrange(1, 50), subtype="csv", filename=fname,
                      cte=rng.choice(["quoted-printable", "base64", "7bit"]))
    elif kind == 4:
        inner = EmailMessage()
        inner["From"] = "x@y.example"
        inner["Subject"] = "fwd"
        inner.set_content("forwarded " * rng.randrange(1, 100))
        if rng.random() < 0.5:
            inner.add_attachment(payload, maintype="application", subtype="octet-stream", filename="in.bin")
        m.set_content(inner)
    elif kind == 5:
        m.set_content(payload, maintype="application", subtype="octet-stream", disposition="inline", filename=fname)
    elif kind == 6:
        m.set_content(payload, maintype="application", subtype="zip", filename=fname, cte="base64")
    elif kind == 7:
        m.set_content("plain text attachment\n", disposition="attachment")
    else:
        m.set_content(payload, maintype="application", subtype="x-thing", filename=fname)
    return m


def gen_structured(rng, i):
    """An EmailMessage with random headers and MIME shape."""
    m = EmailMessage()
    hdrs = []
    if rng.random() < 0.93:
        hdrs.append(("From", rng.choice(FROMS) if rng.random() < 0.6 else rng.choice(FROMS[:8])))
    if rng.random() < 0.15:
        hdrs.append(("Sender", rng.choice(FROMS)))
    if rng.random() < 0.9:
        hdrs.append(("To", rng.choice(TOS)))
    if rng.random() < 0.3:
        hdrs.append(("Cc", rng.choice(TOS)))
    if rng.random() < 0.1:
        hdrs.append(("Bcc", rng.choice(TOS)))
    if rng.random() < 0.05:
        hdrs.append(("To", rng.choice(TOS)))  # duplicate
    if rng.random() < 0.9:
        hdrs.append(("Subject", rng.choice(SUBJECTS)))
    if rng.random() < 0.05:
        hdrs.append(("Subject", rng.choice(SUBJECTS)))
    if rng.random() < 0.85:
        hdrs.append(("Message-ID", rng.choice(MIDS) if rng.random() < 0.4 else f"<gen.{i}@shop.example>"))
    if rng.random() < 0.85:
        hdrs.append(("Date", rng.choice(DATES)))
    if rng.random() < 0.05:
        hdrs.append(("Date", rng.choice(DATES)))
    if rng.random() < 0.3:
        hdrs.append(("In-Reply-To", rng.choice(REFS)))
    if rng.random() < 0.3:
        hdrs.append(("References", rng.choice(REFS)))
    if rng.random() < 0.5:
        hdrs.append(("X-Template-Id", rng.choice(TEMPLATES)))
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        hdrs.append(rng.choice(AUTOS))
    if rng.random() < 0.3:
        hdrs.append(("Received", "from mx.example (mx.example [10.0.0.1])\r\n\tby mta.example (Postfix) with ESMTPS id "
                                 f"ABC{i}\r\n\tfor <ann@x.example>; Thu, 24 Aug 2017 10:00:00 +0000"))
    if rng.random() < 0.2:
        hdrs.append(("X-Mailer", rng.choice(["Campaign 2", "Outlook 16.0", "=?utf-8?q?M=C3=A9l?="])))
    shape = rng.choice(["plain", "plain", "plain", "html", "alt", "alt", "mixed", "mixed", "nested", "related",
                        "digest", "rfc822_only"])
    if shape in ("plain", "html"):
        m = gen_body_part(rng, shape)
    elif shape == "alt":
        m.set_content(gen_body_part(rng, "plain").get_content())
        m.add_alternative("<p>" + "html body " * rng.randrange(1, 20) + "</p>", subtype="html")
    elif shape == "mixed":
        if rng.random() < 0.8:
            m.set_content(gen_body_part(rng, rng.choice(["plain", "html"])).get_content(),
                          subtype=rng.choice(["plain", "html"]))
        for _ in range(rng.randrange(1, 4)):
            a = attachment(rng)
            if not m.is_multipart():
                m.make_mixed()
            m.attach(a)
    elif shape == "nested":
        m.set_content("outer text")
        m.add_alternative("<p>outer html</p>", subtype="html")
        m.make_mixed()
        for _ in range(rng.randrange(1, 3)):
            m.attach(attachment(rng))
        inner = EmailMessage()
        inner.set_content("inner text " * 3)
        inner.add_alternative("<b>inner</b>", subtype="html")
        inner.make_mixed()
        inner.attach(attachment(rng))
        m.attach(inner)
    elif shape == "related":
        m.set_content("<p>see <img src='cid:x'></p>", subtype="html")
        m.add_related(rng.randbytes(300), maintype="image", subtype="gif", cid="<x>")
        if rng.random() < 0.5:
            m.add_attachment(rng.randbytes(100), maintype="application", subtype="pdf", filename="a.pdf")
    elif shape == "digest":
        m.make_mixed()
        m.replace_header("Content-Type", "multipart/digest; boundary=\"DIG\"") if "Content-Type" in m else None
        parts = []
        for k in range(2):
            inner = EmailMessage()
            inner["From"] = f"d{k}@x.example"
            inner["Subject"] = f"digest {k}"
            inner.set_content(f"digest body {k}")
            parts.append(inner.as_bytes())
        raw_hdr = b"".join(f"{k}: {v}\n".encode("utf-8", "surrogateescape") for k, v in hdrs)
        data = (raw_hdr + b"MIME-Version: 1.0\nContent-Type: multipart/digest; boundary=\"DIG\"\n\n--DIG\n\n"
                + parts[0] + b"\n--DIG\n\n" + parts[1] + b"\n--DIG--\n")
        return data
    else:  # rfc822_only
        inner = EmailMessage()
        inner["From"] = "x@y.example"
        inner["Subject"] = "attached"
        inner.set_content("attached message body")
        m.set_content(inner)
    # headers first, as raw bytes (possibly 8-bit, possibly folded), then the MIME part serialised
    body = m.as_bytes()
    raw_hdr = b""
    for k, v in hdrs:
        if rng.random() < 0.05:
            k = k.upper() if rng.random() < 0.5 else k.lower()
        enc = "latin-1" if ("\xe9" in v and "Caf" in v) else "utf-8"
        raw_hdr += k.encode() + b": " + v.encode(enc, "surrogateescape") + b"\n"
    return raw_hdr + body


def handmade(rng):
    """Raw messages with malformed MIME, odd parameters, encodings the generator does not write."""
    H = (b"From: Shop <orders@shop.example>\nTo: ann@x.example\nSubject: hand\nMessage-ID: <hand.%d@shop.example>\n"
         b"Date: Thu, 24 Aug 2017 10:00:00 +0000\n")
    ctypes = [
        b"text/plain", b"text/plain; charset=utf-8", b'TEXT/PLAIN; CHARSET="UTF-8"', b"text/plain; charset=x-bogus",
        b"text/plain (comment); charset=utf-8", b"text", b"text/plain/x", b"garbage", b"", b"text/html",
        b"text/plain; charset*=us-ascii''utf-8", b"text/plain; charset=\"utf-8\"; charset=latin-1",
        b"text/plain; CHARSET=koi8-r; charset=utf-8", b"text/plain;\n charset=utf-8", b"text/plain ;charset = utf-8",
        b"text/plain; charset='utf-8'", b"text/plain; charset=\"\"", b"text/plain; charset=\"utf\\-8\"",
        b"=?utf-8?q?text/html?=", b"text/plain; charset=utf-8; format=flowed; delsp=yes", b"text/plain;",
        b"text/plain; charset", b"text/plain; =utf-8", b"text/plain; charset=\"utf-8", b"text / plain",
        b"application/octet-stream", b"image/png", b"text/enriched", b"text/calendar; method=REQUEST",
        b"text/plain; name=\"a.txt\"", b"text/plain; charset=iso-8859-1", b"text/plain; charset=\xe9",
        b"text/plain; charset=\"utf-8\" (c)", b"message/rfc822", b"multipart/mixed", b"text/html; charset=utf-16",
    ]
    bodies = [(b"", b"Dear customer, h\xc3\xa9llo\n"), (b"Content-Transfer-Encoding: base64\n", b"RGVhciBjdXN0b21lcg==\n"),
              (b"Content-Transfer-Encoding: quoted-printable\n", b"Caf=C3=A9 =3D fine=\nsoft\n"),
              (b"Content-Transfer-Encoding: 8bit\n", b"Caf\xe9 latin1 body\n"),
              (b"Content-Transfer-Encoding: BASE64 \n", b"RGVhciBj\ndXN0b21lcg\n=\n"),
              (b"Content-Transfer-Encoding: x-uuencode\n", b"begin 644 x\n`\nend\n"),
              (b"Content-Transfer-Encoding: base64\n", b"!!!not base64!!!\n"),
              (b"Content-Transfer-Encoding: quoted-printable\n", b"=E9=\n=ZZ bad =\n"),
              (b"Content-Transfer-Encoding: 7bit (comment)\n", b"body\n"),
              (b"Content-Transfer-Encoding: =?utf-8?q?base64?=\n", b"RGVhcg==\n"),
              (b"Content-Transfer-Encoding:\n", b"empty cte\n")]
    n = 0
    for ct in ctypes:
        for cte, body in bodies:
            if rng.random() < 0.5:
                continue
            n += 1
            data = H % n + (b"Content-Type: " + ct + b"\n" if ct or rng.random() < 0.5 else b"") + cte + b"\n" + body
            add("hand.ctype", data)
    # multipart shapes
    parts_ct = [b'multipart/mixed; boundary="B1"', b"multipart/mixed; boundary=B1", b"multipart/mixed; boundary=\"B1\" ",
                b"multipart/mixed;\n\tboundary=\"B1\"", b"multipart/mixed; boundary*=''B1", b"multipart/mixed; BOUNDARY=B1",
                b"multipart/mixed; boundary=\"B1\"; boundary=\"B2\"", b"multipart/mixed", b"multipart/alternative; boundary=B1",
                b"multipart/mixed; boundary=\"=?utf-8?q?B1?=\"", b"multipart/mixed; boundary=----=_Part_1",
                b"multipart/related; type=\"text/html\"; boundary=\"B1\"", b"Multipart/Mixed; boundary=\"B1\"",
                b"multipart/mixed; boundary=\"B 1\"", b"multipart/mixed; boundary*0=B; boundary*1=1",
                b"multipart/report; report-type=delivery-status; boundary=\"B1\"", b"multipart/mixed; boundary=\"B1\" (c)",
                b"multipart/mixed; boundary=\"B\\1\""]
    inner_parts = [
        b"Content-Type: text/plain; charset=utf-8\n\nfirst text part\n",
        b"Content-Type: text/html\n\n<p>html <b>part</b></p>\n",
        b"\nno headers part\n",
        b"Content-Type: application/pdf; name=\"a.pdf\"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n",
        b"Content-Type: application/pdf\nContent-Disposition: attachment; filename*=utf-8''%C3%A9t%C3%A9.pdf\n"
        b"Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n",
        b"Content-Type: application/pdf\nContent-Disposition: attachment; filename*0=\"long\"; filename*1=\"name.pdf\"\n\nxx\n",
        b"Content-Type: application/pdf\nContent-Disposition: attachment; filename=\"=?utf-8?b?w6l0w6kucGRm?=\"\n\nxx\n",
        b"Content-Type: application/pdf; name=\"=?iso-8859-1?q?r=E9sum=E9=2Epdf?=\"\n\nxx\n",
        b"Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=plain.bin\n\nxx\n",
        b"Content-Type: application/octet-stream\nContent-Disposition: ATTACHMENT\n\nxx\n",
        b"Content-Type: text/plain\nContent-Disposition: attachment; filename=\" spaced .txt \"\n\ntext att\n",
        b"Content-Type: text/plain\nContent-Disposition: inline\n\ninline text\n",
        b"Content-Type: image/jpeg\nContent-Disposition: inline; filename=\"pic.jpg\"\nContent-Transfer-Encoding: base64\n\n/9j/4AAQ\n",
        b"Content-Type: message/rfc822\n\nFrom: a@b.example\nSubject: inner\n\ninner body\n",
        b"Content-Type: message/rfc822\nContent-Disposition: attachment; filename=\"fwd.eml\"\n\nFrom: a@b.example\n\nbody\n",
        b"Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\n",
        b"Content-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: quoted-printable\n\nQP =C3=A9t=C3=A9\n",
        b"Content-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: 8bit\n\n\xf0\xd2\xc9\xd7\xc5\xd4\n",
        b"Content-Type: application/pdf; name=a.pdf; name=b.pdf\n\nxx\n",
        b"Content-Type: application/pdf\nContent-Disposition: attachment; filename=\"a.pdf\"; FILENAME=\"b.pdf\"\n\nxx\n",
        b"Content-Type: application/pdf\nContent-Disposition: attachment; filename=\"caf\xc3\xa9.pdf\"\n\nxx\n",
        b"Content-Type: application/pdf\nContent-Disposition: attachment; filename=\"a\\\"b.pdf\"\n\nxx\n",
        b"Content-Type: application/pdf\nContent-Disposition: =?utf-8?q?attachment?=\n\nxx\n",
        b"Content-Type: application/pdf\nContent-Disposition: attachment;\n filename=\"folded\n name.pdf\"\n\nxx\n",
        b"Content-Type: application/pdf\nContent-Disposition: attachment; filename*=''%E9t%E9.pdf\n\nxx\n",
        b"Content-Type: application/pdf\nContent-Disposition: attachment; filename*=iso-8859-1'fr'%E9t%E9.pdf\n\nxx\n",
        b"Content-Type: application/pdf\nContent-Disposition: attachment; filename*=bogus''x.pdf\n\nxx\n",
        b"Content-Type: multipart/alternative; boundary=\"IN\"\n\n--IN\nContent-Type: text/plain\n\nnested plain\n--IN\n"
        b"Content-Type: text/html\n\n<i>nested</i>\n--IN--\n",
        b"Content-Type: multipart/mixed; boundary=\"IN2\"\n\n--IN2\nContent-Type: text/plain\n\nunterminated nested\n",
        b"Content-Type: application/pdf; name=\"\"\n\nxx\n", b"Content-Type: application/pdf; name=\n\nxx\n",
        b"Content-Type: text/plain\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=b.txt\n\n"
        b"YWJj\nZGVm\n==\n",
    ]
    for pct in parts_ct:
        for _ in range(14):
            k = rng.randrange(1, 5)
            chosen = [rng.choice(inner_parts) for _ in range(k)]
            pre = rng.choice([b"", b"This is a multi-part message.\n"])
            closing = rng.choice([b"--B1--\n", b"--B1--\nepilogue\n", b"", b"--B1--"])
            data = H % rng.randrange(10**6) + b"MIME-Version: 1.0\nContent-Type: " + pct + b"\n\n" + pre
            for p in chosen:
                data += b"--B1\n" + p
            data += closing
            if rng.random() < 0.4:
                data = crlf(data)
            add("hand.multipart", data, opts=rng.choice(["default", "default", "body50", "scan64", "body1"]))
    # raw header oddities
    raw_headers = [
        b"From: a@shop.example\nTo: b@x.example\n\nbody\n",
        b"From:a@shop.example\nTo:b@x.example\nSubject:no space\n\nbody\n",
        b"From: a@shop.example\nTo: b@x.example\nSubject: folded\n\tover\n  lines\n\nbody\n",
        b"From: a@shop.example\r\nTo: b@x.example\r\nSubject: crlf\r\n\r\nbody\r\n",
        b"From: a@shop.example\rTo: b@x.example\r\rbody\r",
        b"From: a@shop.example\nTo: b@x.example\nbad header line\nSubject: after\n\nbody\n",
        b" leading continuation\nFrom: a@shop.example\nTo: b@x.example\n\nbody\n",
        b"From: a@shop.example\nTo: b@x.example\nSubject: \xff\xfe binary\n\nbody\n",
        b"From: a@shop.example\nTo: b@x.example\nX-Template-Id: \xc3\xa9t\xc3\xa9\n\nbody\n",
        b"From: a@shop.example\nTo: b@x.example\nSubject: =?utf-8?q?=C3=A9?= \xc3\xa9\n\nbody\n",
        b"From: a@shop.example\nTo: b@x.example\nMessage-ID: \n\nbody\n",
        b"From: a@shop.example\nTo: b@x.example\nMessage-ID:\n <folded@id.example>\n\nbody\n",
        b"From: a@shop.example\nTo: b@x.example\nDate:\n\nbody\n",
        b"From: a@shop.example\nFrom: b@shop.example\nTo: c@x.example\n\nbody\n",
        b"From: a@shop.example\nSender: \nTo: c@x.example\n\nbody\n",
        b"FROM: a@shop.example\nto: c@x.example\nSUBJECT: caps\nmessage-id: <caps@x.example>\n\nbody\n",
        b"From: a@shop.example\nTo: c@x.example\nContent-Type: text/plain; charset=utf-8\nContent-Type: text/html\n\n<b>x</b>\n",
        b"From: a@shop.example\nTo: c@x.example\nContent-Transfer-Encoding: base64\nContent-Transfer-Encoding: 7bit\n\nYWJj\n",
        b"From: a@shop.example\nTo: c@x.example\n",
        b"From: a@shop.example\nTo: c@x.example",
        b"From: a@shop.example\nTo: c@x.example\n\n",
        b"From: a@shop.example\nTo: c@x.example\n\n\n\n",
        b"From : a@shop.example\nTo : c@x.example\n\nspace before colon\n",
        b"From: a@shop.example\nTo: c@x.example\nX-MS-Journal-Report:\n\nnot multipart\n",
        b"From: a@shop.example\nTo: c@x.example\nAuto-Submitted: \xe9\n\nx\n",
        b"From: a@shop.example\nTo: c@x.example\nPrecedence: bulk\nPrecedence: first-class\n\nx\n",
        b"From: a@shop.example\nTo: c@x.example\nAuto-Submitted: no\nAuto-Submitted: auto-generated\n\nx\n",
        b"From: a@shop.example\nTo: =?utf-8?q?=3Ca=40b=2Eexample=3E?=\n\nx\n",
        b"From: =?utf-8?q?a=40shop=2Eexample?=\nTo: c@x.example\n\nx\n",
        b"From: a@shop.example\nTo: c@x.example\nBcc:\n\nx\n",
        b"From: a@shop.example\nTo: c@x.example\nCc: c@x.example, C@X.EXAMPLE, d@x.example\nBcc: d@x.example, e@x.example\n\nx\n",
        b"From: a@shop.example\nTo: c@x.example\n" + b"Received: from x\n" * 200 + b"\nx\n",
        b"From: a@shop.example\nTo: " + b", ".join(b"r%d@bulk.example" % k for k in range(1005)) + b"\n\nx\n",
        b"From: a@shop.example\nTo: " + b", ".join(b"r%d@bulk.example" % k for k in range(600)) +
        b"\nBcc: " + b", ".join(b"h%d@bulk.example" % k for k in range(600)) + b"\n\nx\n",
        b"From: a@shop.example\nTo: " + b",\n ".join(b"Name %d <r%d@bulk.example>" % (k, k) for k in range(50)) + b"\n\nx\n",
        b"\xef\xbb\xbfFrom: a@shop.example\nTo: c@x.example\n\nBOM\n",
        b"From: a@shop.example\x00\nTo: c@x.example\n\nNUL\n",
        b"From: a@shop.example\nTo: c@x.example\nSubject: " + b"long " * 2000 + b"\n\nx\n",
        b"From: a@shop.example\nTo: c@x.example\nX-Template-Id: t1\nX-Template-Id: t2\n\nx\n",
        b"From: a@shop.example\nTo: c@x.example\nIn-Reply-To: <a@b.example>\nIn-Reply-To: <c@d.example>\n\nx\n",
        b"From: a@shop.example\nTo: c@x.example\nReferences: \n\t<a@b.example>\n\t<c@d.example>\n\nx\n",
        b"From: a@shop.example\nTo: c@x.example\nContent-Type: multipart/alternative; boundary=\"X\"\n\n--X\n"
        b"Content-Type: text/html\n\n<p>only html in alt</p>\n--X\nContent-Type: text/html\n\n<p>second</p>\n--X--\n",
        b"From: a@shop.example\nTo: c@x.example\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(("<p>" + "caf\u00e9 " * 20000 + "</p>").encode()),
        b"From: a@shop.example\nTo: c@x.example\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n"
        + b"abc=3D=\n" * 10000,
    ]
    for j, d in enumerate(raw_headers):
        for o in ("default", "body50", "tpl_subject", "rules_addr", "tpl_ctype", "tpl_mid", "rules_date"):
            if o != "default" and rng.random() < 0.6:
                continue
            add(f"hand.raw{j}", d, opts=o, mail_from=rng.choice(["s@shop.example", "", None, "<>", "Bad Sender"]))
            if rng.random() < 0.3:
                add(f"hand.raw{j}.crlf", crlf(d), opts=o)


def large(rng):
    """Messages over the skeleton threshold, several shapes."""
    H = b"From: Shop <orders@shop.example>\r\nTo: ann@x.example\r\nSubject: big\r\nMessage-ID: <big.%d@shop.example>\r\n"
    # single big text part, 7bit / base64 / qp
    add("big.text7", H % 1 + b"Content-Type: text/plain\r\n\r\n" + b"line of text\r\n" * 100_000)
    add("big.textb64", H % 2 + b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(("Grüße " * 300_000).encode()))
    add("big.texthtml", H % 3 + b"Content-Type: text/html\r\n\r\n" + b"<p>para</p>\r\n" * 120_000)
    m = EmailMessage()
    m["From"] = "a@shop.example"
    m["To"] = "b@x.example"
    m.set_content("small text")
    for k in range(3):
        m.add_attachment(rng.randbytes(600_000), maintype="application", subtype="octet-stream", filename=f"f{k}.bin")
    add("big.three", m)
    add("big.three_crlf", crlf(m.as_bytes()))
    add("big.three_compat", m, msg="compat32")
    m = EmailMessage()
    m["From"] = "a@shop.example"
    m["To"] = "b@x.example"
    m.set_content("x")
    inner = EmailMessage()
    inner["From"] = "in@x.example"
    inner.set_content("inner")
    inner.add_attachment(rng.randbytes(1_200_000), maintype="application", subtype="zip", filename="in.zip")
    m.add_attachment(inner)
    add("big.nested_rfc822", m)
    # unterminated multipart, big
    add("big.unterminated", H % 4 + b"Content-Type: multipart/mixed; boundary=Q\r\n\r\n--Q\r\nContent-Type: text/plain\r\n\r\n"
        + b"z" * 1_300_000 + b"\r\n")
    add("big.noboundary", H % 5 + b"Content-Type: multipart/mixed\r\n\r\n" + b"y" * 1_100_000)


def esp_like(rng):
    """message_to_event(msg=...) as the ESP taps call it (a compat32 Message of headers)."""
    from email.message import Message

    for k in range(40):
        hdr = []
        hdr.append(("From", rng.choice(FROMS)))
        hdr.append(("To", rng.choice(TOS)))
        hdr.append(("Subject", rng.choice(SUBJECTS)))
        if rng.random() < 0.5:
            hdr.append(("Date", rng.choice(DATES)))
        data = b"".join(f"{a}: {b}\r\n".encode("utf-8") for a, b in hdr) + b"\r\n"
        add("esp.compat32", data, mail_from=rng.choice([None, "s@shop.example"]), rcpts=[], msg="compat32")
        add("esp.default", data, mail_from=rng.choice([None, "s@shop.example"]), rcpts=[], msg="default")


ENVELOPES = [
    ("bounces@shop.example", ["journal@tap.invalid"]),
    ("orders@shop.example", ["journal+ann=x.example@tap.invalid"]),
    ("", ["journal+ann=x.example@tap.invalid", "journal+bob=y.example@tap.invalid"]),
    (None, ["ann@x.example", "Hidden@Z.example"]),
    ("<>", ["journal+broken@tap.invalid", "not-an-address"]),
    ("Bad Sender", ["journal@tap.invalid"]),
    ("<Orders@Shop.Example>", ["jrnl+c=d.example@x.invalid", "jrnl@x.invalid", "journal+e=f.example@t.invalid"]),
    ("orders@shop.example", []),
]


def build(count: int = 3600) -> list[dict]:
    """The corpus: every fixture, then generated messages up to ``count`` cases."""
    cases.clear()
    random.seed(20260602)  # the email generator's boundaries
    rng = random.Random(42)
    tests_mime(rng)
    journal_reports(rng)
    smtp_tap_and_guard(rng)
    handmade(rng)
    large(rng)
    esp_like(rng)
    n = 0
    while len(cases) < count:
        n += 1
        data = gen_structured(rng, n)
        if rng.random() < 0.35:
            data = crlf(data)
        mf, rc = rng.choice(ENVELOPES)
        opts = "default" if rng.random() < 0.6 else rng.choice(OPTION_KEYS)
        add(f"gen.{n}", data, mail_from=mf, rcpts=rc, opts=opts)
    return cases
