"""Worker settings: flags, environment, validation, exit code 2."""

from __future__ import annotations

import pytest

from detectors.errors import ConfigError
from streams.settings import WorkerSettings, parse_settings
from streams.worker import main


def test_defaults_are_valid():
    s = parse_settings([], env={})
    assert s == WorkerSettings()
    assert s.broker_urls == ["kafka://localhost:9092"]
    assert s.broker_credentials() is None


def test_flags_override_environment():
    env = {"MAILFLOW_BROKER": "kafka://envhost:9092", "MAILFLOW_METRICS_PORT": "9000", "MAILFLOW_INPUT_TOPIC": "env.in",
           "MAILFLOW_INTERNAL_DOMAINS": "Example.com, example.org"}
    s = parse_settings(["--broker", "flaghost:9093,other:9094", "--metrics-port", "9100"], env=env)
    assert s.broker_urls == ["kafka://flaghost:9093", "kafka://other:9094"]
    assert s.bootstrap_servers == ["flaghost:9093", "other:9094"]
    assert s.metrics_port == 9100
    assert s.input_topic == "env.in"
    assert s.internal_domains == ("example.com", "example.org")
    s = parse_settings(["--internal-domain", "a.com", "--internal-domain", "b.com"], env=env)
    assert s.internal_domains == ("a.com", "b.com")
    assert s.detector_mapping() == {"internal_domains": ["a.com", "b.com"]}


def test_every_bad_entry_in_one_error():
    env = {"MAILFLOW_PARTITIONS": "zero", "MAILFLOW_SECURITY_PROTOCOL": "SASL_SSL"}
    with pytest.raises(ConfigError) as ei:
        parse_settings(["--broker", "http://x", "--metrics-port", "70000", "--input-topic", "bad topic",
                        "--batch-within", "-1", "--ssl-cafile", "/nonexistent/ca.pem"], env=env)
    text = "\n".join(ei.value.problems)
    for word in ("partitions", "broker", "metrics_port", "input_topic", "batch_within", "sasl_mechanism",
                 "sasl_username", "sasl_password", "ssl_cafile"):
        assert word in text, word
    assert len(ei.value.problems) >= 9


def test_sasl_settings_and_password_from_env_are_not_shown():
    env = {"MAILFLOW_SASL_PASSWORD": "s3cret"}
    s = parse_settings(["--security-protocol", "sasl_plaintext", "--sasl-mechanism", "scram-sha-512", "--sasl-username", "svc"], env=env)
    assert s.security_protocol == "SASL_PLAINTEXT" and s.sasl_mechanism == "SCRAM-SHA-512"
    assert "s3cret" not in repr(s) and s.redacted()["sasl_password"] == "***"
    creds = s.broker_credentials()
    assert creds.username == "svc" and creds.password == "s3cret"
    assert str(creds.mechanism.value) == "SCRAM-SHA-512"


def test_ssl_context(tmp_path):
    import ssl

    s = parse_settings(["--security-protocol", "SSL"], env={})
    assert isinstance(s.ssl_context(), ssl.SSLContext)
    creds = s.broker_credentials()
    assert creds.context is not None


def test_sasl_with_plaintext_protocol_is_an_error():
    with pytest.raises(ConfigError) as ei:
        parse_settings(["--sasl-username", "u"], env={})
    assert "sasl" in ei.value.problems[0]


def test_detector_settings_are_validated_too():
    with pytest.raises(ConfigError) as ei:
        parse_settings(["--internal-domain", "not a domain"], env={})
    assert any("internal_domains" in p for p in ei.value.problems)


def test_worker_main_exits_2_with_all_problems(capsys):
    rc = main(["--metrics-port", "x", "--partitions", "0", "--store", "redis://"], env={})
    assert rc == 2
    err = capsys.readouterr().err
    assert "metrics_port" in err and "partitions" in err and "store" in err


def test_worker_help(capsys):
    assert main(["--help"], env={}) == 0
    out = capsys.readouterr().out
    assert "--metrics-port" in out and "MAILFLOW_BROKER" in out and "--internal-domain" in out


def test_detector_settings_come_from_the_given_environment_not_the_process():
    """parse_settings(env=...) reads MAILFLOW_DETECTOR_* from env, as mailflow replay does, never os.environ."""
    import os

    from detectors.cli.common import config_from_args

    env = {"MAILFLOW_DETECTOR_BUCKET_SECONDS": "120", "MAILFLOW_DETECTOR_TIMEZONE": "Europe/Berlin"}
    os.environ["MAILFLOW_DETECTOR_BUCKET_SECONDS"] = "30"
    try:
        s = parse_settings([], env=env)
        assert s.detector_mapping() == {"bucket_seconds": "120", "timezone": "Europe/Berlin"}
        assert parse_settings([], env={}).detector_mapping() == {}
    finally:
        del os.environ["MAILFLOW_DETECTOR_BUCKET_SECONDS"]
    import argparse

    replay_cfg = config_from_args(argparse.Namespace(), environ=env)
    from detectors.config import SentinelConfig

    assert SentinelConfig.from_mapping(s.detector_mapping()) == replay_cfg
    with pytest.raises(ConfigError) as ei:
        parse_settings([], env={"MAILFLOW_DETECTOR_BUCKET_SECONDS": "0"})
    assert any("bucket_seconds" in p for p in ei.value.problems)


@pytest.mark.parametrize("broker, expected", [
    ("kafka://a:1", ["a:1"]),
    ("a:1;b:2", ["a:1", "b:2"]),
    ("kafka://a:1,kafka://b:2", ["a:1", "b:2"]),
    ("a", ["a:9092"]),
])
def test_one_broker_grammar_for_every_command(broker, expected):
    """mailflow worker and mailflow produce read a broker the same way."""
    import argparse

    from streams.produce import validate

    assert parse_settings(["--broker", broker], env={}).bootstrap_servers == expected
    args = argparse.Namespace(file="-", broker=broker, topic="mail.outbound", rate=0, timeout=1)
    assert validate(args) == [] and args.bootstrap == expected


def test_a_bad_broker_is_refused_the_same_way_everywhere():
    import argparse

    from streams.produce import validate

    for bad in ("http://x:1", "a:0", "a:b", ""):
        with pytest.raises(ConfigError):
            parse_settings(["--broker", bad], env={})
        args = argparse.Namespace(file="-", broker=bad, topic="mail.outbound", rate=0, timeout=1)
        assert any(p.startswith("--broker:") for p in validate(args)), bad
