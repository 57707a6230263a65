"""Codecs and record helpers of the streaming worker.

Input events travel as raw bytes (``raw`` codec) so a rejected event reaches the
dead-letter topic byte for byte; alerts are the contract JSON bytes of
:meth:`detectors.alerts.Alert.to_json`. Learned sender state goes into the
table's changelog topic with :data:`STATE_CODEC`: the versioned, named-field
msgpack format of :mod:`detectors.statecodec` (see ``docs/state.md``), which
never runs code named by the data. States pickled by earlier releases are still
read (through a restricted unpickler) and written in the new format next time.

A record the codec refuses (forged, corrupt, written by a newer release) never
raises into Faust (changelog recovery, store reads): it decodes to a falsy
:class:`RefusedState`, which :func:`restored_state` turns into "no state" -- the
sender starts fresh -- counted in ``mailflow_state_restore_failed_total``.
"""

from __future__ import annotations

import logging
from hashlib import blake2b
from typing import Any

from faust.serializers import codecs

from detectors import statecodec
from detectors.errors import StateRejected

__all__ = ["STATE_CODEC", "LEGACY_STATE_CODEC", "StateCodec", "RefusedState", "restored_state", "sender_digest",
           "dlq_headers", "HEADER_REASON", "HEADER_DETAIL", "HEADER_SOURCE_TOPIC", "HEADER_SOURCE_PARTITION",
           "HEADER_SOURCE_OFFSET"]

log = logging.getLogger(__name__)

STATE_CODEC = "mailflow-state"
#: the codec name of the releases that pickled states: now registered as the same safe codec
LEGACY_STATE_CODEC = "mailflow-pickle"

# the dead-letter headers and policy live in streams.deadletter (re-exported here)
from .deadletter import (  # noqa: E402,F401
    HEADER_DETAIL,
    HEADER_REASON,
    HEADER_SOURCE_OFFSET,
    HEADER_SOURCE_PARTITION,
    HEADER_SOURCE_TOPIC,
    dlq_headers,
)


class RefusedState:
    """What a refused state record decodes to: falsy, never a state; ``reason`` says why
    (see :class:`detectors.errors.StateRejected`)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"RefusedState({self.reason!r})"


class StateCodec(codecs.Codec):
    """The learned-state value codec (binary, no base64 wrapping).

    Writes :func:`detectors.statecodec.dumps`; reads v1 records and legacy pickles
    with :func:`detectors.statecodec.loads`. A refused record gives a
    :class:`RefusedState` instead of raising, so neither the table recovery nor a
    store read fails on it."""

    def _dumps(self, obj: Any) -> bytes:
        return statecodec.dumps(obj)

    def _loads(self, s: bytes) -> Any:
        try:
            return statecodec.loads(s)
        except StateRejected as exc:
            return RefusedState(exc.reason)


for _name in (STATE_CODEC, LEGACY_STATE_CODEC):
    if not isinstance(codecs.codecs.get(_name), StateCodec):
        codecs.register(_name, StateCodec())


def sender_digest(sender: str) -> str:
    """A short stable digest of a sender address, for logs that must not name it."""
    return blake2b(str(sender).encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()


def restored_state(value: Any, sender: str, metrics: Any = None) -> Any:
    """The table value read for ``sender``, with a refused record as None ("no state").

    A :class:`RefusedState` becomes None -- the sender starts fresh -- counted in
    ``metrics.state_restore_failed`` and logged at WARNING with a digest of the
    sender, never its address. Anything else is returned as it is."""
    if value.__class__ is not RefusedState:
        return value
    if metrics is not None:
        metrics.state_restore_failed.inc()
    log.warning("learned state of sender %s refused (%s): the sender starts fresh", sender_digest(sender), value.reason)
    return None
