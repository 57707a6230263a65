"""Postfix's queue tools for held mail: ``postqueue -j`` (list), ``postsuper -H`` (release),
``postsuper -d`` (delete), each with ``-c CONFIG_DIR`` when one is given.

Held mail is matched by its **envelope sender** (``postqueue -j``'s ``sender``, compared
case-insensitively): the address the policy service also sees. ``postsuper`` needs root
(or the mail system owner); the guard commands run where Postfix runs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from typing import Sequence

__all__ = ["QueueError", "QueuedMessage", "Postqueue"]


class QueueError(Exception):
    """A Postfix queue tool failed (its stderr in the message)."""


@dataclass(frozen=True)
class QueuedMessage:
    queue_id: str
    queue_name: str
    sender: str
    recipients: tuple[str, ...]
    arrival_time: float
    size: int

    @classmethod
    def from_json(cls, d: dict) -> "QueuedMessage":
        rcpts = tuple(str(r.get("address", "")) for r in d.get("recipients") or [] if isinstance(r, dict))
        return cls(str(d.get("queue_id", "")), str(d.get("queue_name", "")), str(d.get("sender", "")),
                   rcpts, float(d.get("arrival_time") or 0), int(d.get("message_size") or 0))


class Postqueue:
    """The queue tools of one Postfix instance (``config_dir`` None: the default one)."""

    def __init__(self, config_dir: str | None = None, timeout: float = 60.0) -> None:
        self.config_dir = config_dir
        self.timeout = timeout
        self.postqueue = shutil.which("postqueue") or "/usr/sbin/postqueue"
        self.postsuper = shutil.which("postsuper") or "/usr/sbin/postsuper"

    def _c(self) -> list[str]:
        return ["-c", self.config_dir] if self.config_dir else []

    def _run(self, cmd: list[str], stdin: str | None = None) -> str:
        try:
            p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=self.timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise QueueError(f"{' '.join(cmd)}: {exc}") from None
        if p.returncode != 0:
            raise QueueError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()}")
        return p.stdout

    def messages(self) -> list[QueuedMessage]:
        """Every queued message (all queues)."""
        out = self._run([self.postqueue, *self._c(), "-j"])
        msgs = []
        for line in out.splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    msgs.append(QueuedMessage.from_json(json.loads(line)))
                except (ValueError, TypeError):
                    continue
        return msgs

    def held(self, sender: str | None = None) -> list[QueuedMessage]:
        """Messages in the hold queue (of ``sender``'s envelope address when given)."""
        want = sender.strip().lower() if sender else None
        return [m for m in self.messages()
                if m.queue_name == "hold" and (want is None or m.sender.lower() == want)]

    def _postsuper(self, flag: str, ids: Sequence[str]) -> None:
        if ids:
            self._run([self.postsuper, *self._c(), flag, "-"], stdin="\n".join(ids) + "\n")

    def release(self, ids: Sequence[str]) -> None:
        """``postsuper -H`` (hold -> deferred), then ``postqueue -i`` each, so they go out now."""
        self._postsuper("-H", ids)
        for qid in ids:
            try:
                self._run([self.postqueue, *self._c(), "-i", qid])
            except QueueError:  # already picked up by the queue manager
                pass

    def delete(self, ids: Sequence[str]) -> None:
        """``postsuper -d``: the messages are gone for good."""
        self._postsuper("-d", ids)
