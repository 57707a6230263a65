"""The operations endpoint: /metrics, /healthz, /readyz, over plain HTTP, TLS and mutual TLS."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request

import pytest
from prometheus_client import CollectorRegistry, Counter

from detectors.errors import ConfigError
from streams.httpd import Readiness, TlsFiles, serve
from streams.settings import parse_settings


def _registry():
    reg = CollectorRegistry()
    Counter("mailflow_events_processed_total", "events", registry=reg).inc(3)
    return reg


def _get(url, context=None):
    try:
        with urllib.request.urlopen(url, timeout=5, context=context) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.fixture
def server(free_port):
    started = []

    def start(**kw):
        port = free_port()
        httpd, _ = serve(_registry(), "127.0.0.1", port, **kw)
        started.append(httpd)
        return port

    yield start
    for httpd in started:
        httpd.shutdown()
        httpd.server_close()


def test_metrics_health_and_readiness(server):
    ready = Readiness("starting: no partition assignment yet")
    port = server(ready=ready)
    base = f"http://127.0.0.1:{port}"
    status, body = _get(base + "/metrics")
    assert status == 200 and "mailflow_events_processed_total 3.0" in body
    assert _get(base + "/healthz") == (200, "ok\n")
    assert _get(base + "/readyz") == (503, "starting: no partition assignment yet\n")
    ready.set_ready()
    assert _get(base + "/readyz") == (200, "ready\n")
    ready.set_not_ready("partitions revoked: rebalancing")
    assert _get(base + "/readyz")[0] == 503
    assert _get(base + "/healthz")[0] == 200  # alive all along


def test_without_a_readiness_check_it_is_ready(server):
    port = server()
    assert _get(f"http://127.0.0.1:{port}/readyz") == (200, "ready\n")


# ------------------------------------------------------------------- TLS, real certificates
# (the ``pki`` fixture: tests/conftest.py)

def _client(pki, with_cert=False):
    ctx = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    if with_cert:
        ctx.load_cert_chain(str(pki / "client.pem"), str(pki / "client.key"))
    return ctx


def test_tls_serves_https_only(server, pki):
    port = server(tls=TlsFiles(str(pki / "server.pem"), str(pki / "server.key")))
    status, body = _get(f"https://127.0.0.1:{port}/metrics", _client(pki))
    assert status == 200 and "mailflow_events_processed_total" in body
    with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
        _get(f"http://127.0.0.1:{port}/metrics")  # plain HTTP gets no metrics
    with pytest.raises(urllib.error.URLError):  # a client that does not trust the CA refuses the server
        _get(f"https://127.0.0.1:{port}/metrics", ssl.create_default_context())


def test_mutual_tls_requires_a_client_certificate_of_the_ca(server, pki):
    port = server(tls=TlsFiles(str(pki / "server.pem"), str(pki / "server.key"), str(pki / "ca.pem")))
    url = f"https://127.0.0.1:{port}/healthz"
    assert _get(url, _client(pki, with_cert=True)) == (200, "ok\n")
    with pytest.raises((urllib.error.URLError, ConnectionError, ssl.SSLError, OSError)):
        _get(url, _client(pki, with_cert=False))


def test_bad_tls_settings_name_every_problem(pki, tmp_path):
    with pytest.raises(ConfigError) as exc:
        parse_settings(["--metrics-certfile", str(pki / "server.pem"),
                        "--metrics-client-cafile", str(tmp_path / "missing.pem")])
    text = str(exc.value)
    assert "give both" in text and "missing.pem" in text
    ok = parse_settings(["--metrics-certfile", str(pki / "server.pem"), "--metrics-keyfile", str(pki / "server.key")])
    assert ok.metrics_certfile.endswith("server.pem")


# ------------------------------------------------------------------- basic authentication
def _get_auth(url, user, password, context=None):
    import base64

    req = urllib.request.Request(url)
    if user is not None:
        req.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=5, context=context) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_basic_auth_protects_metrics_not_the_probes(server):
    port = server(auth=("prom", "s3cret-pass"))
    base = f"http://127.0.0.1:{port}"
    assert _get_auth(base + "/metrics", None, None)[0] == 401
    assert _get_auth(base + "/metrics", "prom", "wrong")[0] == 401
    assert _get_auth(base + "/metrics", "other", "s3cret-pass")[0] == 401
    status, body = _get_auth(base + "/metrics", "prom", "s3cret-pass")
    assert status == 200 and "mailflow_events_processed_total" in body
    assert _get(base + "/healthz") == (200, "ok\n")  # the probes carry no credentials
    assert _get(base + "/readyz")[0] == 200


def test_basic_auth_settings_name_every_problem():
    with pytest.raises(ConfigError) as exc:
        parse_settings(["--metrics-username", "a:b"])
    text = str(exc.value)
    assert "give both" in text and "must not contain ':'" in text
    ok = parse_settings(["--metrics-username", "prom"], {"MAILFLOW_METRICS_PASSWORD": "s3cret-pass"})
    assert ok.redacted()["metrics_password"] == "***" and "s3cret" not in repr(ok)
