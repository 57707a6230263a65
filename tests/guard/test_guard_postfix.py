"""``mailflow guard`` end to end: a real private Postfix, the embedded broker, a real worker,
the journal tap and the guard, mail sent with ``smtplib``.

Postfix journals every message to the tap (tests/taps/conftest.py), the tap produces the
events, the worker raises alerts, the guard reads them and answers Postfix's policy
service (``smtpd_end_of_data_restrictions = check_policy_service {inet:..., default_action=DUNNO}``)
and/or its milter (``smtpd_milters``, ``milter_default_action = accept``). What reached the
customers is read from the sink, what was held from ``postqueue -j``.
"""

from __future__ import annotations

import smtplib
import time
import uuid
from email.message import EmailMessage

import pytest

from tests.streams.test_worker_broker import Worker, make_topics

from .conftest import TapProcess, guard_command

pytestmark = [pytest.mark.broker]

DOMAIN = "shop.example.com"


@pytest.fixture(scope="module")
def stack(broker, postfix_mta, free_port, tmp_path_factory):
    """Topics, a worker and the journal tap for this module (the guard is per test)."""
    prefix = "g" + uuid.uuid4().hex[:8]
    topics = make_topics(broker, prefix)
    tmp = tmp_path_factory.mktemp(prefix)
    worker = Worker(broker, prefix, topics, free_port(), tmp)
    tap = TapProcess(postfix_mta.tap_port, broker.url, free_port(),
                     ["--input-topic", topics["input"], "--dlq-topic", topics["dlq"], "--internal-domain", DOMAIN],
                     log_path=tmp / "tap.log")
    try:
        worker.wait_up()
        tap.start()
        yield topics, worker, tap
    finally:
        tap.stop()
        worker.stop()


def _broker_args(topics) -> list[str]:
    return ["--alerts-topic", topics["alerts"], "--input-topic", topics["input"], "--dlq-topic", topics["dlq"],
            "--internal-domain", DOMAIN]


def blast_message(sender: str, i: int, tag: str) -> EmailMessage:
    """The 2017 incident: an automated account asks five unrelated gmail customers for an ID photo."""
    m = EmailMessage()
    m["From"] = f"Customer Care <{sender}>"
    m["To"] = ", ".join(f"{tag}-v{i}-{k}@gmail.com" for k in range(5))
    m["Subject"] = "Verify your account"
    m["Message-ID"] = f"<blast-{tag}-{i}@{DOMAIN}>"
    m["Date"] = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
    m["Auto-Submitted"] = "auto-generated"
    m["X-Template-Id"] = "verify-id"
    m.set_content("Dear customer,\nplease reply with a photo of your passport or ID card so we can verify "
                  "your account.\nCustomer Care\n")
    return m


def order_message(sender: str, i: int, tag: str) -> EmailMessage:
    """The launch ramp: one order confirmation to one customer, an established template."""
    m = EmailMessage()
    m["From"] = f"Shop Orders <{sender}>"
    m["To"] = f"{tag}-buyer{i}@gmail.com"
    m["Subject"] = f"Your order #{100000 + i} is confirmed"
    m["Message-ID"] = f"<order-{tag}-{i}@{DOMAIN}>"
    m["Date"] = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
    m["Auto-Submitted"] = "auto-generated"
    m["X-Template-Id"] = "order-confirmation"
    m.set_content(f"Thank you for your order #{100000 + i}.\nTotal: {20 + i % 7}.90 EUR. "
                  "We will let you know when it ships.\n")
    return m


def send_all(mta, msgs) -> None:
    with smtplib.SMTP("127.0.0.1", mta.smtp_port, timeout=60) as s:
        for m in msgs:
            s.send_message(m)


def delivered(sink, prefix: str) -> int:
    return sum(1 for m in sink.messages if f"Message-ID: <{prefix}".encode() in m.data[:4096])


def held_of(mta, sender: str) -> list[dict]:
    return [m for m in mta.hold_queue() if m.get("sender", "").lower() == sender]


def wait_until(pred, timeout: float, what: str, interval: float = 0.3):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s: {what}")
        time.sleep(interval)


def launch_ramp(mta, sink, sender: str, tag: str, waves=(4, 8, 16)) -> int:
    """Send the ramp in rising waves; returns how many were sent (all must reach the sink)."""
    n = 0
    for size in waves:
        send_all(mta, [order_message(sender, n + k, tag) for k in range(size)])
        n += size
    wait_until(lambda: delivered(sink, f"order-{tag}-") >= n, 60, f"{n} order confirmations delivered")
    return n


def policy_line(port: int) -> str:
    # the lines of docs/connect-your-mail.md
    return f"check_policy_service {{ inet:127.0.0.1:{port}, default_action=DUNNO, timeout=5s, try_limit=1 }}"


def test_blast_held_after_the_first_alert_ramp_never_held_release_delivers(
        stack, broker, postfix_mta, postfix_params, mail_sink, guard_factory):
    topics, worker, tap = stack
    tag = uuid.uuid4().hex[:6]
    care, orders = f"care-{tag}@{DOMAIN}", f"orders-{tag}@{DOMAIN}"
    guard = guard_factory(broker.url, *_broker_args(topics), "--postfix-config", str(postfix_mta.config_dir))
    postfix_params(smtpd_end_of_data_restrictions=policy_line(guard.policy_port))

    # the launch ramp first: rising volume of an established template, never held
    n_ramp = launch_ramp(postfix_mta, mail_sink, orders, tag)
    assert held_of(postfix_mta, orders) == []

    # the blast: the first message goes out (nothing knows yet), the alert follows
    send_all(postfix_mta, [blast_message(care, 0, tag)])
    guard.wait_metric("mailflow_guard_active_holds", 1, timeout=45)
    # the next groups of customers: held
    send_all(postfix_mta, [blast_message(care, i, tag) for i in range(1, 6)])
    held = wait_until(lambda: len(held_of(postfix_mta, care)) >= 5 and held_of(postfix_mta, care), 30,
                      "5 blast messages in the hold queue")
    time.sleep(1.0)
    reached = delivered(mail_sink, f"blast-{tag}-")
    print(f"FIGURE no-inline: blast messages that reached customers: {reached} of 6; held {len(held)}; "
          f"launch ramp held: 0 of {n_ramp}")
    assert reached <= 1
    assert guard.metric('mailflow_guard_held_messages_total{reason="sender"}') == 5
    # the ramp's sender is still not held after the blast's alert
    send_all(postfix_mta, [order_message(orders, 1000 + k, tag) for k in range(3)])
    wait_until(lambda: delivered(mail_sink, f"order-{tag}-") >= n_ramp + 3, 30, "ramp after the blast delivered")
    assert held_of(postfix_mta, orders) == []

    # on-call: list, then release -> the held mail reaches the customers, the hold is lifted
    out = guard_command("list", "--postfix-config", str(postfix_mta.config_dir), "--state-dir", str(guard.state_dir))
    assert out.returncode == 0, out.stderr
    assert care in out.stdout and "5 message(s)" in out.stdout
    rel = guard_command("release", care, "--postfix-config", str(postfix_mta.config_dir),
                        "--state-dir", str(guard.state_dir))
    assert rel.returncode == 0, rel.stderr
    assert "released 5" in rel.stdout
    wait_until(lambda: delivered(mail_sink, f"blast-{tag}-") == 6, 30, "released blast mail delivered")
    assert held_of(postfix_mta, care) == []
    guard.wait_metric("mailflow_guard_released_messages_total", 5, timeout=10)
    wait_until(lambda: guard.metric("mailflow_guard_active_holds") == 0, 10, "hold lifted")
    # after the release the sender's mail flows again
    send_all(postfix_mta, [order_message(care, 1, tag + "c")])
    wait_until(lambda: delivered(mail_sink, f"order-{tag}c-") == 1, 30, "mail after the release delivered")
    assert "RELEASE of sender" in guard.log() and care not in guard.log()  # logged, the sender hashed


def test_inline_scoring_holds_the_first_blast_message(
        stack, broker, postfix_mta, postfix_params, mail_sink, guard_factory):
    topics, worker, tap = stack
    tag = uuid.uuid4().hex[:6]
    care, orders = f"care-{tag}@{DOMAIN}", f"orders-{tag}@{DOMAIN}"
    guard = guard_factory(broker.url, *_broker_args(topics), "--inline", milter=True)
    postfix_params(smtpd_end_of_data_restrictions=policy_line(guard.policy_port),
                   smtpd_milters=f"inet:127.0.0.1:{guard.milter_port}", milter_default_action="accept",
                   milter_command_timeout="5s", milter_content_timeout="5s")

    n_ramp = launch_ramp(postfix_mta, mail_sink, orders, tag)
    assert held_of(postfix_mta, orders) == []

    send_all(postfix_mta, [blast_message(care, i, tag) for i in range(6)])
    held = wait_until(lambda: len(held_of(postfix_mta, care)) >= 6 and held_of(postfix_mta, care), 30,
                      "6 blast messages in the hold queue")
    time.sleep(1.0)
    reached = delivered(mail_sink, f"blast-{tag}-")
    print(f"FIGURE inline: blast messages that reached customers: {reached} of 6; held {len(held)}; "
          f"launch ramp held: 0 of {n_ramp}")
    assert reached == 0
    m = guard.metrics()
    assert m['mailflow_guard_held_messages_total{reason="inline"}'] == 6
    assert m['mailflow_guard_milter_messages_total{verdict="accept"}'] >= n_ramp
    assert "quarantine" in postfix_mta.log_text().lower() or "hold" in postfix_mta.log_text().lower()
    # the held mail is seen by nobody, not even the journal tap: dropping it deletes it for good
    drop = guard_command("drop", care, "--yes", "--postfix-config", str(postfix_mta.config_dir),
                         "--state-dir", str(guard.state_dir))
    assert drop.returncode == 0 and "deleted 6" in drop.stdout, drop.stderr
    assert held_of(postfix_mta, care) == []


def test_guard_killed_mid_stream_mail_keeps_flowing(
        stack, broker, postfix_mta, postfix_params, mail_sink, guard_factory):
    topics, worker, tap = stack
    tag = uuid.uuid4().hex[:6]
    orders = f"orders-{tag}@{DOMAIN}"
    guard = guard_factory(broker.url, *_broker_args(topics), "--inline", milter=True)
    postfix_params(smtpd_end_of_data_restrictions=policy_line(guard.policy_port),
                   smtpd_milters=f"inet:127.0.0.1:{guard.milter_port}", milter_default_action="accept",
                   milter_command_timeout="5s", milter_content_timeout="5s")
    send_all(postfix_mta, [order_message(orders, i, tag) for i in range(5)])
    wait_until(lambda: delivered(mail_sink, f"order-{tag}-") == 5, 30, "mail delivered with the guard up")
    assert guard.metric('mailflow_guard_milter_messages_total{verdict="accept"}') >= 5
    guard.kill()
    t0 = time.monotonic()
    send_all(postfix_mta, [order_message(orders, i, tag) for i in range(5, 15)])
    wait_until(lambda: delivered(mail_sink, f"order-{tag}-") == 15, 60, "mail delivered with the guard dead")
    print(f"FIGURE fail-open: 10 messages delivered {time.monotonic() - t0:.1f}s after the guard was killed")
    assert held_of(postfix_mta, orders) == []
    # Postfix noticed (a warning per message) and applied default_action=DUNNO at once (try_limit=1)
    assert f"connect to 127.0.0.1:{guard.policy_port}: Connection refused" in postfix_mta.log_text()


@pytest.mark.parametrize("fail_closed", [False, True])
def test_broker_outage_through_postfix_fails_open_or_holds_with_fail_closed(
        postfix_mta, postfix_params, mail_sink, guard_factory, free_port, fail_closed):
    """The guard cannot reach Kafka at all (its view of the alerts never loads). Through the
    real Postfix: by default the mail is delivered (fail open); with ``--fail-closed`` every
    message waits in the hold queue, and ``mailflow guard release`` delivers it once on-call
    decides to."""
    tag = uuid.uuid4().hex[:6]
    orders = f"orders-{tag}@{DOMAIN}"
    dead = f"kafka://127.0.0.1:{free_port()}"
    guard = guard_factory(dead, "--internal-domain", DOMAIN, *(["--fail-closed"] if fail_closed else []),
                          loaded=False)
    postfix_params(smtpd_end_of_data_restrictions=policy_line(guard.policy_port))
    send_all(postfix_mta, [order_message(orders, i, tag) for i in range(3)])
    if not fail_closed:
        wait_until(lambda: delivered(mail_sink, f"order-{tag}-") == 3, 60, "mail delivered with Kafka unreachable")
        assert held_of(postfix_mta, orders) == []
        return
    wait_until(lambda: len(held_of(postfix_mta, orders)) == 3, 60, "every message held (fail closed)")
    time.sleep(1)
    assert delivered(mail_sink, f"order-{tag}-") == 0
    assert guard.metric('mailflow_guard_held_messages_total{reason="fail_closed"}') == 3
    rel = guard_command("release", orders, "--postfix-config", str(postfix_mta.config_dir),
                        "--state-dir", str(guard.state_dir))
    assert rel.returncode == 0, rel.stderr
    wait_until(lambda: delivered(mail_sink, f"order-{tag}-") == 3, 60, "released mail delivered")
    assert held_of(postfix_mta, orders) == []
