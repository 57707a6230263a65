"""streams/taps/spool.py: records the broker did not take survive, are sent again in order, once."""

from __future__ import annotations

import asyncio
import os

import pytest

from streams.taps.spool import Spool, SpoolError


class Broker:
    """A sink that takes ``ok`` records, then refuses (as a broker going down again)."""

    def __init__(self, ok: int = 10**9) -> None:
        self.ok, self.got = ok, []

    async def send(self, topic, key, value, headers=()):
        if len(self.got) >= self.ok:
            raise ConnectionError("broker down")
        self.got.append((topic, key, value, list(headers)))


def test_records_are_kept_across_a_restart_and_sent_once_in_order(tmp_path):
    s = Spool(str(tmp_path))
    for i in range(5):
        assert s.append("mail.outbound", f"k{i}".encode(), f"v{i}".encode(), [("h", b"\x00\xff")])
    assert s.records == 5
    s2 = Spool(str(tmp_path))  # a restarted tap: what the first one kept is there
    assert s2.records == 5 and s2.bytes == s.bytes
    b = Broker(ok=2)  # takes two, then is down again
    assert asyncio.run(s2.resend(b.send)) == 2
    assert [v for _, _, v, _ in b.got] == [b"v0", b"v1"] and s2.records == 3
    b.ok = 10**9
    assert asyncio.run(s2.resend(b.send)) == 3  # the rest, not the first two again
    assert [v for _, _, v, _ in b.got] == [b"v0", b"v1", b"v2", b"v3", b"v4"]
    assert b.got[0] == ("mail.outbound", b"k0", b"v0", [("h", b"\x00\xff")])  # bytes and headers intact
    assert s2.records == 0 and not [n for n in os.listdir(tmp_path) if n.endswith(".spool")]
    assert asyncio.run(Spool(str(tmp_path)).resend(b.send)) == 0


def test_appends_during_a_resend_wait_for_the_next_one_and_a_full_spool_refuses(tmp_path):
    s = Spool(str(tmp_path), max_bytes=1 << 20)
    s.append("t", None, b"first")

    class AppendsWhileSending(Broker):
        async def send(self, topic, key, value, headers=()):
            await super().send(topic, key, value, headers)
            s.append("t", None, b"during")

    b = AppendsWhileSending()
    assert asyncio.run(s.resend(b.send)) == 1 and s.records == 1
    assert asyncio.run(s.resend(Broker().send)) == 1 and s.records == 0
    big = b"x" * (600 * 1024)
    assert s.append("t", None, big) and not s.append("t", None, big)  # over max_bytes: refused, not kept
    assert s.records == 1


def test_a_torn_last_line_is_skipped(tmp_path):
    s = Spool(str(tmp_path))
    s.append("t", None, b"whole")
    s.close()
    seg = [n for n in os.listdir(tmp_path) if n.endswith(".spool")][0]
    with open(tmp_path / seg, "ab") as fh:
        fh.write(b'{"t": "t", "k": nu')  # a crash in the middle of a write
    b = Broker()
    s2 = Spool(str(tmp_path))
    assert s2.records == 1  # the torn line is no record
    assert asyncio.run(s2.resend(b.send)) == 1 and b.got[0][2] == b"whole"
    assert s2.records == 0 and s2.bytes == 0


def test_an_unusable_directory_is_a_clear_error(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(SpoolError, match="cannot create the spool directory"):
        Spool(str(f / "spool"))


def test_a_failed_write_is_refused_and_the_next_record_goes_to_a_fresh_file(tmp_path, monkeypatch):
    s = Spool(str(tmp_path))
    assert s.append("t", None, b"one")
    real = os.fsync

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    assert not s.append("t", None, b"lost")  # refused: the caller counts it as failed
    monkeypatch.setattr(os, "fsync", real)
    assert s.append("t", None, b"two")
    b = Broker()
    asyncio.run(Spool(str(tmp_path)).resend(b.send))
    assert b"one" in [v for _, _, v, _ in b.got] and b"two" in [v for _, _, v, _ in b.got]
