"""The real Apache Kafka broker (KRaft, single node) for the tests in tests/kafka.

``kafka`` is session-wide: one JVM for every test here, each test using its own
topics and app id. The jars come from ``make kafka`` (see docs/kafka.md); when
they are missing the tests FAIL, saying so: they are never skipped silently.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest


def _harness():
    """``kafka_harness`` beside this file, imported once under that name (importlib mode puts no test dir on sys.path)."""
    mod = sys.modules.get("kafka_harness")
    if mod is None:
        spec = importlib.util.spec_from_file_location("kafka_harness", Path(__file__).with_name("kafka_harness.py"))
        mod = importlib.util.module_from_spec(spec)
        sys.modules["kafka_harness"] = mod
        spec.loader.exec_module(mod)
    return mod


harness = _harness()


@pytest.fixture(scope="session")
def kafka(tmp_path_factory):
    """A running single-node KRaft Apache Kafka on free loopback ports (``.bootstrap``, ``.url``).

    Helpers: ``create_topic(name, partitions)``, ``delete_topic(name)``,
    ``produce(topic, records)``, ``consume_all(topic, expect_at_least, timeout)``,
    ``latest_states(app_id)``, ``make_topics(prefix)``; see ``kafka_harness.KafkaBroker``.
    The JVM is stopped by its pid at the end (SIGTERM, then SIGKILL).
    """
    broker = harness.KafkaBroker(tmp_path_factory.mktemp("kafka"))
    missing = None
    try:
        broker.check_installed()
    except harness.KafkaMissing as exc:
        missing = str(exc)
    if missing:  # fail, never skip: these tests are the suite's only run on a real Kafka
        pytest.fail(f"tests/kafka need the real Apache Kafka broker. {missing}", pytrace=False)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
