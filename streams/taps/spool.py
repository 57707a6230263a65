"""A local disk spool for the records a tap accepted but could not produce.

The milter tap answers Postfix at once and produces afterwards (it never delays mail);
when the broker does not take a record (down, timing out, refusing), the record is
appended here instead of being lost, and sent again, oldest first, once the broker
answers. Records survive a restart of the tap: a new :class:`Spool` on the same
directory sends what the last one left. Delivery is at least once: a record whose send
succeeded just before a crash may be sent again (the detectors skip a re-delivered
``event_id``).

Layout: ``DIR/<nanoseconds>.spool`` segments of one JSON object per line
(``{"t": topic, "k": key, "v": value, "h": [[name, value], ...]}``, bytes in base64), each
line written with one ``write`` and the file synced before :meth:`Spool.append` returns. A
segment is sent whole and deleted; a send that fails part way leaves the rest, rewritten
atomically, for the next attempt. A torn last line (a crash during the write) is skipped.
At most ``max_bytes`` are kept: a record beyond that is refused (the caller counts it).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import threading
import time
from typing import Any, Awaitable, Callable, Sequence

import orjson

__all__ = ["Spool", "SpoolError"]

log = logging.getLogger("mailflow.spool")

#: a segment is closed (and can be sent) once it holds this many bytes, or when a resend starts
SEGMENT_BYTES = 16 * 1024 * 1024


class SpoolError(Exception):
    """The spool directory cannot be used."""


def _b64(b: bytes | None) -> str | None:
    return None if b is None else base64.b64encode(b).decode("ascii")


def _unb64(s: str | None) -> bytes | None:
    return None if s is None else base64.b64decode(s)


def _encode(topic: str, key: bytes | None, value: bytes, headers: Sequence[tuple[str, bytes]]) -> bytes:
    return orjson.dumps({"t": topic, "k": _b64(key), "v": _b64(value),
                         "h": [[str(n), _b64(bytes(v))] for n, v in headers or ()]}) + b"\n"


def _decode(line: bytes) -> tuple[str, bytes | None, bytes, list[tuple[str, bytes]]]:
    d = orjson.loads(line)
    return d["t"], _unb64(d["k"]), _unb64(d["v"]), [(n, _unb64(v)) for n, v in d["h"]]


class Spool:
    """Records kept on disk until :meth:`resend` hands them to the broker.

    ``append`` may be called from any thread (it blocks for the write and the sync);
    ``resend`` runs on the event loop, one at a time.
    """

    def __init__(self, directory: str, max_bytes: int = 1 << 30) -> None:
        self.directory = directory
        self.max_bytes = int(max_bytes)
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as exc:
            raise SpoolError(f"cannot create the spool directory {directory!r}: {exc}") from None
        if not os.access(directory, os.W_OK):
            raise SpoolError(f"the spool directory {directory!r} is not writable")
        self._lock = threading.Lock()
        self._resending = asyncio.Lock()
        self._fh = None  # the open segment (appends)
        self._fh_path = ""
        self._fh_bytes = 0
        self.records = 0
        self.bytes = 0
        for name in os.listdir(directory):
            if name.endswith(".spool.tmp"):  # a rewrite a crash interrupted: its segment is intact
                os.unlink(os.path.join(directory, name))
        for path in self._segments():
            with open(path, "rb") as fh:
                self.records += sum(1 for line in fh if line.endswith(b"\n"))
            self.bytes += os.path.getsize(path)

    def _segments(self) -> list[str]:
        names = sorted(n for n in os.listdir(self.directory) if n.endswith(".spool"))
        return [os.path.join(self.directory, n) for n in names]

    # ------------------------------------------------------------------ append
    def append(self, topic: str, key: bytes | None, value: bytes, headers: Sequence[tuple[str, bytes]] = ()) -> bool:
        """Keep one record (written and synced when this returns True); False when the spool is
        full or the disk refuses the write (the record is not kept)."""
        line = _encode(topic, key, value, headers)
        with self._lock:
            if self.bytes + len(line) > self.max_bytes:
                return False
            try:
                if self._fh is None or self._fh_bytes >= SEGMENT_BYTES:
                    self._rotate()
                self._fh.write(line)
                self._fh.flush()
                os.fsync(self._fh.fileno())
            except OSError as exc:
                log.warning("spool: a record could not be written (%s)", type(exc).__name__)
                if self._fh is not None:  # a part of the line may be written: the next append starts a new file
                    try:
                        self._fh.close()
                    except OSError:
                        pass
                    self._fh = None
                return False
            self._fh_bytes += len(line)
            self.records += 1
            self.bytes += len(line)
            return True

    def _rotate(self) -> None:
        """Close the open segment (it can be sent now) and open a new one (lock held)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        path = os.path.join(self.directory, f"{time.time_ns():020d}.spool")
        while os.path.exists(path):  # two segments within the clock's resolution
            path = path[:-6] + "1.spool"
        self._fh = open(path, "ab")
        self._fh_path, self._fh_bytes = path, 0

    def _close_open_segment(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None
                if self._fh_bytes == 0:
                    os.unlink(self._fh_path)

    # ------------------------------------------------------------------ resend
    async def resend(self, send: Callable[[str, bytes | None, bytes, Any], Awaitable[Any]]) -> int:
        """Send the kept records, oldest first, with ``await send(topic, key, value, headers)``;
        stops at the first failure (the rest stays). Returns how many were sent."""
        async with self._resending:
            self._close_open_segment()  # new appends go to a new segment meanwhile
            sent = 0
            for path in self._segments():
                with self._lock:
                    if path == self._fh_path and self._fh is not None:
                        break  # opened by an append since: the next resend sends it
                with open(path, "rb") as fh:
                    lines = [ln for ln in fh.read().split(b"\n") if ln]
                done = 0
                try:
                    for line in lines:
                        try:
                            record = _decode(line)
                        except (ValueError, KeyError, TypeError):  # a torn last line (crash mid-write)
                            log.warning("spool: skipped an unreadable record in %s", os.path.basename(path))
                            done += 1
                            continue
                        try:
                            await send(*record)
                        except Exception as exc:  # the broker refuses again: the rest waits
                            log.debug("spool: resend stopped (%s)", type(exc).__name__)
                            return sent
                        done += 1
                        sent += 1
                finally:
                    self._settle(path, lines, done)
            return sent

    def _settle(self, path: str, lines: list[bytes], done: int) -> None:
        """``done`` of the segment's ``lines`` are sent: delete it, or keep the rest (atomically)."""
        if done == 0:
            return
        gone = sum(len(ln) + 1 for ln in lines[:done])
        if done >= len(lines):
            os.unlink(path)
        else:
            tmp = path + ".tmp"
            with open(tmp, "wb") as fh:
                fh.write(b"".join(ln + b"\n" for ln in lines[done:]))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        with self._lock:  # (a skipped torn line was never counted: hence the floor)
            self.records = max(0, self.records - done)
            self.bytes = max(0, self.bytes - gone)

    def close(self) -> None:
        self._close_open_segment()
