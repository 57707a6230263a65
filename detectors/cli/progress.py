"""The one progress reporter of the command-line tools (``mailflow replay``, ``mailflow produce``).

A bar redrawn in place on a terminal, a plain line every few seconds otherwise,
always on standard error so that standard output stays the tool's data.
"""

from __future__ import annotations

import sys
import time
from typing import IO

__all__ = ["Progress", "format_duration"]


def format_duration(seconds: float) -> str:
    """``m:ss`` or ``h:mm:ss``.

    >>> format_duration(75), format_duration(3725)
    ('1:15', '1:02:05')
    """
    seconds = int(max(0, seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """Progress of a long run over ``total`` (events, or bytes of input with ``update(count, done=...)``).

    Parameters
    ----------
    total
        How much there is to do (``None``: unknown, no bar and no ETA).
    stream
        Where to write (default standard error).
    enabled
        ``False``: write nothing (``--no-progress``).
    label
        What ``count`` counts (``events``).
    tty
        Redraw in place (default: whether ``stream`` is a terminal).
    plain_every
        Seconds between plain lines when not on a terminal.
    clock
        Monotonic clock, for tests.

    Examples
    --------
    >>> import io
    >>> t = [0.0]
    >>> out = io.StringIO()
    >>> p = Progress(200, stream=out, tty=False, plain_every=5.0, clock=lambda: t[0])
    >>> t[0] = 10.0; p.update(50)
    >>> print(out.getvalue().strip())
    [######..................] 50/200 events  25.0%  5 events/s  ETA 0:30
    >>> out = io.StringIO()
    >>> p = Progress(4000, stream=out, tty=False, clock=lambda: t[0])  # 4000 bytes of input
    >>> t[0] = 20.0; p.update(300, done=1000)
    >>> print(out.getvalue().strip())
    [######..................] 300 events  25.0%  30 events/s  ETA 0:30
    """

    def __init__(self, total: int | None = None, stream: IO[str] | None = None, enabled: bool = True,
                 label: str = "events", tty: bool | None = None, plain_every: float = 5.0, clock=time.monotonic) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.label = label
        self.tty = self.stream.isatty() if tty is None else tty
        self.plain_every = plain_every
        self.interval = 0.2 if self.tty else plain_every
        self.clock = clock
        self.start = clock()
        self._last = self.start
        self.count = 0
        self.done: int | None = None

    @property
    def elapsed(self) -> float:
        """Seconds since the start."""
        return self.clock() - self.start

    def update(self, count: int, done: int | None = None, force: bool = False) -> None:
        """``count`` done so far (and ``done`` of ``total`` when the total is not a count, e.g. bytes)."""
        self.count = count
        self.done = done
        if not self.enabled:
            return
        now = self.clock()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        self.stream.write(("\r\x1b[K" if self.tty else "") + self.render(now) + ("" if self.tty else "\n"))
        self.stream.flush()

    def render(self, now: float | None = None) -> str:
        now = self.clock() if now is None else now
        elapsed = max(1e-9, now - self.start)
        rate = self.count / elapsed
        if self.total:
            by_count = self.done is None
            frac = min(1.0, (self.count if by_count else self.done) / self.total)
            width = 24
            filled = int(frac * width)
            bar = "#" * filled + "." * (width - filled)
            eta = format_duration(elapsed * (1 - frac) / frac) if frac > 0 else "?"
            counted = f"{self.count:,}/{self.total:,}" if by_count else f"{self.count:,}"
            return f"[{bar}] {counted} {self.label} {frac:6.1%}  {rate:,.0f} {self.label}/s  ETA {eta}"
        return f"{self.count:,} {self.label}  {rate:,.0f} {self.label}/s  elapsed {format_duration(elapsed)}"

    def close(self) -> None:
        """The final line (and a newline after an in-place bar)."""
        if self.enabled:
            self.update(self.count, self.done, force=True)
            if self.tty:
                self.stream.write("\n")
                self.stream.flush()
