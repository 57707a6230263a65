"""The learned-state table: one ``SenderState`` per sender, backed by a changelog topic.

The input topic is keyed by sender, so the table is co-partitioned with it and a
sender's state moves with its partition. On assignment Faust rebuilds the table
from the changelog topic (``<app_id>-sender-state-changelog``), so a restarted or
moved worker resumes what was learned.

Values are written and read with :data:`streams.models.STATE_CODEC` (see
``docs/state.md``): the changelog topic's schema (recovery decodes each record as
it is consumed, for the memory store) and the table's own value serializer (a
serialized store such as RocksDB keeps the bytes and decodes on every read). A
refused record decodes to a falsy :class:`streams.models.RefusedState` in both
paths, never an exception; the readers treat it as "no state"
(:func:`streams.models.restored_state`).
"""

from __future__ import annotations

import faust

from .models import STATE_CODEC
from .settings import WorkerSettings

__all__ = ["STATE_TABLE", "make_state_table"]

STATE_TABLE = "sender-state"


def make_state_table(app: faust.App, settings: WorkerSettings) -> faust.Table:
    # Faust derives a table's serializers from its key/value types (json here) and
    # hands them to the changelog topic it creates at registration; so the
    # changelog topic is built here, with the raw-key / state-codec-value schema.
    schema = faust.Schema(key_type=str, key_serializer="raw", value_serializer=STATE_CODEC)
    changelog = app.topic(
        f"{settings.app_id}-{STATE_TABLE}-changelog",
        schema=schema,
        partitions=settings.partitions,
        replicas=settings.replication_factor,
        compacting=True,
        deleting=False,
        acks=False,
        internal=True,
    )
    table = app.Table(
        STATE_TABLE,
        default=None,
        key_type=str,
        partitions=settings.partitions,
        changelog_topic=changelog,
        help="learned SenderState per sender",
    )
    table.key_serializer = "raw"
    table.value_serializer = STATE_CODEC
    return table
