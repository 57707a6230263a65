"""The severity policy: the one place where detector scores become verdicts.

Detectors score (River protocol, high = anomalous); they never decide how loud
an alert is. Every detector's signal goes through :class:`SeverityPolicy`, which
looks at what the message did (:class:`Facts`) and returns the severity (or no
alert) and the **harm signatures** behind it. A page (``critical``) needs a harm
signature; volume alone is a warning at most. A new detector is one scorer plus
one rule here.

Harm signatures (``evidence["harm"]`` of an alert; see docs/design.md):

============================  ================================================================
``new_sensitive_request``     a request for sensitive data that is new for the account and
                              template (a new template, or an account that never asked this)
``changed_template``          an established template's content changed and now asks for
                              sensitive data it never asked for
``exposed_customers``         one message shows unrelated customers to each other (fan-out)
``relayed_attachments``       a reply with attachments relayed to unrelated customers
``loop``                      the same recipient mailed the same content over and over
``never_mailed_recipients``   a human account mailing external recipients it never mailed,
                              at volume
``credential_request``        the text asks for a password / code / credentials (or to enter
                              them at a link)
============================  ================================================================

>>> p = SeverityPolicy()
>>> p.decide("template_spike", 0.99, Facts())
('warning', ())
>>> p.decide("sensitive_request", 0.7, Facts(automated=True, categories=frozenset({"passport"}),
...                                           request="new"))
('critical', ('new_sensitive_request',))
>>> p.decide("sensitive_request", 0.9, Facts(automated=True, categories=frozenset({"passport"}),
...                                           request="established"))
(None, ())
"""

from __future__ import annotations

from typing import Callable

__all__ = ["HARMS", "Facts", "SeverityPolicy"]

HARMS = (
    "new_sensitive_request", "changed_template", "exposed_customers", "relayed_attachments", "loop",
    "never_mailed_recipients", "credential_request",
)

#: categories that are credentials (a person's account, not a document)
_CREDENTIALS = frozenset({"password"})


class Facts:
    """What one message did, as far as the policy needs it (built only when a detector fired).

    ``request`` is the standing of the message's sensitive-data request for its
    account and template: ``"new"`` (first asked after the warm-up, not yet
    established), ``"changed"`` (an established template whose content changed to
    ask it), ``"established"`` (asked for long enough, or since before the
    warm-up ended: the account's normal) or ``None`` (no request).
    """

    __slots__ = ("automated", "categories", "request", "unrelated", "link", "fresh", "loop_repeats",
                 "fanout_critical", "reply")

    def __init__(self, automated: bool = False, categories: frozenset[str] = frozenset(), request: str | None = None,
                 unrelated: int = 0, link: bool = False, fresh: int = 0, loop_repeats: int = 0,
                 fanout_critical: bool = False, reply: bool = False) -> None:
        self.automated = automated
        self.categories = categories
        self.request = request
        self.unrelated = unrelated  # unrelated external customers on the message
        self.link = link  # the text carries a link to a site outside the company's domains
        self.fresh = fresh  # messages of this (free-text) template to never-mailed recipients, recently
        self.loop_repeats = loop_repeats
        self.fanout_critical = fanout_critical  # the fan-out detector says critical on its own
        self.reply = reply  # the message answers another (``in_reply_to``)


Rule = Callable[["SeverityPolicy", float, Facts], "tuple[str | None, tuple[str, ...]]"]


class SeverityPolicy:
    """Turns a detector's score and the message's :class:`Facts` into ``(severity, harm)``.

    ``severity`` is ``"critical"``, ``"warning"`` or ``None`` (no alert). Scores
    below ``warning_score`` never alert. The rules, per detector (README, "Severity
    policy"):

    * ``sensitive_request`` -- critical for a new or changed request from an
      automated account, for any request on a message with fan-out, and for a
      credential request (or any request with a link) from a human account to at
      least ``page_fresh`` never-mailed recipients; nothing for an established
      request one customer per message; for a person, a warning for the phishing
      shape (credentials, or a link to an outside site) or a request outside a
      reply, nothing for a document asked in a reply to the customer.
    * ``fanout`` -- always harm (``exposed_customers``); critical when the
      detector says so, or with any sensitive request on the message.
    * ``reply_relay`` -- harm (``relayed_attachments``); critical from
      ``critical_score``.
    * ``mail_loop`` -- harm (``loop``); critical from ``loop_page_repeats``.
    * ``recipient_novelty`` -- critical with a link or a sensitive request
      (``never_mailed_recipients``), otherwise a warning.
    * ``template_novelty`` -- critical with a sensitive request or fan-out on the
      message, otherwise a warning.
    * ``template_spike`` -- a warning; critical only when the same message carries
      another harm signature.

    Parameters
    ----------
    warning_score, critical_score
        Score thresholds of the detectors' own scales.
    page_fresh
        Messages of one free-text template to never-mailed recipients before a
        human account's request pages.
    loop_page_repeats
        Repeats of one message to one recipient (within the loop window) that page.
    fanout_min_unrelated
        Unrelated customers on one message that make it a fan-out.
    """

    def __init__(self, warning_score: float = 0.6, critical_score: float = 0.85, page_fresh: int = 10,
                 loop_page_repeats: int = 20, fanout_min_unrelated: int = 3) -> None:
        self.warning_score = warning_score
        self.critical_score = critical_score
        self.page_fresh = page_fresh
        self.loop_page_repeats = loop_page_repeats
        self.fanout_min_unrelated = fanout_min_unrelated

    def decide(self, detector: str, score: float, facts: Facts) -> tuple[str | None, tuple[str, ...]]:
        if score < self.warning_score:
            return None, ()
        rule = _RULES.get(detector)
        if rule is None:  # an unknown detector is never louder than a warning
            return "warning", ()
        return rule(self, score, facts)

    # -- shared parts ---------------------------------------------------------------
    def _request_harm(self, f: Facts) -> tuple[str, ...]:
        """Harm signatures of the message's sensitive request (empty if it has none or it is normal)."""
        if not f.categories or f.request == "established":
            return ()
        harm: list[str] = []
        if f.request == "changed":
            harm.append("changed_template")
        elif f.request == "new" and f.automated:
            harm.append("new_sensitive_request")
        if f.categories & _CREDENTIALS:
            harm.append("credential_request")
        return tuple(harm)

    def _other_harm(self, f: Facts) -> tuple[str, ...]:
        harm = []
        if f.unrelated >= self.fanout_min_unrelated:
            harm.append("exposed_customers")
        if f.loop_repeats >= self.loop_page_repeats:
            harm.append("loop")
        return tuple(harm)

    # -- the rules --------------------------------------------------------------------
    def _sensitive(self, score: float, f: Facts) -> tuple[str | None, tuple[str, ...]]:
        if not f.categories:
            return None, ()
        exposed = f.unrelated >= self.fanout_min_unrelated
        if f.request == "established" and not exposed:
            return None, ()  # what the account has asked, one customer per message, for long: its normal
        harm = self._request_harm(f)
        if exposed:
            return "critical", harm + ("exposed_customers",)
        if f.automated:
            if f.request in ("new", "changed"):
                return "critical", harm
            return None, ()  # still learning (warm-up): nothing is new yet
        # a person: the phishing shape (credentials asked, or a link to an outside site)
        # to many never-mailed recipients pages, and warns at its first message; asking
        # one customer for a document in a conversation the customer started is the job
        phishing = f.link or bool(f.categories & _CREDENTIALS)
        if phishing and f.fresh >= self.page_fresh:
            return "critical", tuple(dict.fromkeys(harm + ("never_mailed_recipients",)))
        if phishing or not f.reply:
            return "warning", harm
        return None, ()

    def _fanout(self, score: float, f: Facts) -> tuple[str | None, tuple[str, ...]]:
        harm = ("exposed_customers",) + self._request_harm(f)
        if f.fanout_critical or score >= self.critical_score or f.categories:
            return "critical", harm
        return "warning", harm

    def _relay(self, score: float, f: Facts) -> tuple[str | None, tuple[str, ...]]:
        return ("critical" if score >= self.critical_score else "warning"), ("relayed_attachments",)

    def _loop(self, score: float, f: Facts) -> tuple[str | None, tuple[str, ...]]:
        if f.loop_repeats >= self.loop_page_repeats:
            return "critical", ("loop",)
        return "warning", ("loop",)

    def _recipient_novelty(self, score: float, f: Facts) -> tuple[str | None, tuple[str, ...]]:
        if f.link or (f.categories and f.request != "established"):
            return "critical", tuple(dict.fromkeys(("never_mailed_recipients",) + self._request_harm(f)))
        return "warning", ()

    def _template_novelty(self, score: float, f: Facts) -> tuple[str | None, tuple[str, ...]]:
        harm = self._request_harm(f) + self._other_harm(f)
        return ("critical" if harm else "warning"), harm

    def _spike(self, score: float, f: Facts) -> tuple[str | None, tuple[str, ...]]:
        harm = self._request_harm(f) + self._other_harm(f)
        return ("critical" if harm else "warning"), harm


_RULES: dict[str, Rule] = {
    "sensitive_request": SeverityPolicy._sensitive,
    "fanout": SeverityPolicy._fanout,
    "reply_relay": SeverityPolicy._relay,
    "mail_loop": SeverityPolicy._loop,
    "recipient_novelty": SeverityPolicy._recipient_novelty,
    "template_novelty": SeverityPolicy._template_novelty,
    "template_spike": SeverityPolicy._spike,
}
