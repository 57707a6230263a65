"""The alert of the contract."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import orjson

__all__ = ["Alert", "SEVERITIES", "DETECTORS", "rfc3339"]

SEVERITIES = ("warning", "critical")

#: Names of the detectors that raise alerts; the ``detector`` label of
#: ``mailflow_alerts_total``.
DETECTORS = ("template_spike", "template_novelty", "fanout", "recipient_novelty", "reply_relay", "sensitive_request",
             "mail_loop")


def rfc3339(ts: float) -> str:
    """Unix seconds to RFC 3339 UTC with millisecond precision.

    >>> rfc3339(1503568800.5)
    '2017-08-24T10:00:00.500Z'
    """
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Alert:
    """One alert, as written to the alerts topic and by ``mailflow replay``.

    ``ts`` is the event time (Unix seconds) of the event that raised it; it is
    written as RFC 3339 UTC.
    """

    detector: str
    severity: str
    sender: str
    template: str | None
    score: float
    summary: str
    ts: float
    evidence: dict[str, Any] = field(default_factory=dict)
    event_ids: list[str] = field(default_factory=list)
    alert_id: str = ""

    def __post_init__(self) -> None:
        if not self.alert_id:
            h = hashlib.blake2b(digest_size=10)
            first = self.event_ids[0] if self.event_ids else ""
            h.update(f"{self.detector}|{self.severity}|{self.sender}|{self.template}|{first}".encode())
            self.alert_id = h.hexdigest()
        self.score = min(1.0, max(0.0, float(self.score)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "alert_id": self.alert_id,
            "ts": rfc3339(self.ts),
            "detector": self.detector,
            "severity": self.severity,
            "sender": self.sender,
            "template": self.template,
            "score": round(self.score, 4),
            "summary": self.summary,
            "evidence": self.evidence,
            "event_ids": list(self.event_ids),
        }

    def to_json(self) -> bytes:
        """Contract JSON, UTF-8 bytes, no trailing newline."""
        return orjson.dumps(self.to_dict())
