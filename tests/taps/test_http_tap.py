"""``mailflow tap http``: grouping, answers (200 after the ack, 503, 401/403, 400 + DLQ), end to end.

The unit part runs the tap in-process against a fake sink; the ``broker`` part posts each
provider's fixture to a running tap producing to the embedded broker and reads the input
topic back, and runs ``mailflow tap http --listen --broker`` as a subprocess (the contract's
command line), stopped by its pid.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import orjson
import pytest

from detectors.events import parse_event
from streams.taps.http import EspRecord, Grouper, HttpTap
from streams.taps.smtp import BrokerUnavailable

from .test_esp_common import (MAILGUN_KEY, cert_fetcher, ec_public_b64, load, mailgun_payload, sendgrid_body,
                              sendgrid_headers, settings, sns_notification)

REPO = Path(__file__).resolve().parents[2]
SES_MID = "0102015e1b2c3d4e-5f6a7b8c-9d0e-4f1a-8b2c-3d4e5f6a7b8c-000000"
SG_MID = "Xq3bT1kWQ0mWkE1aQm0vUg"
MG_MID = "20170824100000.1.ABCDEF0123456789@mg.shop.example"


# ------------------------------------------------------------------------------ helpers
class FakeSink:
    def __init__(self, fail: bool = False, delay: float = 0.0) -> None:
        self.sent: list[tuple[str, bytes | None, bytes, list]] = []
        self.fail = fail
        self.delay = delay

    async def send(self, topic, key, value, headers=()):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise BrokerUnavailable("broker down (fake)")
        self.sent.append((topic, key, value, list(headers or [])))

    def events(self, topic="mail.outbound"):
        return [parse_event(v) for t, _, v, _ in self.sent if t == topic]

    def dead(self, topic="mail.outbound.dlq"):
        return [(k, v, dict(h)) for t, k, v, h in self.sent if t == topic]


def _rec(key: str, addr: str, provider="sendgrid", ts=1503568800.0, **extra) -> EspRecord:
    ev = {"event_id": key, "ts": ts, "sender": "billing@shop.example", "bcc": [addr], **extra}
    return EspRecord(provider, key, ev, orjson.dumps(ev))


def _grouper(sent: list, fail=None, **kw) -> Grouper:
    async def emit(provider, event, raws):
        if fail and fail():
            raise BrokerUnavailable("down")
        sent.append(event)

    return Grouper(emit, **kw)


# ------------------------------------------------------------------------------ grouping
def test_per_recipient_records_become_one_contract_event():
    sent: list = []

    async def go():
        g = _grouper(sent, window=0.2)
        g.start()
        futs = [g.add(_rec("m1", f"r{i}@customer-{i}.example", ts=1503568800.0 + i)) for i in range(5)]
        futs.append(g.add(_rec("m1", "r0@customer-0.example")))  # a repeat inside the window
        assert len({id(f) for f in futs}) == 1 and not sent
        t0 = time.monotonic()
        await asyncio.gather(*futs)
        assert 0.15 <= time.monotonic() - t0 < 2
        await g.close()

    asyncio.run(go())
    assert len(sent) == 1
    e = parse_event(orjson.dumps(sent[0]))
    assert e.event_id == "m1" and len(e.recipients) == 5 and e.ts == 1503568800.0  # earliest


def test_visible_recipients_stay_visible_when_merged():
    sent: list = []

    async def go():
        g = _grouper(sent, window=0.05)
        g.start()
        a = EspRecord("mailgun", "m", {"event_id": "m", "ts": 1, "sender": "s@shop.example", "to": ["a@x.example"],
                                       "bcc": ["z@y.example"]})
        b = EspRecord("mailgun", "m", {"event_id": "m", "ts": 1, "sender": "s@shop.example", "to": ["a@x.example", "z@y.example"]})
        await asyncio.gather(g.add(a), g.add(b))
        await g.close()

    asyncio.run(go())
    assert sent[0]["to"] == ["a@x.example", "z@y.example"] and "bcc" not in sent[0]


def test_max_group_size_emits_and_continues():
    sent: list = []

    async def go():
        g = _grouper(sent, window=0.1, max_group_size=2)
        g.start()
        futs = [g.add(_rec("m", f"r{i}@c.example")) for i in range(5)]
        await asyncio.gather(*futs)
        await g.close()

    asyncio.run(go())
    assert [e["event_id"] for e in sent] == ["m", "m#2", "m#3"]
    assert [len(e["bcc"]) for e in sent] == [2, 2, 1]
    assert len({a for e in sent for a in e["bcc"]}) == 5


def test_open_groups_are_bounded():
    sent: list = []

    async def go():
        g = _grouper(sent, window=30, max_open=2)
        g.start()
        f1 = g.add(_rec("m1", "a@c.example"))
        g.add(_rec("m2", "a@c.example"))
        g.add(_rec("m3", "a@c.example"))  # m1 goes out early
        await asyncio.wait_for(f1, 2)
        assert len(g.open) == 2 and [e["event_id"] for e in sent] == ["m1"]
        await g.close()

    asyncio.run(go())
    assert sorted(e["event_id"] for e in sent) == ["m1", "m2", "m3"]


def test_late_records_repeats_ignored_new_recipients_continue():
    sent: list = []

    async def go():
        g = _grouper(sent, window=0)
        await g.add(_rec("m", "a@c.example"))
        await g.add(_rec("m", "b@c.example"))  # after the emission: a continuation
        assert g.add(_rec("m", "a@c.example")) is None  # a Delivery after its Send
        assert g.add(_rec("m", "b@c.example")) is None
        await g.close()

    asyncio.run(go())
    assert [(e["event_id"], e["bcc"]) for e in sent] == [("m", ["a@c.example"]), ("m#2", ["b@c.example"])]


def test_failed_produce_is_not_remembered_so_the_retry_goes_out():
    sent: list = []
    down = [True]

    async def go():
        g = _grouper(sent, fail=lambda: down[0], window=0)
        with pytest.raises(BrokerUnavailable):
            await g.add(_rec("m", "a@c.example"))
        down[0] = False
        fut = g.add(_rec("m", "a@c.example"))  # the ESP's retry
        assert fut is not None
        await fut
        await g.close()

    asyncio.run(go())
    assert [e["event_id"] for e in sent] == ["m"]


# ------------------------------------------------------------------- the server, in-process
async def _serve(s, sink, fetch=None):
    tap = HttpTap(s, sink=sink, cert_fetcher=fetch or cert_fetcher())
    await tap.start()
    return tap


async def _post(port, path, body, headers=None):
    import aiohttp

    async with aiohttp.ClientSession() as c:
        async with c.post(f"http://127.0.0.1:{port}{path}", data=body, headers=headers or {}) as r:
            return r.status, await r.text()


def _metric(tap, name, **labels):
    v = tap.registry.get_sample_value(name, labels)
    return 0.0 if v is None else v


def _ses_body(event_name="ses_send.json", version="2", **fields):
    return orjson.dumps(sns_notification(load(event_name), version, **fields))


def _all_posts():
    sg = sendgrid_body()
    return [("/ses", _ses_body(), {}), ("/sendgrid", sg, sendgrid_headers(sg))] + \
        [("/mailgun", mailgun_payload(ed), {}) for ed in load("mailgun_events.json")]


def test_each_provider_posted_gives_one_event_per_message():
    sink = FakeSink()
    s = settings("--listen", "127.0.0.1:0", "--group-window", "0.3")

    async def go():
        tap = await _serve(s, sink)
        try:
            t0 = time.monotonic()
            results = await asyncio.gather(*(_post(tap.port, p, b, h) for p, b, h in _all_posts()))
            took = time.monotonic() - t0
            # the Delivery arrives after its Send was produced: a repeat, ignored
            late = await _post(tap.port, "/ses", _ses_body("ses_delivery.json", MessageId="n2"))
        finally:
            await tap.stop()
        return tap, results, took, late

    tap, results, took, late = asyncio.run(go())
    assert [st for st, _ in results] == [200] * len(results), results
    assert took >= 0.25  # answered after the window closed and the produce was acknowledged
    assert late[0] == 200
    events = {e.event_id: e for e in sink.events()}
    assert set(events) == {SES_MID, SG_MID, MG_MID} and len(sink.events()) == 3
    ses_e, sg_e, mg_e = events[SES_MID], events[SG_MID], events[MG_MID]
    assert len(ses_e.recipients) == 3 and ses_e.subject == "Your invoice \u2013 August"
    assert set(sg_e.bcc) == {"ann.lee@customer-one.example", "bo@customer-two.example", "cy@customer-three.example"}
    assert sg_e.template_id == "d-4f2b8a1c9e3d4b5a8c7d6e5f4a3b2c1d"
    assert mg_e.to == ("ann.lee@customer-one.example", "bo@customer-two.example")
    assert mg_e.bcc == ("audit@customer-three.example",) and mg_e.template_id == "invoice-v3"
    keys = {k for t, k, _, _ in sink.sent}
    assert keys == {b"billing@shop.example"}  # keyed by sender (streams.produce.sender_key)
    assert _metric(tap, "mailflow_tap_http_requests_total", provider="mailgun", result="produced") == 4
    assert _metric(tap, "mailflow_tap_http_requests_total", provider="mailgun", result="ignored") == 1
    assert _metric(tap, "mailflow_tap_http_events_total", provider="sendgrid") == 1
    assert _metric(tap, "mailflow_tap_http_records_total", provider="ses", result="duplicate") == 1


def test_bad_signatures_are_refused_counted_never_produced():
    sink = FakeSink()
    s = settings("--listen", "127.0.0.1:0", "--group-window", "0")
    sg = sendgrid_body()
    mg = mailgun_payload(load("mailgun_events.json")[0])
    ses_msg = sns_notification(load("ses_send.json"))
    ses_msg["Message"] = ses_msg["Message"].replace("bo@customer-two", "xx@customer-two")

    async def go():
        tap = await _serve(s, sink)
        try:
            out = [
                await _post(tap.port, "/sendgrid", sg, {}),  # unsigned
                await _post(tap.port, "/sendgrid", sg.replace(b"ann.lee", b"eve.lee"), sendgrid_headers(sg)),
                await _post(tap.port, "/sendgrid", sg, sendgrid_headers(sg, ts=int(time.time()) - 7200)),
                await _post(tap.port, "/mailgun", mailgun_payload(load("mailgun_events.json")[0], key="wrong")),
                await _post(tap.port, "/mailgun", mg),
                await _post(tap.port, "/mailgun", mg),  # replayed
                await _post(tap.port, "/ses", orjson.dumps(ses_msg)),
            ]
        finally:
            await tap.stop()
        return tap, out

    tap, out = asyncio.run(go())
    assert [st for st, _ in out] == [401, 403, 403, 403, 200, 403, 403], out
    assert len(sink.events()) == 1 and not sink.dead()  # only the genuine Mailgun post
    m = lambda p, r: _metric(tap, "mailflow_tap_http_requests_total", provider=p, result=r)  # noqa: E731
    assert (m("sendgrid", "unsigned"), m("sendgrid", "bad_signature"), m("sendgrid", "stale")) == (1, 1, 1)
    assert (m("mailgun", "bad_signature"), m("mailgun", "replayed"), m("ses", "bad_signature")) == (1, 1, 1)


def test_malformed_payloads_are_dead_lettered_with_reason_and_bytes():
    sink = FakeSink()
    s = settings("--listen", "127.0.0.1:0", "--group-window", "0")
    junk = b'{"Type": "Notification", "Message": "truncat'
    sg_items = load("sendgrid_events.json")[:2]
    sg_items[1] = {k: v for k, v in sg_items[1].items() if k != "sender"}  # this item cannot be an event
    sg = sendgrid_body(sg_items)

    async def go():
        tap = await _serve(s, sink)
        try:
            out = [await _post(tap.port, "/ses", junk),
                   await _post(tap.port, "/sendgrid", b'{"not": "an array"}', sendgrid_headers(b'{"not": "an array"}')),
                   await _post(tap.port, "/sendgrid", sg, sendgrid_headers(sg))]
        finally:
            await tap.stop()
        return tap, out

    tap, out = asyncio.run(go())
    assert [st for st, _ in out] == [400, 400, 200], out
    dead = sink.dead()
    assert [h["mailflow-reason"] for _, _, h in dead] == [b"invalid_json", b"bad_payload", b"no_sender"]
    assert dead[0][1] == junk and dead[0][2]["mailflow-source-topic"] == b"http-tap-ses"
    assert int(dead[0][2]["mailflow-original-size"]) == len(junk)
    assert orjson.loads(dead[2][1])["sg_event_id"] == sg_items[1]["sg_event_id"]
    assert len(sink.events()) == 1  # the good item of the batch
    assert _metric(tap, "mailflow_tap_http_requests_total", provider="ses", result="dead_lettered") == 1
    assert _metric(tap, "mailflow_tap_http_dead_letters_total", provider="sendgrid", reason="no_sender") == 1


def test_broker_down_answers_503_and_the_retry_is_accepted():
    sink = FakeSink(fail=True)
    s = settings("--listen", "127.0.0.1:0", "--group-window", "0.1")
    mg = mailgun_payload(load("mailgun_events.json")[0])
    sg = sendgrid_body()

    async def go():
        tap = await _serve(s, sink)
        try:
            down = [await _post(tap.port, "/mailgun", mg), await _post(tap.port, "/sendgrid", sg, sendgrid_headers(sg)),
                    await _post(tap.port, "/ses", b"not json")]  # even the dead letter cannot be written
            sink.fail = False
            back = [await _post(tap.port, "/mailgun", mg),  # the same request again: not a replay
                    await _post(tap.port, "/sendgrid", sg, sendgrid_headers(sg))]
        finally:
            await tap.stop()
        return tap, down, back

    tap, down, back = asyncio.run(go())
    assert [st for st, _ in down] == [503, 503, 503], down
    assert [st for st, _ in back] == [200, 200], back
    assert sorted(e.event_id for e in sink.events()) == sorted([MG_MID, SG_MID])
    assert _metric(tap, "mailflow_tap_http_requests_total", provider="mailgun", result="unavailable") == 1
    assert _metric(tap, "mailflow_tap_broker_up") == 1


def test_subscription_too_large_unknown_route_and_labels_without_addresses():
    from prometheus_client import generate_latest

    sink = FakeSink()
    s = settings("--listen", "127.0.0.1:0", "--max-body-bytes", "4096", "--providers", "ses,mailgun")
    from .test_esp_common import sign_sns

    conf = orjson.dumps(sign_sns(load("sns_subscription_confirmation.json")))

    async def go():
        tap = await _serve(s, sink)
        try:
            out = [await _post(tap.port, "/ses", conf), await _post(tap.port, "/mailgun", b"x" * 10_000),
                   await _post(tap.port, "/sendgrid", b"[]"), await _post(tap.port, "/mailgun",
                                                                       mailgun_payload(load("mailgun_events.json")[0]))]
        finally:
            await tap.stop()
        return tap, out

    tap, out = asyncio.run(go())
    assert [st for st, _ in out] == [200, 413, 404, 200], out
    assert not sink.dead()
    text = generate_latest(tap.registry).decode()
    assert "@" not in text and "Your invoice" not in text
    assert _metric(tap, "mailflow_tap_http_requests_total", provider="ses", result="subscription") == 1


def test_settings_and_environment():
    from detectors.errors import ConfigError
    from streams.taps.http import DEFAULT_METRICS_PORT, parse_http_settings

    s = parse_http_settings(["--listen", "127.0.0.1:8080", "--broker", "kafka://k1:9092"], env={})
    assert (s.listen_host, s.listen_port, s.worker.bootstrap_servers) == ("127.0.0.1", 8080, ["k1:9092"])
    assert s.worker.metrics_port == DEFAULT_METRICS_PORT and s.group_window == 2.0
    env = {"MAILFLOW_BROKER": "kafka://envhost:9093", "MAILFLOW_INPUT_TOPIC": "in.x",
           "MAILFLOW_TAP_HTTP_LISTEN": "0.0.0.0:9000", "MAILFLOW_TAP_HTTP_GROUP_WINDOW": "0.5",
           "MAILFLOW_TAP_HTTP_MAILGUN_SIGNING_KEY": MAILGUN_KEY, "MAILFLOW_TAP_HTTP_SENDGRID_PUBLIC_KEY": ec_public_b64(),
           "MAILFLOW_TAP_HTTP_SNS_AUTO_CONFIRM": "1", "MAILFLOW_INTERNAL_DOMAINS": "shop.example"}
    s = parse_http_settings([], env=env)
    assert s.worker.bootstrap_servers == ["envhost:9093"] and s.worker.input_topic == "in.x"
    assert (s.listen_host, s.listen_port, s.group_window) == ("0.0.0.0", 9000, 0.5)
    assert s.mailgun.signing_key == MAILGUN_KEY and s.sendgrid.public_key is not None and s.ses.auto_confirm
    assert s.mime.internal_domains == ("shop.example",)
    with tempfile.NamedTemporaryFile("w", suffix=".key") as f:
        f.write(MAILGUN_KEY + "\n")
        f.flush()
        assert parse_http_settings(["--mailgun-signing-key-file", f.name], env={}).mailgun.signing_key == MAILGUN_KEY
    with pytest.raises(ConfigError) as exc:
        parse_http_settings(["--listen", "nope", "--group-window", "-1", "--providers", "postmark",
                             "--sendgrid-public-key", "garbage", "--max-group-size", "5000"], env={})
    assert len(exc.value.problems) == 5


# ----------------------------------------------------------------------- with the broker
def _topics(tag):
    u = uuid.uuid4().hex[:8]
    return f"taphttp.{tag}.{u}.in", f"taphttp.{tag}.{u}.dlq"


@pytest.mark.broker
def test_end_to_end_each_provider_reaches_the_input_topic(broker):
    from .conftest import consume, create_topics

    topic, dlq = _topics("e2e")
    create_topics(broker.bootstrap, topic, dlq)
    s = settings("--listen", "127.0.0.1:0", "--broker", broker.url, "--input-topic", topic, "--dlq-topic", dlq,
                 "--group-window", "0.5")
    junk = b"[{not json"

    async def go():
        tap = HttpTap(s, cert_fetcher=cert_fetcher())  # the real KafkaSink
        await tap.start()
        try:
            posts = await asyncio.gather(*(_post(tap.port, p, b, h) for p, b, h in _all_posts()))
            bad = await _post(tap.port, "/sendgrid", junk, sendgrid_headers(junk))
        finally:
            await tap.stop()
        return posts, bad

    posts, bad = asyncio.run(go())
    assert [st for st, _ in posts] == [200] * len(posts), posts
    assert bad[0] == 400
    wanted = {SES_MID, SG_MID, MG_MID}
    records = consume(broker.bootstrap, topic, lambda rs: {parse_event(r.value).event_id for r in rs} >= wanted)
    events = [parse_event(r.value) for r in records]
    assert sorted(e.event_id for e in events) == sorted(wanted)  # one event per message
    by_id = {e.event_id: (r, e) for r, e in zip(records, events)}
    assert all(r.key == b"billing@shop.example" for r, _ in by_id.values())
    assert len(by_id[SES_MID][1].recipients) == 3 and len(by_id[SG_MID][1].recipients) == 3
    assert len(by_id[MG_MID][1].recipients) == 3
    dead = consume(broker.bootstrap, dlq, lambda rs: len(rs) >= 1)
    assert [(r.value, dict(r.headers)["mailflow-reason"]) for r in dead] == [(junk, b"invalid_json")]


@pytest.mark.broker
def test_broker_down_answers_5xx(free_port):
    s = settings("--listen", "127.0.0.1:0", "--broker", f"kafka://127.0.0.1:{free_port()}", "--produce-timeout", "1",
                 "--group-window", "0.2")

    async def go():
        tap = HttpTap(s, cert_fetcher=cert_fetcher())
        await tap.start()
        try:
            return [await _post(tap.port, "/ses", _ses_body()),
                    await _post(tap.port, "/mailgun", mailgun_payload(load("mailgun_events.json")[0]))], tap
        finally:
            await tap.stop()

    out, tap = asyncio.run(go())
    assert [st for st, _ in out] == [503, 503], out
    assert _metric(tap, "mailflow_tap_broker_up") == 0


@pytest.mark.broker
def test_command_line_of_the_contract(broker, free_port, tmp_path):
    """``mailflow tap http --listen HOST:PORT --broker URL`` as a subprocess, keys from MAILFLOW_* env."""
    from .conftest import consume, create_topics

    topic, dlq = _topics("cli")
    create_topics(broker.bootstrap, topic, dlq)
    port, mport = free_port(), free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MAILFLOW_INPUT_TOPIC": topic, "MAILFLOW_DLQ_TOPIC": dlq,
           "MAILFLOW_METRICS_PORT": str(mport), "MAILFLOW_METRICS_HOST": "127.0.0.1",
           "MAILFLOW_TAP_HTTP_MAILGUN_SIGNING_KEY": MAILGUN_KEY, "MAILFLOW_TAP_HTTP_GROUP_WINDOW": "0.3"}
    log_path = tmp_path / "tap-http.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "streams.cli", "tap", "http", "--listen", f"127.0.0.1:{port}",
                                 "--broker", broker.url], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, log_path.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200
                break
            except OSError:
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
        def post(ed):
            req = urllib.request.Request(f"http://127.0.0.1:{port}/mailgun", data=mailgun_payload(ed),
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status

        # Mailgun posts each recipient's event as it happens: concurrent requests, grouped in the window
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(3) as pool:
            statuses = list(pool.map(post, load("mailgun_events.json")[:3]))
        assert statuses == [200, 200, 200]
        records = consume(broker.bootstrap, topic, lambda rs: len(rs) >= 1)
        assert [parse_event(r.value).event_id for r in records] == [MG_MID]
        with urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=5) as r:
            metrics = r.read().decode()
        assert 'mailflow_tap_http_requests_total{provider="mailgun",result="produced"} 3.0' in metrics
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    text = log_path.read_text()
    assert "listening on 127.0.0.1" in text
    assert "customer-" not in text and "billing@" not in text and "Your invoice" not in text  # no address, no subject


def test_answer_waits_for_the_acknowledgement():
    sink = FakeSink(delay=0.5)
    s = settings("--listen", "127.0.0.1:0", "--group-window", "0")

    async def go():
        tap = await _serve(s, sink)
        try:
            t0 = time.monotonic()
            st, _ = await _post(tap.port, "/mailgun", mailgun_payload(load("mailgun_events.json")[0]))
            took = time.monotonic() - t0
            acked_before_answer = len(sink.events())
        finally:
            await tap.stop()
        return st, took, acked_before_answer

    st, took, acked = asyncio.run(go())
    assert st == 200 and took >= 0.45 and acked == 1
