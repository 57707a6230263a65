"""Tests of the validated settings (detectors/config.py)."""

from __future__ import annotations

import math
import pickle

import pytest

from detectors.config import DEFAULT_FREEMAIL_DOMAINS, SentinelConfig
from detectors.errors import ConfigError


def problems_of(fn) -> list[str]:
    with pytest.raises(ConfigError) as info:
        fn()
    return info.value.problems


def test_defaults_are_valid_and_documented_values():
    c = SentinelConfig()
    assert c.bucket_seconds == 300
    assert c.internal_domains == ()
    assert "gmail.com" in c.freemail_domains
    assert c.warning_score <= c.critical_score


def test_domains_normalised():
    c = SentinelConfig(internal_domains=(" Example.COM ", "@Corp.example"), freemail_domains=("GMAIL.com",))
    assert c.internal_domains == ("example.com", "corp.example")
    assert c.freemail_domains == ("gmail.com",)


def test_every_bad_entry_listed_in_one_error():
    probs = problems_of(lambda: SentinelConfig(
        bucket_seconds=0, max_recipients="many", warning_score=1.5, spike_tolerance=0.5,
        internal_domains="example.com", seed=1.5,
    ))
    joined = "\n".join(probs)
    for name in ("bucket_seconds", "max_recipients", "warning_score", "spike_tolerance", "internal_domains", "seed"):
        assert name in joined, name
    assert len(probs) == 6
    # the message shows every problem too
    with pytest.raises(ConfigError) as info:
        SentinelConfig(bucket_seconds=0, max_senders=0)
    assert "bucket_seconds" in str(info.value) and "max_senders" in str(info.value)


def test_bool_is_not_an_integer():
    assert any("max_senders" in p for p in problems_of(lambda: SentinelConfig(max_senders=True)))


def test_bad_domain_names():
    probs = problems_of(lambda: SentinelConfig(internal_domains=("a@b.com", "no dot", "localhost")))
    assert len(probs) == 1 and "internal_domains" in probs[0]
    for bad in ("'a@b.com'", "'no dot'", "'localhost'"):
        assert bad in probs[0]


def test_warning_above_critical():
    probs = problems_of(lambda: SentinelConfig(warning_score=0.9, critical_score=0.8))
    assert probs == ["warning_score: must not exceed critical_score"]


def test_from_mapping_string_coercion():
    c = SentinelConfig.from_mapping({
        "bucket_seconds": "600", "spike_tolerance": "2.5", "internal_domains": "Example.com, corp.example ,",
        "freemail_domains": ["gmail.com"], "warning_score": 0.5,
    })
    assert c.bucket_seconds == 600 and isinstance(c.bucket_seconds, int)
    assert c.spike_tolerance == 2.5
    assert c.internal_domains == ("example.com", "corp.example")
    assert c.freemail_domains == ("gmail.com",)
    assert c.warning_score == 0.5


def test_from_mapping_lists_unknown_keys_and_bad_values_together():
    probs = problems_of(lambda: SentinelConfig.from_mapping({
        "bucket_seconds": "ten", "colour": "red", "spike_tolerance": "high", "max_senders": "0",
        "fanout_min_unrelated": 1,
    }))
    assert probs == sorted(probs)
    joined = "\n".join(probs)
    assert "colour: unknown setting" in joined
    assert "bucket_seconds: must be an integer, got 'ten'" in joined
    assert "spike_tolerance: must be a number, got 'high'" in joined
    assert "max_senders: must be >= 1, got 0" in joined
    assert "fanout_min_unrelated: must be >= 2, got 1" in joined
    assert len(probs) == 5


def test_from_mapping_float_for_integer_is_an_error():
    probs = problems_of(lambda: SentinelConfig.from_mapping({"bucket_seconds": 300.5}))
    assert probs and "bucket_seconds" in probs[0]


def test_replace_validates():
    c = SentinelConfig()
    assert c.replace(bucket_seconds=60).bucket_seconds == 60
    with pytest.raises(ConfigError):
        c.replace(bucket_seconds=1)


def test_config_is_frozen_hashable_and_pickles():
    c = SentinelConfig(internal_domains=("example.com",))
    with pytest.raises(Exception):
        c.bucket_seconds = 10  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(c)) == c
    assert hash(c) == hash(SentinelConfig(internal_domains=("example.com",)))
    err = ConfigError(["a: bad", "b: bad"])
    assert pickle.loads(pickle.dumps(err)).problems == ["a: bad", "b: bad"]


@pytest.mark.parametrize("value", [float("nan"), "nan"])
def test_nan_tolerance_rejected(value):
    if isinstance(value, str):
        problems_of(lambda: SentinelConfig.from_mapping({"spike_tolerance": value}))
    else:
        problems_of(lambda: SentinelConfig(spike_tolerance=value))
