"""The operations endpoint of every long-running command: ``/metrics``, ``/healthz``, ``/readyz``.

One small threaded WSGI server (standard library ``wsgiref`` with prometheus-client's
public :func:`~prometheus_client.make_wsgi_app`), optionally behind TLS:

* ``/metrics`` (and any other path, as prometheus-client serves it): the registry;
* ``/healthz``: ``200 ok`` while the process serves at all (liveness);
* ``/readyz``: ``200 ready`` once the command is ready for traffic, else ``503`` and
  the reason (readiness). The worker is ready when Faust finished the table's recovery
  after the latest partition assignment (its ``on_rebalance_complete`` signal) and not
  ready from a revocation until then; the taps and the guard are ready as soon as they
  serve.

TLS (``--metrics-certfile`` and ``--metrics-keyfile``, PEM) serves HTTPS only;
``--metrics-client-cafile`` also requires a client certificate signed by that CA
(mutual TLS, for a Prometheus with ``tls_config: {cert_file, key_file}``).
Basic authentication (``--metrics-username`` and ``MAILFLOW_METRICS_PASSWORD``) protects
``/metrics``; ``/healthz`` and ``/readyz`` stay open for the probes (they tell nothing
but "alive" and "ready"). Use it with TLS: basic auth sends the password in clear text.

Public API::

    Readiness, TlsFiles, serve(registry, host, port, *, ready=None, tls=None, auth=None)
"""

from __future__ import annotations

import base64
import hmac
import socket
import ssl
import threading
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any, Callable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app

__all__ = ["Readiness", "TlsFiles", "serve"]


class Readiness:
    """A thread-safe "ready or why not" flag for ``/readyz``.

    >>> r = Readiness("waiting for the first partition assignment")
    >>> r(), r.set_ready(), r()
    ((False, 'waiting for the first partition assignment'), None, (True, 'ready'))
    >>> r.set_not_ready("partitions revoked: rebalancing"); r()
    (False, 'partitions revoked: rebalancing')
    """

    def __init__(self, reason: str | None = None) -> None:
        self._lock = threading.Lock()
        self._ready = reason is None
        self._reason = reason or "ready"

    def set_ready(self) -> None:
        with self._lock:
            self._ready, self._reason = True, "ready"

    def set_not_ready(self, reason: str) -> None:
        with self._lock:
            self._ready, self._reason = False, reason

    def __call__(self) -> tuple[bool, str]:
        with self._lock:
            return self._ready, self._reason


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of the endpoint's TLS: its certificate and key, and the CA of the
    client certificates it requires (None: any client, no certificate asked)."""

    certfile: str
    keyfile: str
    client_cafile: str | None = None

    def context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.certfile, self.keyfile)
        if self.client_cafile:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(cafile=self.client_cafile)
        return ctx


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """No access log (scrapes every 15 s would flood it)."""


def _authorized(header: str | None, auth: tuple[str, str]) -> bool:
    if not header or not header.startswith("Basic "):
        return False
    try:
        given = base64.b64decode(header[6:].strip(), validate=True)
    except ValueError:
        return False
    want = f"{auth[0]}:{auth[1]}".encode("utf-8")
    return hmac.compare_digest(given, want)


def _app(registry, ready: Callable[[], tuple[bool, str]], auth: tuple[str, str] | None = None) -> Callable:
    metrics = make_wsgi_app(registry)

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n"]
        if path == "/readyz":
            ok, reason = ready()
            start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "text/plain; charset=utf-8")])
            return [(reason + "\n").encode()]
        if auth is not None and not _authorized(environ.get("HTTP_AUTHORIZATION"), auth):
            start_response("401 Unauthorized", [("Content-Type", "text/plain; charset=utf-8"),
                                                ("WWW-Authenticate", 'Basic realm="mailflow metrics"')])
            return [b"unauthorized\n"]
        return metrics(environ, start_response)

    return app


def serve(registry, host: str, port: int, *, ready: Callable[[], tuple[bool, str]] | None = None,
          tls: TlsFiles | None = None, auth: tuple[str, str] | None = None) -> tuple[WSGIServer, threading.Thread]:
    """Serve ``registry``, ``/healthz`` and ``/readyz`` (``ready()``: ``(ok, reason)``;
    None: always ready) on ``host:port`` in a daemon thread; HTTPS with ``tls``; the
    registry only with HTTP basic authentication as ``auth`` (user, password) if given.

    Raises :class:`OSError` when the port cannot be bound and :class:`ssl.SSLError`
    (an ``OSError``) or :class:`FileNotFoundError` for bad TLS files."""
    server_class = _Server6 if ":" in host else _Server
    ctx = tls.context() if tls is not None else None  # bad files fail before the port is taken
    httpd = make_server(host, port, _app(registry, ready or (lambda: (True, "ready")), auth), server_class,
                        handler_class=_Quiet)
    if ctx is not None:
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    t = threading.Thread(target=httpd.serve_forever, name="mailflow-metrics", daemon=True)
    t.start()
    return httpd, t
