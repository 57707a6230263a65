"""Codecs and record helpers of the streaming worker.

Input events travel as raw bytes (``raw`` codec) so a rejected event reaches the
dead-letter topic byte for byte; alerts are the contract JSON bytes of
:meth:`detectors.alerts.Alert.to_json`. Learned sender state is pickled with
:data:`STATE_CODEC` (plain pickle, no base64) into the table's changelog topic.

The changelog is an internal topic written only by the workers of this app:
treat write access to it like write access to the workers' code (unpickling
untrusted bytes can execute code).
"""

from __future__ import annotations

import pickle
from typing import Any

from faust.serializers import codecs

__all__ = ["STATE_CODEC", "PickleCodec", "dlq_headers", "HEADER_REASON", "HEADER_DETAIL",
           "HEADER_SOURCE_TOPIC", "HEADER_SOURCE_PARTITION", "HEADER_SOURCE_OFFSET"]

STATE_CODEC = "mailflow-pickle"

HEADER_REASON = "mailflow-reason"
HEADER_DETAIL = "mailflow-detail"
HEADER_SOURCE_TOPIC = "mailflow-source-topic"
HEADER_SOURCE_PARTITION = "mailflow-source-partition"
HEADER_SOURCE_OFFSET = "mailflow-source-offset"


class PickleCodec(codecs.Codec):
    """Binary pickle (highest protocol), no base64 wrapping."""

    def _dumps(self, obj: Any) -> bytes:
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)

    def _loads(self, s: bytes) -> Any:
        return pickle.loads(s)


if STATE_CODEC not in codecs.codecs:
    codecs.register(STATE_CODEC, PickleCodec())


def dlq_headers(reason: str, detail: str, topic: str, partition: int | None, offset: int | None) -> list[tuple[str, bytes]]:
    """Kafka headers of a dead letter (values UTF-8; detail never holds addresses, subjects or bodies)."""
    return [
        (HEADER_REASON, reason.encode()),
        (HEADER_DETAIL, detail[:500].encode("utf-8", "replace")),
        (HEADER_SOURCE_TOPIC, (topic or "").encode()),
        (HEADER_SOURCE_PARTITION, str(-1 if partition is None else partition).encode()),
        (HEADER_SOURCE_OFFSET, str(-1 if offset is None else offset).encode()),
    ]
