"""The guard's milter (``mailflow guard --milter-listen HOST:PORT [--inline]``).

At end of message it answers **quarantine** (``SMFIR_QUARANTINE``: Postfix puts the
message in its hold queue, with the reason in its log) when

* the envelope sender or the ``From`` address is held (:meth:`Guard.decide`; the
  ``template`` reason when the message's template header names a template the alerts
  named), or
* with ``--inline``: the message itself scores **critical** with a message-local harm
  (:data:`MESSAGE_LOCAL_HARMS`) in the guard's own :class:`detectors.pipeline.Sentinel`:
  the worker's detectors and severity policy, with their per-sender template memory, fed
  with every message this milter sees (an established template is not new there; an ID
  request under a new template to unrelated customers is). Such a message opens an
  ``inline`` hold of its sender, so the next ones are held too, before any alert exists
  on the topic.

Anything else, any error and any verdict slower than ``--milter-timeout`` is an accept
(the protocol server, :class:`streams.taps.milter.MilterServer`, fails open).
"""

from __future__ import annotations

import logging
import time
from email.utils import getaddresses

from streams.taps.milter import ACCEPT, MilterMessage, Verdict, fast_event, message_event

from .holds import sender_hash

__all__ = ["MESSAGE_LOCAL_HARMS", "GuardMilterHandler"]

log = logging.getLogger("mailflow.guard.milter")

#: harm signatures one message shows on its own (detectors/policy.py); volume, loops and
#: never-mailed recipients need a history the milter does not judge alone
MESSAGE_LOCAL_HARMS = frozenset({"new_sensitive_request", "changed_template", "exposed_customers",
                                 "relayed_attachments", "credential_request"})


class GuardMilterHandler:
    def __init__(self, guard, mime_options, inline: bool = False, sentinel=None) -> None:
        self.guard = guard
        self.mime = mime_options
        self.inline = inline
        self.sentinel = sentinel
        if inline and sentinel is None:
            from detectors.config import SentinelConfig
            from detectors.pipeline import Sentinel

            self.sentinel = Sentinel(SentinelConfig.from_mapping(guard.worker.detector_mapping()))
        self.scored = 0
        self.score_errors = 0

    def _from(self, msg: MilterMessage) -> tuple[str, ...]:
        v = msg.header("From")
        if not v:
            return ()
        return tuple(a.strip().lower() for _, a in getaddresses([v]) if "@" in a)

    def _template(self, msg: MilterMessage) -> str | None:
        h = self.mime.template_header
        return msg.header(h) if h else None

    def _score(self, msg: MilterMessage) -> list[dict]:
        """Critical alerts with a message-local harm that ``msg`` raises in the inline Sentinel."""
        from detectors.events import parse_event

        now = time.time()
        event = fast_event(msg, self.mime, now)
        if event is None:  # not the simple shape: the taps' own conversion (email package)
            out = message_event(msg, self.mime, arrival=now)
            if out[0] != "event":
                return []
            event = out[3]
        elif not event:
            return []
        event["ts"] = now  # the inline memory runs on the guard's clock (a Date header can lie)
        self.scored += 1
        outcome = self.sentinel.process_one(parse_event(event))
        return [a.to_dict() for a in outcome.alerts
                if a.severity == "critical" and MESSAGE_LOCAL_HARMS.intersection(a.evidence.get("harm") or ())]

    async def __call__(self, msg: MilterMessage) -> Verdict:
        g = self.guard
        sender = msg.mail_from.lower()
        froms = self._from(msg)
        reason = g.decide(sender, self._template(msg), also=froms)
        if reason is None and self.inline:
            try:
                critical = self._score(msg)
            except Exception:
                self.score_errors += 1
                log.error("guard milter: inline scoring failed; accepted", exc_info=True)
                critical = []
            if critical:
                for a in critical:
                    g.inline_alert(a)
                reason = "inline"
                log.info("guard milter: message %s of sender %s scored critical inline (%s)", msg.queue_id or "-",
                         sender_hash(critical[0]["sender"]), ",".join(sorted({a["detector"] for a in critical})))
        if reason is None:
            g.metrics.milter.labels("accept").inc()
            return ACCEPT
        g.metrics.milter.labels("quarantine").inc()
        g.count_held(reason, msg.queue_id, sender or (froms[0] if froms else ""), "milter")
        text = ("mailflow-guard: message scored critical (inline)" if reason == "inline" else
                "mailflow-guard: alert view stale (fail closed)" if reason == "fail_closed" else
                f"mailflow-guard: {reason} under an open critical episode")
        return Verdict("quarantine", text)
