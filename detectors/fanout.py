"""Recipient fan-out: unrelated customers on one message, and relayed replies."""

from __future__ import annotations

import math

from river.base import AnomalyDetector

__all__ = ["FanOut", "ReplyRelay", "recipient_groups", "own_domain", "is_internal"]


def own_domain(sender_domain: str, freemail: frozenset[str]) -> str:
    """The sender's domain as an internal domain; none for a consumer provider
    (a shop on gmail.com does not make its gmail customers colleagues)."""
    return "" if sender_domain in freemail else sender_domain


def is_internal(domain: str, own: str, internal: frozenset[str]) -> bool:
    """``domain`` is the sender's own (see :func:`own_domain`), a configured internal
    domain, or below one (``eu.example.com``)."""
    if domain == own or domain in internal:
        return True
    if not internal:
        return False
    # below a configured domain (eu.example.com); the suffixes are built once per set
    suffixes = _SUFFIXES.get(internal)
    if suffixes is None:
        suffixes = _SUFFIXES[internal] = tuple("." + d for d in internal)
    return domain.endswith(suffixes)


def recipient_groups(
    recipients: tuple[str, ...], sender_domain: str, internal: frozenset[str], freemail: frozenset[str]
) -> tuple[int, int]:
    """Count external recipients and the unrelated groups among them.

    A group is one customer: an address on a consumer provider (freemail) is a
    group of its own; addresses of one company domain form one group. Internal
    recipients (configured domains, their subdomains, and the sender's own domain
    unless that is a consumer provider) are left out.

    >>> recipient_groups(("a@gmail.com", "b@gmail.com", "c@acme.com", "d@acme.com", "e@corp.example"),
    ...                  "corp.example", frozenset(), frozenset({"gmail.com"}))
    (4, 3)
    """
    own = own_domain(sender_domain, freemail)
    if len(recipients) == 1:  # the common case, without the set
        r = recipients[0]
        return (0, 0) if is_internal(r[r.rfind("@") + 1 :], own, internal) else (1, 1)
    external = 0
    groups: set[str] = set()
    for r in recipients:
        d = r[r.rfind("@") + 1 :]
        if is_internal(d, own, internal):
            continue
        external += 1
        groups.add(r if d in freemail else d)
    return external, len(groups)


_SUFFIXES: dict[frozenset[str], tuple[str, ...]] = {}


def _excess_score(value: float, threshold: float) -> float:
    """0 below ``threshold``; 0.6 at it, 0.85 at twice it, towards 1 beyond."""
    if value < threshold:
        return 0.0
    return 1.0 - 0.4 * math.exp(-(value - threshold) / max(threshold, 1.0))


class FanOut(AnomalyDetector):
    """Many unrelated external customers on one message, against the sender's habit.

    ``x["unrelated"]`` is the number of unrelated external customers who can see
    each other on the message (to and cc; see :func:`recipient_groups`). The
    detector learns the sender's usual count (exponentially weighted mean and
    variance) and scores a message whose count reaches
    ``max(min_unrelated, mean + 4 * std + 1)``: 0.6 at that threshold, 0.85 at
    twice it, approaching 1 beyond. Internal-only mail has ``unrelated == 0`` and
    never scores.

    Parameters
    ----------
    min_unrelated
        Smallest count that can score, for automated senders (``x["automated"]``).
    min_unrelated_human
        The same for human senders, who legitimately write to a few customers at once.
    alpha
        Weight of a new message in the learned mean and variance.
    seed
        Unused (deterministic); kept for a uniform constructor.

    Notes
    -----
    Score range: [0, 1), high = anomalous. Warm-up: none (the floor
    ``min_unrelated`` applies from the first message). State: 3 numbers.

    Examples
    --------
    >>> det = FanOut()
    >>> for _ in range(50):
    ...     det.learn_one({"unrelated": 1, "automated": True})
    >>> det.score_one({"unrelated": 1, "automated": True})
    0.0
    >>> round(det.score_one({"unrelated": 6, "automated": True}), 2)
    0.85
    """

    def __init__(self, min_unrelated: int = 3, min_unrelated_human: int = 6, alpha: float = 0.02, seed: int | None = None):
        self.min_unrelated = min_unrelated
        self.min_unrelated_human = min_unrelated_human
        self.alpha = alpha
        self.seed = seed
        self._mean = 0.0
        self._var = 0.0
        self._n = 0

    def learn_one(self, x: dict) -> None:
        u = x.get("unrelated") or 0
        if u.__class__ is not int:  # a count as the pipeline gives it is learned as it is
            u = float(u)
            if not math.isfinite(u):
                return
        n = self._n
        if n:
            a = self.alpha
            d = u - self._mean
            self._mean += a * d
            self._var = (1 - a) * (self._var + a * d * d)
        else:
            self._mean = u
        self._n = n + 1

    def threshold(self, automated: bool = True) -> float:
        floor = self.min_unrelated if automated else self.min_unrelated_human
        return max(float(floor), self._mean + 4.0 * math.sqrt(self._var) + 1.0)

    def score_one(self, x: dict) -> float:
        u = float(x.get("unrelated") or 0)
        if not math.isfinite(u):
            return 0.0
        return _excess_score(u, self.threshold(bool(x.get("automated", True))))

    @property
    def usual(self) -> float:
        """Learned mean of unrelated customers per message."""
        return self._mean


class ReplyRelay(AnomalyDetector):
    """A reply carrying attachments sent on to several unrelated customers.

    Replies normally go back to one customer. A reply (``x["reply"]``) with
    attachments (``x["attachments"]``, of which ``x["images"]`` are images) that
    goes to ``x["unrelated"] >= 2`` unrelated external customers relays what one
    customer sent to the others. Rule-based: :meth:`learn_one` learns nothing.

    Notes
    -----
    Score range: [0, 1]: 0 for anything else, 0.75 for a relayed reply with
    attachments to 2 customers, rising with the number of customers, and 0.1
    higher when the attachments are images (photos of documents). No warm-up.

    Examples
    --------
    >>> det = ReplyRelay()
    >>> det.score_one({"reply": True, "attachments": 1, "images": 1, "unrelated": 5})
    0.95
    >>> det.score_one({"reply": True, "attachments": 1, "images": 1, "unrelated": 1})
    0.0
    """

    def __init__(self, min_unrelated: int = 2, seed: int | None = None):
        self.min_unrelated = min_unrelated
        self.seed = seed

    def learn_one(self, x: dict) -> None:
        """Rule-based: nothing to learn."""

    def score_one(self, x: dict) -> float:
        u = x.get("unrelated") or 0
        if not x.get("reply") or not (x.get("attachments") or 0) or u < self.min_unrelated:
            return 0.0
        s = 0.75 + 0.1 * min(u - self.min_unrelated, 1) + (0.1 if (x.get("images") or 0) else 0.0)
        return min(s, 1.0)
