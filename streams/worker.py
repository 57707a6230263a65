"""``mailflow worker``: the streaming worker.

Reads outbound-mail events from the input topic, writes alerts and dead letters,
keeps each sender's learned state in a changelog-backed table and serves
Prometheus metrics on ``--metrics-port``. Several workers with the same
``--app-id`` share the input partitions. SIGINT/SIGTERM stop it cleanly.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Mapping, Sequence

from detectors.errors import ConfigError

from .settings import WorkerSettings, build_parser, parse_settings

__all__ = ["main", "serve_metrics"]

log = logging.getLogger("mailflow.worker")


def serve_metrics(registry, settings: WorkerSettings, ready=None):
    """Serve ``registry`` with ``/healthz`` and ``/readyz`` (``ready``: see
    :func:`streams.httpd.serve`) on ``settings.metrics_host:metrics_port``, over TLS
    when the settings name the files (a daemon thread); ``None`` if port 0."""
    if not settings.metrics_port:
        return None
    from .httpd import TlsFiles, serve

    tls = (TlsFiles(settings.metrics_certfile, settings.metrics_keyfile, settings.metrics_client_cafile)
           if settings.metrics_certfile else None)
    auth = (settings.metrics_username, settings.metrics_password) if settings.metrics_username else None
    return serve(registry, settings.metrics_host, settings.metrics_port, ready=ready, tls=tls, auth=auth)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in argv):
        build_parser().print_help()
        return 0
    try:
        settings = parse_settings(argv, os.environ if env is None else env)
    except ConfigError as exc:
        print(f"mailflow worker: {exc}", file=sys.stderr)
        return 2

    from .app import create_app  # Faust is imported only now

    mapp = create_app(settings)
    try:
        serve_metrics(mapp.metrics.registry, settings, ready=mapp.readiness)
    except OSError as exc:
        print(f"mailflow worker: cannot serve /metrics on {settings.metrics_host}:{settings.metrics_port}: {exc}", file=sys.stderr)
        return 2
    worker = mapp.make_worker()
    log.info(
        "worker %s: broker %s, input %s, alerts %s, dlq %s, metrics port %s",
        settings.app_id,
        ",".join(settings.bootstrap_servers),
        settings.input_topic,
        settings.alerts_topic,
        settings.dlq_topic,
        settings.metrics_port,
    )
    push = mapp.alert_push
    if push is not None:
        push.start()
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:  # mode's worker always exits
        code = exc.code
        return int(code) if isinstance(code, int) else (0 if code is None else 1)
    finally:
        if push is not None:
            push.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
