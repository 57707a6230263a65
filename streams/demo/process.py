"""Child processes that never outlive their parent, and the demo's ``mailflow worker``.

Each child runs in its own process group (no stray Ctrl-C; the whole group is
signalled on stop) and, on Linux, asks the kernel to kill it when the thread that
started it dies (``PR_SET_PDEATHSIG``). Standard library only.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any, Callable

__all__ = ["pdeathsig_preexec", "child_kwargs", "terminate", "WorkerProcess"]


def pdeathsig_preexec(parent_pid: int) -> Callable[[], None]:
    """A ``preexec_fn`` asking the kernel to SIGKILL the child when its parent (thread) dies.

    Parameters
    ----------
    parent_pid
        The parent's pid; a child re-parented before the request took effect exits at once.

    """

    def _fn() -> None:  # runs in the child between fork and exec
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except Exception:  # pragma: no cover - best effort
            pass
        # the parent may have died between fork and prctl: then we were re-parented
        if os.getppid() != parent_pid:
            os._exit(1)

    return _fn


def child_kwargs() -> dict[str, Any]:
    """``subprocess.Popen`` keywords for a child in its own group, killed with its parent."""
    kwargs: dict[str, Any] = {}
    if sys.platform.startswith("linux"):
        kwargs["preexec_fn"] = pdeathsig_preexec(os.getpid())
    if os.name == "posix":
        kwargs["start_new_session"] = True  # own process group: no stray Ctrl-C, killpg on stop
    return kwargs


def terminate(proc: subprocess.Popen, timeout: float) -> None:
    """SIGTERM the child's process group (or the child), wait ``timeout`` seconds, then SIGKILL."""

    def _signal(sig: int) -> None:
        try:
            if os.name == "posix":
                try:
                    os.killpg(proc.pid, sig)  # the child leads its own group
                    return
                except (ProcessLookupError, PermissionError):
                    pass
            proc.send_signal(sig)
        except (ProcessLookupError, OSError):
            pass

    if proc.poll() is None:
        _signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal(signal.SIGKILL)
            try:
                proc.wait(5.0)
            except subprocess.TimeoutExpired:  # pragma: no cover
                pass
    else:
        proc.wait()
    # anything left in the group (the children do not fork, but be thorough)
    if os.name == "posix":
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass


class WorkerProcess:
    """A ``mailflow worker`` subprocess in its own process group, killed with its parent.

    Parameters
    ----------
    args
        The worker's command-line options.
    log_path
        Where its stdout and stderr go (appended).

    """

    def __init__(self, args: list[str], log_path: str) -> None:
        self.cmd = [sys.executable, "-m", "streams.cli", "worker", *args]
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        """Start the worker (with this checkout first on ``PYTHONPATH``)."""
        env = dict(os.environ)
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         env=env, **child_kwargs())
        return self

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        """Whether the worker was started and has not exited."""
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        """The last lines of the worker's log, indented (for error messages)."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 8192))
                tail = f.read().decode("utf-8", "replace").splitlines()[-lines:]
        except OSError:
            return "(no worker log)"
        return "\n".join("    " + l for l in tail)

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the worker (see :func:`terminate`); idempotent."""
        proc, self.proc = self.proc, None
        if proc is not None:
            terminate(proc, timeout)
