"""Exceptions of the :mod:`detectors` package.

Every error raised on purpose by this package derives from :class:`MailflowError`.
"""

from __future__ import annotations

__all__ = ["MailflowError", "EventRejected", "ConfigError", "StateRejected"]


class MailflowError(Exception):
    """Root of every error this package raises on purpose."""


class EventRejected(MailflowError):
    """An input event breaks the contract.

    Parameters
    ----------
    reason
        One of :data:`detectors.events.REJECT_REASONS`; small fixed set, safe as a
        metric label.
    detail
        Human-readable detail. Never contains recipient addresses, subjects or bodies.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail

    def __reduce__(self):
        return (type(self), (self.reason, self.detail))


class ConfigError(MailflowError):
    """A configuration or command-line setting is invalid.

    ``problems`` lists every bad entry, one human-readable line each.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in self.problems))

    def __reduce__(self):
        return (type(self), (self.problems,))


class StateRejected(MailflowError):
    """A persisted learned-state record was refused (see :mod:`detectors.statecodec`).

    Parameters
    ----------
    reason
        Small fixed set, safe as a metric label: ``unknown_format``, ``corrupt``,
        ``forbidden`` (a legacy pickle naming anything outside the allow-list),
        ``unknown_type``, ``newer_version``, ``bad_field``.
    detail
        Human-readable detail (type and field names, never state values or addresses).
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail

    def __reduce__(self):
        return (type(self), (self.reason, self.detail))
