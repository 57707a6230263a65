"""The guard service as a subprocess against the embedded broker (no Postfix): a restarted
guard rebuilds its open holds from the alerts topic and answers the policy protocol."""

from __future__ import annotations

import json
import socket
import time
import uuid

import pytest

from streams.guard.cli import command, parse_command_settings, parse_guard_settings
from detectors.errors import ConfigError

from .conftest import create_topics

pytestmark = [pytest.mark.broker]


def policy(port: int, sender: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\nsender={sender}\n"
                  f"queue_id=Q{uuid.uuid4().hex[:8].upper()}\n\n".encode())
        buf = b""
        while not buf.endswith(b"\n\n"):
            buf += s.recv(4096)
    return buf.decode().strip()


def rfc3339(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def test_restarted_guard_knows_the_open_holds(broker, guard_factory):
    from kafka import KafkaProducer

    tag = uuid.uuid4().hex[:8]
    alerts = f"guard.{tag}.alerts"
    create_topics(broker.bootstrap, alerts)
    now = time.time()
    recs = [
        {"alert_id": "1", "detector": "fanout", "severity": "critical", "sender": f"care-{tag}@shop.example.com",
         "template": "verify-id", "ts": rfc3339(now - 60)},
        {"alert_id": "2", "detector": "template_spike", "severity": "warning", "sender": f"orders-{tag}@shop.example.com",
         "template": "order", "ts": rfc3339(now - 30)},
        {"alert_id": "3", "detector": "fanout", "severity": "critical", "sender": f"old-{tag}@shop.example.com",
         "template": "x", "ts": rfc3339(now - 7200)},  # its episode is over
    ]
    p = KafkaProducer(bootstrap_servers=broker.bootstrap)
    for r in recs:
        p.send(alerts, key=r["sender"].encode(), value=json.dumps(r).encode())
    p.send(alerts, value=b"not json")
    p.flush(30)
    p.close()
    g = guard_factory(broker.url, "--alerts-topic", alerts)  # returns once its view is loaded
    assert g.metric("mailflow_guard_active_holds") == 1
    assert policy(g.policy_port, f"care-{tag}@shop.example.com").startswith("action=HOLD")
    assert policy(g.policy_port, f"Care-{tag}@Shop.Example.com").startswith("action=HOLD")
    assert policy(g.policy_port, f"orders-{tag}@shop.example.com") == "action=DUNNO"
    assert policy(g.policy_port, f"old-{tag}@shop.example.com") == "action=DUNNO"
    m = g.metrics()
    assert m['mailflow_guard_held_messages_total{reason="sender"}'] == 2
    assert m['mailflow_guard_policy_requests_total{action="dunno"}'] == 2
    assert m["mailflow_guard_alert_view_age_seconds"] < 10
    deadline = time.monotonic() + 5  # the snapshot is rewritten within a poll (0.5 s) of a change
    while True:
        snap = json.loads((g.state_dir / "holds.json").read_text())
        if snap["holds"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert [h["sender"] for h in snap["holds"]] == [f"care-{tag}@shop.example.com"]
    assert f"care-{tag}" not in g.log()  # addresses never in the INFO log


def test_settings_problems_listed():
    with pytest.raises(ConfigError) as e:
        parse_guard_settings(["--inline", "--policy-listen", "nonsense", "--max-staleness", "-1"], env={})
    text = str(e.value)
    assert "policy_listen" in text and "inline" in text and "max_staleness" in text
    with pytest.raises(ConfigError) as e:
        parse_guard_settings(["--policy-listen", "none"], env={})
    assert "nothing to serve" in str(e.value)
    milter, opts, pol, pf = parse_guard_settings(
        ["--milter-listen", "127.0.0.1:0"], env={"MAILFLOW_GUARD_INLINE": "1", "MAILFLOW_BROKER": "kafka://k:9092",
                                                 "MAILFLOW_DETECTOR_EPISODE_QUIET_SECONDS": "600"})
    assert opts.inline and opts.quiet_seconds == 600 and opts.lookback == 600 and pol == ("127.0.0.1", 10040)
    assert milter.listen_port == 0 and milter.worker.bootstrap_servers == ["k:9092"] and pf is None


def test_sub_commands_read_the_guards_settings_like_the_service(tmp_path, capsys):
    """``list``/``release``/``drop`` take --postfix-config and --state-dir from flags or the same
    MAILFLOW_GUARD_* variables as the service, the state directory's default from MAILFLOW_DATA_DIR
    (the worker settings' reader), and name every bad entry."""
    pf = tmp_path / "postfix"
    pf.mkdir()
    env = {"MAILFLOW_GUARD_POSTFIX_CONFIG": str(pf), "MAILFLOW_DATA_DIR": str(tmp_path / "data")}
    ns, postfix, state = parse_command_settings("release", ["care@shop.example.com"], env)
    assert ns.sender == "care@shop.example.com" and postfix == str(pf) and state == str(tmp_path / "data" / "guard")
    ns, postfix, state = parse_command_settings("drop", ["x@y.z", "--yes", "--state-dir", "/s"],
                                                dict(env, MAILFLOW_GUARD_STATE_DIR="/ignored"))
    assert ns.yes and state == "/s"  # a flag wins over the environment
    assert parse_command_settings("list", [], {"MAILFLOW_GUARD_STATE_DIR": "/g"})[2] == "/g"
    bad = {"MAILFLOW_GUARD_POSTFIX_CONFIG": str(tmp_path / "missing"), "MAILFLOW_BROKER": "nonsense::"}
    with pytest.raises(ConfigError) as e:
        parse_command_settings("list", [], bad)
    assert "postfix_config" in str(e.value) and "broker" in str(e.value)
    assert command("list", [], bad) == 2  # the command stops before touching Postfix, naming both
    err = capsys.readouterr().err
    assert err.startswith("mailflow guard list: ") and "postfix_config" in err and "broker" in err


@pytest.mark.parametrize("fail_closed", [False, True])
def test_broker_unreachable_fails_open_or_closed(guard_factory, free_port, fail_closed):
    """No broker at all: the view never loads (stale); fail open answers DUNNO, --fail-closed HOLD."""
    dead = f"kafka://127.0.0.1:{free_port()}"
    g = guard_factory(dead, *(["--fail-closed"] if fail_closed else []), loaded=False)
    time.sleep(0.5)
    answer = policy(g.policy_port, "anyone@shop.example.com")
    assert g.metric("mailflow_guard_alert_view_loaded") == 0
    if fail_closed:
        assert answer == "action=HOLD mailflow-guard: alert view stale (fail closed)"
        assert g.metric('mailflow_guard_held_messages_total{reason="fail_closed"}') == 1
    else:
        assert answer == "action=DUNNO"
