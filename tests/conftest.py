"""Shared fixtures: the embedded Tansu broker (session-wide), free ports, a test PKI."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def broker():
    """A running embedded Tansu broker for the whole session (``broker.bootstrap``, ``broker.url``).

    Tests that use it are marked ``@pytest.mark.broker``; each uses its own
    topics and app id, so they never see each other's records.
    """
    from streams.demo.broker import BrokerError, TansuBroker

    try:
        b = TansuBroker()
        b.start()
    except (BrokerError, OSError, FileNotFoundError) as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"embedded Tansu broker unavailable: {exc}")
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture(scope="session")
def free_port():
    """A function returning a free loopback TCP port."""
    from streams.demo.broker import free_port as _free_port

    return _free_port


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """A CA (``ca.pem``), a server certificate for 127.0.0.1 (``server.pem``/``.key``) and a
    client certificate (``client.pem``/``.key``), signed by the CA with Debian's openssl."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:  # pragma: no cover - Debian has it
        pytest.skip("openssl is not installed")
    d = tmp_path_factory.mktemp("pki")

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
            "-keyout", "ca.key", "-out", "ca.pem")
    (d / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, ext in (("server", ["-extfile", "server.ext"]), ("client", [])):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", f"{name}.key",
                "-out", f"{name}.csr")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-out", f"{name}.pem", *ext)
    return d
