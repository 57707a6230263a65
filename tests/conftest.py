"""Shared fixtures: the embedded Tansu broker (session-wide), free ports."""

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
