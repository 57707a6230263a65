"""Log output for every long-running command: plain text or one JSON object per line.

``--log-format json`` (env ``MAILFLOW_LOG_FORMAT``) makes the worker, the taps and the
guard write each record as one line of JSON, for a log shipper (Fluent Bit, Vector,
Loki's promtail, a Kubernetes node agent) to index without a parsing rule::

    {"ts": "2026-12-01T23:40:42.118Z", "level": "warning", "logger": "streams.agents",
     "message": "dead letter: not_json (offset 4711)"}

Fields: ``ts`` (UTC, RFC 3339, milliseconds), ``level`` (lower case), ``logger``,
``message``, and ``exc`` (the formatted traceback) when the record carries an
exception. Nothing else of the record is copied, so the rule of every log line holds
for both formats: no recipient address, subject or body at any level (the messages
count and hash; see ``tests/streams/test_logformat.py``).

Public API::

    LOG_FORMATS, JsonFormatter, logging_config(level, fmt, quiet=None)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import orjson

__all__ = ["LOG_FORMATS", "JsonFormatter", "logging_config"]

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module docstring for the fields).

    >>> rec = logging.LogRecord("streams.agents", logging.WARNING, __file__, 1, "lag %d", (3,), None)
    >>> rec.created = 0.25
    >>> JsonFormatter().format(rec)
    '{"ts":"1970-01-01T00:00:00.250Z","level":"warning","logger":"streams.agents","message":"lag 3"}'
    """

    def format(self, record: logging.LogRecord) -> str:
        secs = int(record.created)
        ms = int((record.created - secs) * 1000)
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{ms:03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exc"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        # default=str: a message argument orjson cannot encode is already text in getMessage()
        return orjson.dumps(out, default=str).decode()


def logging_config(level: str, fmt: str = "text", quiet: Mapping[str, int] | None = None) -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` dict: the root logger at ``level`` writing to
    stderr in ``fmt`` (one of :data:`LOG_FORMATS`), and below debug the ``quiet``
    loggers only from their own level on.

    The same dict configures Faust's worker (``faust.Worker(logging_config=...)``,
    mode's public option) and the taps and the guard (:func:`streams.frontend.setup_logging`).

    >>> cfg = logging_config("info", "json", {"kafka": logging.WARNING})
    >>> cfg["root"], cfg["loggers"]["kafka"]["level"], cfg["handlers"]["default"]["formatter"]
    ({'level': 'INFO', 'handlers': ['default']}, 30, 'json')
    """
    if fmt not in LOG_FORMATS:
        raise ValueError(f"log format {fmt!r} must be one of {', '.join(LOG_FORMATS)}")
    loggers = {} if level == "debug" else {name: {"level": lvl} for name, lvl in (quiet or {}).items()}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "text": {"format": TEXT_FORMAT},
            "json": {"()": JsonFormatter},
        },
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": fmt, "stream": "ext://sys.stderr"}},
        "root": {"level": level.upper(), "handlers": ["default"]},
        "loggers": loggers,
    }
