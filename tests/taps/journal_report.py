"""An Exchange / Microsoft 365 journal report, as the journal rule sends it (the shape of
Microsoft's "Journal report" documentation: a report from the Exchange system account
with X-MS-Journal-Report, its text part listing Sender, Subject, Message-Id and the
recipients, the original attached as message/rfc822)."""

from __future__ import annotations

from email.message import EmailMessage

SYSTEM = "MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@shop.example"


def original(mid: str = "blast.1@shop.example", *, to: str = "customers@shop.example", cc: str | None = None,
             with_mid: bool = True, attachment: bytes | None = None) -> EmailMessage:
    m = EmailMessage()
    m["From"] = "Customer Care <care@shop.example>"
    m["To"] = to
    if cc:
        m["Cc"] = cc
    m["Subject"] = "Verify your order"
    if with_mid:
        m["Message-ID"] = f"<{mid}>"
    m["Date"] = "Thu, 24 Aug 2017 10:00:00 +0000"
    m.set_content("Hello, to verify your order please reply with a photo of your passport.")
    if attachment is not None:
        m.add_attachment(attachment, maintype="application", subtype="octet-stream", filename="form.bin")
    return m


def report(orig: EmailMessage | None, lines: list[str], *, mid: str = "blast.1@shop.example") -> bytes:
    """The journal report bytes (CRLF) carrying ``orig`` (None: a report without it)."""
    r = EmailMessage()
    r["From"] = f"Microsoft Exchange Server <{SYSTEM}>"
    r["To"] = "journal@tap.invalid"
    r["Subject"] = "Verify your order"
    r["Message-ID"] = f"<report.{mid}>"
    r["Date"] = "Thu, 24 Aug 2017 10:00:01 +0000"
    r["X-MS-Journal-Report"] = ""
    r.set_content("\r\n".join(["Sender: care@shop.example", "Subject: Verify your order", f"Message-Id: <{mid}>",
                              *lines]) + "\r\n")
    if orig is not None:
        r.add_attachment(orig)  # message/rfc822
    return r.as_bytes(policy=r.policy.clone(linesep="\r\n"))
