"""``--hash-sender-labels``: no account address in any metric label, one command to map back."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from detectors.alerts import Alert
from streams.labels import SenderLabels, main
from streams.metrics import OTHER, Metrics

KEY = "0123456789abcdef-test-key"


def _alert(sender="care@shop.example.com"):
    return Alert(detector="sensitive_request", severity="critical", sender=sender, template="verify", score=0.95,
                 summary=f"{sender} (automated) sent 3 message(s) of template verify asking recipients for passport",
                 ts=1000.0, event_ids=["e1"])


def _exported(sender_labels) -> str:
    reg = CollectorRegistry()
    m = Metrics(reg, sender_labels=sender_labels)
    label = m.sender_batch("care@shop.example.com", 5, 5)
    m.template_volume("care@shop.example.com", label, "verify", (5.0, 1.0), 5)
    m.alert(_alert(), now=1001.0)
    restored = SimpleNamespace(detector="fanout", severity="warning", sender="other@shop.example.com",
                               template="t", score=None, summary=None, started_ts=900.0, triggers=2)
    m.active.restore([(restored, 0)])
    return generate_latest(reg).decode()


def test_hashed_labels_carry_no_address_and_keep_the_series():
    text = _exported(SenderLabels(KEY))
    labels = SenderLabels(KEY)
    series = [line for line in text.splitlines() if line.startswith("mailflow_") and "sender=" in line]
    assert len(series) >= 6  # sender events, unrelated, bucket, baseline, two active alerts
    assert "@" not in "\n".join(series)  # not in sender, nor in the active alert's summary
    h = labels("care@shop.example.com")
    assert re.fullmatch(r"s-[0-9a-f]{16}", h)
    for name in ("mailflow_sender_events_total", "mailflow_template_bucket_messages", "mailflow_active_alert"):
        assert any(line.startswith(name + "{") and f'sender="{h}"' in line for line in series), name
    assert f'sender="{labels("other@shop.example.com")}"' in text  # restored episodes too
    active = next(line for line in series if line.startswith("mailflow_active_alert_info{") and "critical" in line)
    assert f'summary="{h} (automated) sent 3' in active


def test_without_a_key_the_address_is_the_label():
    text = _exported(None)
    assert 'sender="care@shop.example.com"' in text


def test_hash_is_keyed_stable_and_canonical():
    a, b = SenderLabels(KEY), SenderLabels(KEY + "-other")
    assert a("care@shop.example.com") == SenderLabels(KEY)("Care@Shop.Example.com ")  # stable across workers
    assert a("care@shop.example.com") != b("care@shop.example.com")  # the key matters
    assert a(OTHER) == OTHER
    with pytest.raises(ValueError):
        SenderLabels("short")


def test_label_hash_command_prints_what_the_worker_exports(monkeypatch, capsys):
    monkeypatch.setenv("MAILFLOW_LABEL_HASH_KEY", KEY)
    assert main(["care@shop.example.com", "x@y.org"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"care@shop.example.com\t{SenderLabels(KEY)('care@shop.example.com')}",
                   f"x@y.org\t{SenderLabels(KEY)('x@y.org')}"]
    monkeypatch.delenv("MAILFLOW_LABEL_HASH_KEY")
    assert main(["care@shop.example.com"]) == 2
    assert "MAILFLOW_LABEL_HASH_KEY" in capsys.readouterr().err


def test_label_hash_command_reads_the_key_as_the_worker_does(capsys):
    """The flag wins over the environment, as in ``parse_settings``."""
    from streams.settings import parse_settings

    env = {"MAILFLOW_LABEL_HASH_KEY": "k" * 20}
    worker = parse_settings(["--hash-sender-labels", "true", "--label-hash-key", KEY], env=env)
    assert main(["--label-hash-key", KEY, "care@shop.example.com"], env=env) == 0
    assert capsys.readouterr().out == f"care@shop.example.com\t{SenderLabels(worker.label_hash_key)('care@shop.example.com')}\n"
    assert main(["care@shop.example.com"], env=env) == 0
    assert capsys.readouterr().out.split("\t")[1].strip() == SenderLabels("k" * 20)("care@shop.example.com")
