"""``mailflow tap milter`` behind the real private Postfix (``smtpd_milters``), embedded broker."""

from __future__ import annotations

import re
import smtplib
import uuid

import orjson
import pytest

from .conftest import MilterTapProcess, consume, create_topics
from .test_guard_postfix import DOMAIN, delivered, order_message, send_all, wait_until

pytestmark = [pytest.mark.broker]


def test_milter_tap_event_has_envelope_bcc_and_queue_id(broker, postfix_mta, postfix_params, mail_sink,
                                                        free_port, tmp_path):
    tag = uuid.uuid4().hex[:8]
    topic, dlq = f"milter.{tag}.in", f"milter.{tag}.dlq"
    create_topics(broker.bootstrap, topic, dlq)
    tap = MilterTapProcess(free_port(), broker.url, free_port(),
                           ["--input-topic", topic, "--dlq-topic", dlq, "--internal-domain", DOMAIN],
                           tmp_path / "milter.log").start()
    try:
        postfix_params(smtpd_milters=f"inet:127.0.0.1:{tap.port}", milter_default_action="accept")
        sender = f"orders-{tag}@{DOMAIN}"
        msgs = [order_message(sender, i, tag) for i in range(3)]
        # the first message also goes to a Bcc recipient: only the envelope carries it
        with smtplib.SMTP("127.0.0.1", postfix_mta.smtp_port, timeout=60) as s:
            s.send_message(msgs[0], to_addrs=[msgs[0]["To"], f"hidden-{tag}@yahoo.com"])
        send_all(postfix_mta, msgs[1:])
        wait_until(lambda: delivered(mail_sink, f"order-{tag}-") >= 3, 30, "delivered")
        recs = consume(broker.bootstrap, topic, lambda r: len(r) >= 3, timeout=30)
        events = {orjson.loads(r.value)["event_id"]: (r, orjson.loads(r.value)) for r in recs}
        assert len(events) == 3, tap.log()
        r, e = events[f"order-{tag}-0@{DOMAIN}"]
        assert r.key == sender.encode()
        assert e["bcc"] == [f"hidden-{tag}@yahoo.com"] and e["to"] == [f"{tag}-buyer0@gmail.com"]
        assert e["sender_kind"] == "automated" and e["template_id"] == "order-confirmation"
        # the queue id is Postfix's own (its log names it for this Message-ID)
        m = re.search(r"postfix/cleanup\[\d+\]: ([0-9A-F]+): message-id=<order-" + tag + r"-0@", postfix_mta.log_text())
        assert m and e["queue_id"] == m.group(1)
        # counted once the broker acknowledged: the consumer may read the event a moment earlier
        wait_until(lambda: tap.metric('mailflow_tap_milter_messages_total{result="produced"}') >= 3, 10,
                   "three messages counted as produced")
        assert tap.metric('mailflow_tap_milter_messages_total{result="produced"}') == 3
    finally:
        tap.stop()


def test_broker_down_at_the_milter_tap_loses_nothing_once_it_is_back(broker, postfix_mta, postfix_params, mail_sink,
                                                                     free_port, tmp_path):
    """The broker is unreachable: Postfix still delivers every message at once (the milter never
    delays mail) and the tap keeps the events in its spool; the tap restarted against the
    broker sends each of them, once."""
    tag = uuid.uuid4().hex[:8]
    topic, dlq = f"milter.{tag}.in", f"milter.{tag}.dlq"
    create_topics(broker.bootstrap, topic, dlq)
    spool = tmp_path / "spool"
    port = free_port()
    common = ["--input-topic", topic, "--dlq-topic", dlq, "--internal-domain", DOMAIN, "--spool-dir", str(spool)]
    dead = f"kafka://127.0.0.1:{free_port()}"  # nothing listens there
    tap = MilterTapProcess(port, dead, free_port(), common, tmp_path / "milter-down.log").start()
    sender = f"orders-{tag}@{DOMAIN}"
    try:
        postfix_params(smtpd_milters=f"inet:127.0.0.1:{port}", milter_default_action="accept")
        send_all(postfix_mta, [order_message(sender, i, tag) for i in range(4)])
        wait_until(lambda: delivered(mail_sink, f"order-{tag}-") >= 4, 30, "delivered while the broker is down")
        wait_until(lambda: tap.metric('mailflow_tap_milter_messages_total{result="spooled"}') == 4, 30,
                   "4 events spooled")
        assert tap.metric('mailflow_tap_milter_messages_total{result="failed"}') == 0
    finally:
        tap.stop()
    tap = MilterTapProcess(port, broker.url, free_port(), common, tmp_path / "milter-up.log").start()
    try:
        recs = consume(broker.bootstrap, topic, lambda r: len(r) >= 4, timeout=30)
        ids = sorted(orjson.loads(r.value)["event_id"] for r in recs)
        assert ids == sorted(f"order-{tag}-{i}@{DOMAIN}" for i in range(4)), tap.log()
        assert all(r.key == sender.encode() for r in recs)
        wait_until(lambda: tap.metric("mailflow_tap_milter_spool_records") == 0, 10, "the spool emptied")
        assert tap.metric("mailflow_tap_milter_spool_resent_total") == 4
    finally:
        tap.stop()
