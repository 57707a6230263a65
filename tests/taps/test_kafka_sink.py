"""KafkaSink: once a topic was acknowledged, records go to the producer from the event loop
(no pool thread waits per record); any failure sends the next ones through the pool again."""

from __future__ import annotations

import asyncio
import threading

import pytest
from kafka.errors import KafkaTimeoutError
from kafka.future import Future

from streams.taps.smtp import BrokerUnavailable, KafkaSink, parse_tap_settings


class RecordFuture(Future):
    """The part of kafka-python's FutureRecordMetadata the sink uses: callbacks, and get()."""

    def __init__(self) -> None:
        super().__init__()
        self._done = threading.Event()

    def success(self, value):
        super().success(value)
        self._done.set()

    def failure(self, e):
        super().failure(e)
        self._done.set()

    def get(self, timeout=None):
        if not self._done.wait(timeout):
            raise KafkaTimeoutError("no ack")
        if self.failed():
            raise self.exception
        return self.value


class Producer:
    """kafka-python's send(): a future completed later by another thread (its sender)."""

    def __init__(self) -> None:
        self.sent, self.threads, self.fail = [], [], None

    def send(self, topic, key=None, value=None, headers=None):
        self.sent.append((topic, key, value))
        self.threads.append(threading.current_thread().name)
        fut = RecordFuture()
        fail = self.fail
        threading.Timer(0.01, lambda: fut.failure(fail) if fail else fut.success(("md", topic))).start()
        return fut

    def close(self, timeout=None):
        pass


def _sink(producer):
    sink = KafkaSink(parse_tap_settings([], env={}))
    sink._get = lambda: producer  # the connection is not under test here
    sink._producer = producer
    return sink


def test_the_first_record_goes_through_the_pool_the_next_from_the_loop_and_a_failure_resets():
    p = Producer()
    sink = _sink(p)

    async def run():
        assert await sink.send("t", b"k", b"v1") is not None
        assert await sink.send("t", b"k", b"v2") == ("md", "t")  # acknowledged by callback
        await asyncio.gather(*(sink.send("t", b"k", b"v%d" % i) for i in range(3, 13)))
        p.fail = KafkaTimeoutError()
        with pytest.raises(BrokerUnavailable):
            await sink.send("t", b"k", b"lost")  # the broker's error, as the pool path gives it
        p.fail = None
        await sink.send("t", b"k", b"after")

    asyncio.run(run())
    main = threading.main_thread().name
    assert p.threads[0].startswith("mailflow-tap-kafka")  # the pool: connecting may block
    assert set(p.threads[1:12]) == {main}  # then the loop's thread, 11 records, no pool thread
    assert p.threads[12] == main and p.threads[13].startswith("mailflow-tap-kafka")  # after the failure: the pool
    assert [v for _, _, v in p.sent][:2] == [b"v1", b"v2"] and len(p.sent) == 14
    sink.close()


def test_no_acknowledgement_in_time_is_broker_unavailable():
    class Silent(Producer):
        def send(self, topic, key=None, value=None, headers=None):
            self.threads.append(threading.current_thread().name)
            fut = RecordFuture()
            if len(self.threads) == 1:
                fut.success("md")
            return fut  # never completed after the first

    p = Silent()
    sink = _sink(p)
    sink.timeout = 0.2

    async def run():
        await sink.send("t", None, b"a")
        with pytest.raises(BrokerUnavailable, match="no acknowledgement"):
            await sink.send("t", None, b"b")

    asyncio.run(run())
    assert "t" not in sink._warm
    sink.close()
