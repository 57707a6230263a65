"""Taps: connect a real mail flow to the input topic (issue 12).

* :mod:`streams.taps.mime` -- a journalled message (bytes + envelope) -> one contract event;
  pure, no SMTP, no Kafka.
* :mod:`streams.taps.smtp` -- ``mailflow tap smtp``: an SMTP journal receiver (aiosmtpd)
  that produces those events to the input topic (and malformed mail to the dead-letter
  topic) before it answers 250; 451 when the broker does not acknowledge.
* :mod:`streams.taps.milter` -- ``mailflow tap milter``: the same as a Postfix/Sendmail milter
  (envelope recipients, so Bcc, and the queue id).
* :mod:`streams.taps.http` -- ``mailflow tap http``: ESP event webhooks (:mod:`~streams.taps.ses`,
  :mod:`~streams.taps.sendgrid`, :mod:`~streams.taps.mailgun`), per-recipient events grouped.

See docs/connect-your-mail.md.
"""

__all__ = ["main"]


def main(argv=None) -> int:
    """``mailflow tap KIND ...``: dispatch to the tap of that kind."""
    import sys

    argv = list(sys.argv[1:] if argv is None else argv)
    kinds = {"smtp": "streams.taps.smtp", "milter": "streams.taps.milter", "http": "streams.taps.http"}
    if not argv or argv[0] in ("-h", "--help", "help"):
        print("usage: mailflow tap KIND [ARGS...]\n\nkinds:\n"
              "  smtp   SMTP journal receiver (Postfix always_bcc / recipient_bcc_maps, Exim, M365 journaling)\n"
              "  milter Postfix/Sendmail milter (smtpd_milters): envelope recipients (Bcc) and queue id\n"
              "  http   ESP event webhooks: Amazon SES (SNS), SendGrid, Mailgun, signatures checked\n\n"
              "`mailflow tap KIND --help` shows its options.")
        return 0 if argv else 2
    kind, rest = argv[0], argv[1:]
    if kind not in kinds:
        print(f"mailflow tap: unknown kind {kind!r} (known: {', '.join(kinds)})", file=sys.stderr)
        return 2
    import importlib

    return int(importlib.import_module(kinds[kind]).main(rest) or 0)
