"""``mailflow tap smtp`` settings: flags, the shared MAILFLOW_* environment, validation."""

from __future__ import annotations

import asyncio

import pytest

from detectors.errors import ConfigError
from streams.cli import main as cli_main
from streams.taps.mime import parse_rule
from streams.taps.smtp import DEFAULT_METRICS_PORT, JournalHandler, TapMetrics, parse_tap_settings


def test_flags_of_the_contract():
    s = parse_tap_settings(["--listen", "127.0.0.1:2525", "--broker", "kafka://k1:9092",
                            "--internal-domain", "shop.example", "--internal-domain", "Shop2.example"], env={})
    assert (s.listen_host, s.listen_port) == ("127.0.0.1", 2525)
    assert s.worker.bootstrap_servers == ["k1:9092"]
    assert s.mime.internal_domains == ("shop.example", "shop2.example")
    assert s.worker.metrics_port == DEFAULT_METRICS_PORT  # not the worker's 9108 by default
    assert s.mime.template_header == "X-Template-Id" and s.mime.body_chars == 4000


def test_same_environment_as_the_worker():
    env = {"MAILFLOW_BROKER": "kafka://envhost:9093", "MAILFLOW_INPUT_TOPIC": "in.x", "MAILFLOW_DLQ_TOPIC": "dlq.x",
           "MAILFLOW_INTERNAL_DOMAINS": "shop.example", "MAILFLOW_METRICS_PORT": "9200",
           "MAILFLOW_TAP_LISTEN": "[::1]:2526", "MAILFLOW_TAP_TEMPLATE_HEADER": "X-Campaign",
           "MAILFLOW_TAP_AUTOMATED_HEADERS": "X-Mailer=bulkmail,Precedence=bulk", "MAILFLOW_TAP_BODY_CHARS": "10"}
    s = parse_tap_settings([], env=env)
    assert s.worker.bootstrap_servers == ["envhost:9093"]
    assert (s.worker.input_topic, s.worker.dlq_topic, s.worker.metrics_port) == ("in.x", "dlq.x", 9200)
    assert (s.listen_host, s.listen_port) == ("::1", 2526)
    assert s.mime.template_header == "X-Campaign" and s.mime.body_chars == 10
    assert s.mime.automated_rules == (parse_rule("X-Mailer=bulkmail"), parse_rule("Precedence=bulk"))
    assert parse_tap_settings(["--listen", "127.0.0.1:1", "--template-header", "X-T"], env=env).mime.template_header == "X-T"
    assert parse_tap_settings(["--automated-header", "none"], env={}).mime.automated_rules == ()


def test_every_problem_at_once():
    with pytest.raises(ConfigError) as exc:
        parse_tap_settings(["--listen", "nohost", "--body-chars", "-1", "--broker", "http://x:1",
                            "--automated-header", "=bad"], env={})
    text = str(exc.value)
    for part in ("listen", "body_chars", "broker", "automated_header"):
        assert part in text


def test_cli_dispatch(capsys):
    assert cli_main(["tap", "--help"]) == 0
    assert "smtp" in capsys.readouterr().out
    assert cli_main(["tap", "nope"]) == 2
    assert cli_main(["tap", "smtp", "--listen", "bad"]) == 2
    assert "listen" in capsys.readouterr().err


class _FailingSink:
    def __init__(self, exc):
        self.exc = exc
        self.sent = []

    async def send(self, topic, key, value, headers=()):
        if self.exc is not None:
            raise self.exc
        self.sent.append((topic, key, value, list(headers)))


class _Env:
    def __init__(self, data, mail_from="b@shop.example", rcpts=("journal@tap.invalid",)):
        self.original_content = data
        self.mail_from = mail_from
        self.rcpt_tos = list(rcpts)


MSG = b"From: b@shop.example\r\nTo: c@customer.example\r\nMessage-ID: <x1@shop.example>\r\n\r\nhi\r\n"


def _handler(sink):
    from prometheus_client import CollectorRegistry

    reg = CollectorRegistry()
    return JournalHandler(parse_tap_settings([], env={}), sink, TapMetrics(reg)), reg


def test_handler_250_only_after_the_ack_and_451_when_the_broker_fails():
    from streams.taps.smtp import BrokerUnavailable

    sink = _FailingSink(None)
    h, reg = _handler(sink)
    reply = asyncio.run(h.handle_DATA(None, None, _Env(MSG)))
    assert reply.startswith("250 ")
    assert sink.sent[0][0] == "mail.outbound" and sink.sent[0][1] == b"b@shop.example"
    assert reg.get_sample_value("mailflow_tap_messages_total", {"result": "produced"}) == 1

    h, reg = _handler(_FailingSink(BrokerUnavailable("down")))
    reply = asyncio.run(h.handle_DATA(None, None, _Env(MSG)))
    assert reply.startswith("451 ")
    assert reg.get_sample_value("mailflow_tap_messages_total", {"result": "deferred"}) == 1
    assert reg.get_sample_value("mailflow_tap_broker_up") == 0

    h, reg = _handler(_FailingSink(RuntimeError("bug")))
    assert asyncio.run(h.handle_DATA(None, None, _Env(MSG))).startswith("451 ")
    assert reg.get_sample_value("mailflow_tap_messages_total", {"result": "error"}) == 1


def test_handler_dead_letters_malformed_and_truncates_large():
    sink = _FailingSink(None)
    h, reg = _handler(sink)
    big = b"Subject: no sender\r\nTo: c@customer.example\r\n\r\n" + b"x" * 70 + (b"\r\n" + b"y" * 70) * 30_000
    reply = asyncio.run(h.handle_DATA(None, None, _Env(big, mail_from="")))
    assert reply.startswith("250 ") and "no_sender" in reply
    topic, key, value, headers = sink.sent[0]
    hd = dict(headers)
    assert topic == "mail.outbound.dlq" and key is None
    assert hd["mailflow-reason"] == b"no_sender"
    assert hd["mailflow-truncated"] == b"true" and int(hd["mailflow-original-size"]) == len(big)
    assert len(value) < len(big) and big.startswith(value)
    assert reg.get_sample_value("mailflow_tap_dead_letters_total", {"reason": "no_sender"}) == 1


def test_inbound_mail_is_counted_not_produced():
    sink = _FailingSink(None)
    from prometheus_client import CollectorRegistry

    reg = CollectorRegistry()
    h = JournalHandler(parse_tap_settings(["--internal-domain", "other.example"], env={}), sink, TapMetrics(reg))
    assert asyncio.run(h.handle_DATA(None, None, _Env(MSG))).startswith("250 ")
    assert sink.sent == []
    assert reg.get_sample_value("mailflow_tap_messages_total", {"result": "not_outbound"}) == 1


def test_a_bug_in_the_conversion_dead_letters_instead_of_looping(monkeypatch):
    sink = _FailingSink(None)
    h, reg = _handler(sink)

    def boom(*a, **k):
        raise ZeroDivisionError()

    monkeypatch.setattr(h, "_convert", boom)
    assert asyncio.run(h.handle_DATA(None, None, _Env(MSG))).startswith("250 ")
    assert dict(sink.sent[0][3])["mailflow-reason"] == b"internal_error"
    assert reg.get_sample_value("mailflow_tap_dead_letters_total", {"reason": "internal_error"}) == 1
