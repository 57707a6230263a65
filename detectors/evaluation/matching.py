"""When an alert belongs to a labelled incident or benign window: the one rule.

``mailflow evaluate`` (whose figures the README quotes) and ``mailflow demo`` both
judge alerts with it. A *label* is an entry of the simulator's labels
(``{"incidents": [...], "negatives": [...]}``, each entry with ``name``,
``sender``, ``start_ts``, ``end_ts`` and ``event_ids``).

The rule, in two parts:

* an alert is **raised by** a label when the message that raised it -- its first
  event id -- is one of the label's messages. Only that detects an incident, and
  the raising message's position among the incident's messages is the number of
  its messages that went out before the alert;
* an alert **belongs** to a label when it was raised by it, or when it comes from
  the label's sender between :data:`LEAD_SECONDS` before the label's first message
  and the episode quiet period after its last (the episode's follow-ups and the
  sender's other mail while the label lasts). Among several labels, one that
  raised the alert wins over one whose window merely holds it, then the first
  in label order.

>>> inc = Label("id-request-blast", "care@example.com", 1000.0, 1009.0, ("b0", "b1", "b2"))
>>> raised_by(inc, ["b1", "b0"]), position(inc, ["b1", "b0"])
(True, 1)
>>> belongs(inc, "care@example.com", 1500.0, ["x9"], quiet=3600)
True
>>> belongs(inc, "care@example.com", 998.0, ["x9"], quiet=3600)
False

This module imports nothing outside the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Protocol, Sequence, TypeVar

__all__ = ["LEAD_SECONDS", "Label", "AlertLike", "parse_labels", "raised_by", "position", "in_window",
           "belongs", "attribute", "first_detection"]

#: Seconds before a label's first message from which its sender's alerts belong to it.
LEAD_SECONDS = 1.0


class AlertLike(Protocol):
    """What the rule reads of an alert: its sender, event time and event ids (raising one first)."""

    sender: str
    ts: float
    event_ids: Sequence[str]


A = TypeVar("A", bound=AlertLike)


@dataclass(frozen=True)
class Label:
    """A labelled incident, or a benign window (``benign``), of a simulated scenario.

    Parameters
    ----------
    name
        The label's name (``id-request-blast``, ``launch-ramp``, ...).
    sender
        The account it is about; ``None`` for windows that span senders (``baseline``,
        ``redelivery``, ``dst-change``, ...).
    start
        Event time (Unix seconds) of its first message.
    end
        Event time of its last message.
    event_ids
        Its messages, in the simulator's order.
    benign
        True for legitimate traffic that must not alert (the labels' ``negatives``).

    """

    name: str
    sender: str | None
    start: float
    end: float
    event_ids: tuple[str, ...] = ()
    benign: bool = False
    _positions: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # the last position of an id wins, as a dict built in order gives it
        self._positions.update({eid: i for i, eid in enumerate(self.event_ids)})

    @classmethod
    def from_dict(cls, entry: Mapping[str, Any], benign: bool = False) -> "Label":
        """A label from one entry of the simulator's ``incidents`` or ``negatives``.

        >>> Label.from_dict({"name": "n", "sender": "a@b.c", "start_ts": 1, "end_ts": 2, "event_ids": ["e1"]})
        Label(name='n', sender='a@b.c', start=1.0, end=2.0, event_ids=('e1',), benign=False)
        """
        return cls(
            name=str(entry["name"]),
            sender=entry.get("sender") or None,
            start=float(entry["start_ts"]),
            end=float(entry["end_ts"]),
            event_ids=tuple(str(e) for e in entry.get("event_ids") or ()),
            benign=benign,
        )


def parse_labels(labels: Mapping[str, Any]) -> list[Label]:
    """The simulator's labels as :class:`Label` s: the incidents, then the benign windows.

    >>> [(l.name, l.benign) for l in parse_labels({
    ...     "incidents": [{"name": "i", "sender": "a@b.c", "start_ts": 1, "end_ts": 2, "event_ids": ["e"]}],
    ...     "negatives": [{"name": "n", "sender": None, "start_ts": 1, "end_ts": 9, "event_ids": []}]})]
    [('i', False), ('n', True)]
    """
    return ([Label.from_dict(e) for e in labels.get("incidents") or ()]
            + [Label.from_dict(e, benign=True) for e in labels.get("negatives") or ()])


def position(label: Label, event_ids: Sequence[str]) -> int | None:
    """Index among ``label``'s messages of the message that raised an alert (``None``: not one of them)."""
    return label._positions.get(event_ids[0]) if event_ids else None


def raised_by(label: Label, event_ids: Sequence[str]) -> bool:
    """Whether the message that raised an alert (its first event id) is one of ``label``'s."""
    return bool(event_ids) and event_ids[0] in label._positions


def in_window(label: Label, sender: str, ts: float, quiet: float) -> bool:
    """Whether an alert of ``sender`` at ``ts`` falls in ``label``'s window.

    The window runs from :data:`LEAD_SECONDS` before the label's first message to
    ``quiet`` seconds (the episode quiet period) after its last; a label without a
    sender has no window.
    """
    return bool(label.sender) and sender == label.sender and label.start - LEAD_SECONDS <= ts <= label.end + quiet


def belongs(label: Label, sender: str, ts: float, event_ids: Sequence[str], quiet: float) -> bool:
    """The rule: an alert belongs to ``label`` if raised by one of its messages or inside its window."""
    return raised_by(label, event_ids) or in_window(label, sender, ts, quiet)


def attribute(labels: Iterable[Label], alert: AlertLike, quiet: float) -> Label | None:
    """The label ``alert`` belongs to, if any.

    A label that raised the alert wins over one whose window merely holds it;
    among equals the first in ``labels`` wins.
    """
    labels = list(labels)
    for label in labels:
        if raised_by(label, alert.event_ids):
            return label
    for label in labels:
        if in_window(label, alert.sender, alert.ts, quiet):
            return label
    return None


def first_detection(label: Label, alerts: Iterable[A]) -> tuple[A, int] | None:
    """The alert of ``label``'s sender raised by its earliest message, and that message's position.

    The position is the number of the label's messages that went out before the
    one that raised the alert; ``None`` when no alert was raised by the label.
    Among alerts raised by the same message the first in ``alerts`` wins.
    """
    best: A | None = None
    best_pos = 0
    for a in alerts:
        if a.sender != label.sender:
            continue
        p = position(label, a.event_ids)
        if p is not None and (best is None or p < best_pos):
            best, best_pos = a, p
    return None if best is None else (best, best_pos)
