"""The real Prometheus scrapes the operations endpoint over mutual TLS with basic auth (issue 13).

One endpoint (:func:`streams.httpd.serve`, the worker's and the taps') requires a client
certificate of the test CA. Prometheus scrapes it twice: once with ``scheme: https`` and a
``tls_config`` holding the CA and a client certificate and ``basic_auth`` (``up`` 1, the
samples arrive), once without the client certificate and once without the password (``up``
0: refused).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request

import pytest
import yaml
from prometheus_client import CollectorRegistry, Counter

from streams.httpd import TlsFiles, serve


def _query(base: str, expr: str) -> list:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())["data"]["result"]


def test_prometheus_scrapes_over_mutual_tls(pki, free_port, tmp_path):
    prom = shutil.which("prometheus")
    if prom is None:
        pytest.skip("Prometheus is not installed (run `make servers`)")
    reg = CollectorRegistry()
    Counter("mailflow_events_processed_total", "events", registry=reg).inc(7)
    port = free_port()
    httpd, _ = serve(reg, "127.0.0.1", port, tls=TlsFiles(str(pki / "server.pem"), str(pki / "server.key"),
                                                          str(pki / "ca.pem")), auth=("prom", "s3cret-pass"))
    tls = {"ca_file": str(pki / "ca.pem")}
    cfg = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
        "scrape_configs": [
            {"job_name": "mtls", "scheme": "https", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}],
             "tls_config": dict(tls, cert_file=str(pki / "client.pem"), key_file=str(pki / "client.key")),
             "basic_auth": {"username": "prom", "password": "s3cret-pass"}},
            {"job_name": "no-client-cert", "scheme": "https", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}],
             "tls_config": tls, "basic_auth": {"username": "prom", "password": "s3cret-pass"}},
            {"job_name": "no-password", "scheme": "https", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}],
             "tls_config": dict(tls, cert_file=str(pki / "client.pem"), key_file=str(pki / "client.key"))},
        ],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(cfg))
    web = free_port()
    log = open(tmp_path / "prometheus.log", "wb")
    proc = subprocess.Popen([prom, f"--config.file={tmp_path / 'prometheus.yml'}",
                             f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{web}"],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{web}"
    try:
        deadline, up, samples = time.monotonic() + 60, {}, []
        while time.monotonic() < deadline:
            try:
                up = {r["metric"]["job"]: r["value"][1] for r in _query(base, "up")}
                samples = _query(base, 'mailflow_events_processed_total{job="mtls"}')
            except OSError:
                pass  # Prometheus still starting
            if up.get("mtls") == "1" and "no-client-cert" in up and "no-password" in up and samples:
                break
            time.sleep(0.5)
        assert up.get("mtls") == "1", (up, (tmp_path / "prometheus.log").read_text(errors="replace")[-2000:])
        assert up.get("no-client-cert") == "0"
        assert up.get("no-password") == "0"  # the right certificate, but no basic-auth credentials
        assert [s["value"][1] for s in samples] == ["7"]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        log.close()
        httpd.shutdown()
        httpd.server_close()
