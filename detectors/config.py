"""Typed, validated settings of the detection pipeline."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from typing import Any, Mapping

from .errors import ConfigError
from .localtime import zone_problem

__all__ = ["SentinelConfig", "DEFAULT_FREEMAIL_DOMAINS", "ENV_PREFIX", "settings_from_env"]

#: Every detector setting ``name`` can be given as ``MAILFLOW_DETECTOR_<NAME>``.
ENV_PREFIX = "MAILFLOW_DETECTOR_"


def settings_from_env(env: Mapping[str, str]) -> dict[str, str]:
    """The detector settings an environment gives, for :meth:`SentinelConfig.from_mapping`.

    The one reader of detector settings from the environment: ``mailflow worker``,
    ``mailflow replay`` and ``mailflow guard`` all call it with the environment they
    were given (never ``os.environ`` behind the caller's back).
    ``MAILFLOW_DETECTOR_<NAME>`` gives ``name``; ``MAILFLOW_INTERNAL_DOMAINS`` (a comma
    list, shared with the worker's own setting) gives ``internal_domains``. Empty values
    are left out.

    >>> settings_from_env({"MAILFLOW_DETECTOR_BUCKET_SECONDS": "60", "MAILFLOW_INTERNAL_DOMAINS": "a.com, b.com",
    ...                    "MAILFLOW_DETECTOR_TIMEZONE": "", "HOME": "/root"})
    {'bucket_seconds': '60', 'internal_domains': ['a.com', 'b.com']}
    """
    out: dict[str, Any] = {k[len(ENV_PREFIX):].lower(): v for k, v in sorted(env.items())
                           if k.startswith(ENV_PREFIX) and v != ""}
    domains = [d.strip() for d in env.get("MAILFLOW_INTERNAL_DOMAINS", "").split(",") if d.strip()]
    if domains:
        out["internal_domains"] = domains
    return out

#: Consumer mail providers: each address there is its own customer, never "the
#: same company" as another address on the same domain.
DEFAULT_FREEMAIL_DOMAINS = (
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.fr", "yahoo.co.uk", "outlook.com", "hotmail.com",
    "hotmail.fr", "live.com", "live.fr", "msn.com", "icloud.com", "me.com", "mac.com", "aol.com",
    "gmx.de", "gmx.net", "gmx.com", "web.de", "proton.me", "protonmail.com", "orange.fr", "wanadoo.fr",
    "free.fr", "laposte.net", "sfr.fr", "neuf.fr", "bbox.fr", "mail.com", "yandex.ru", "mail.ru",
    "qq.com", "163.com", "zoho.com", "fastmail.com", "t-online.de",
)


@dataclass(frozen=True)
class SentinelConfig:
    """Settings of :class:`detectors.pipeline.Sentinel`.

    Build with keyword arguments or :meth:`from_mapping`; both validate every
    field and raise :class:`~detectors.errors.ConfigError` naming every bad entry.

    >>> SentinelConfig(internal_domains=("Example.com",)).internal_domains
    ('example.com',)
    >>> SentinelConfig.from_mapping({"bucket_seconds": 0, "colour": "red"})
    Traceback (most recent call last):
    ...
    detectors.errors.ConfigError: invalid configuration:
      - bucket_seconds: must be >= 10, got 0
      - colour: unknown setting
    """

    #: Domains of the company itself (recipients there are internal). The sender's
    #: own domain always counts as internal too.
    internal_domains: tuple[str, ...] = ()
    #: Consumer mail providers (each address is its own customer).
    freemail_domains: tuple[str, ...] = DEFAULT_FREEMAIL_DOMAINS
    #: Length of the volume buckets, seconds.
    bucket_seconds: int = 300
    #: Events larger than this are rejected (``too_large``).
    max_event_bytes: int = 512 * 1024
    #: Events with more recipients are rejected (``too_many_recipients``).
    max_recipients: int = 1000
    #: Templates tracked per sender (least recently used beyond).
    max_templates_per_sender: int = 32
    #: Senders kept by ``process_one`` (replay); least recently used beyond.
    max_senders: int = 200_000
    #: Episode ends after this long without a new trigger, seconds.
    episode_quiet_seconds: int = 3600
    #: No novelty alerts while the sender has been seen for less than this, seconds.
    sender_warm_up_seconds: int = 86_400
    #: Template volume spike: the bucket must exceed ``spike_tolerance`` times the
    #: reference (max of seasonal expectation, recent level, recent peak).
    spike_tolerance: float = 2.0
    #: Template volume spike: minimum messages in the bucket.
    spike_min_count: int = 30
    #: A template younger than this is "new", seconds.
    novelty_age_seconds: int = 86_400
    #: New template from an automated account: messages needed to alert.
    novelty_min_count: int = 20
    #: Fan-out: unrelated external customers on one message to warn (automated senders).
    fanout_min_unrelated: int = 3
    #: Fan-out: the same for human senders.
    fanout_min_unrelated_human: int = 6
    #: Fan-out: unrelated customers on one message that is critical on its own.
    fanout_critical_unrelated: int = 10
    #: Recipient novelty: never-mailed recipients in one bucket needed to alert.
    novelty_min_new_recipients: int = 25
    #: Human accounts: never-mailed recipients in the current and the previous bucket
    #: before a request for credentials (or with a link to an outside site) pages.
    human_page_new_recipients: int = 10
    #: No sensitive request is "new" while the stream has run for less than this
    #: (seconds since the earliest sender was first seen): what accounts already ask
    #: is learned first. Fan-out, relays and loops page from the start.
    stream_warm_up_seconds: int = 7 * 86_400
    #: A template that has asked for the same data for this long (one customer per
    #: message) does so as its normal: no page, seconds.
    sensitive_established_seconds: int = 3 * 86_400
    #: Mail loops: repeats of one message to the same recipients within the window.
    loop_window_seconds: int = 1800
    loop_min_repeats: int = 10
    loop_page_repeats: int = 20
    #: Re-delivered events are recognised by ``event_id`` for at least this long of
    #: the sender's event time, seconds.
    dedup_window_seconds: int = 86_400
    #: ... for at most this many event ids per sender (8 bytes each in the state's
    #: pickle: the default keeps a sender's state under Kafka's 1 MiB record size).
    #: Senders above ``2 * dedup_max_ids / 3`` events a day are covered for less than a day.
    dedup_max_ids: int = 96_000
    #: IANA time zone of the seasonal baselines (hour of day, day of week).
    timezone: str = "UTC"
    #: Per-sender time zones, ``"sender=Area/City"`` entries.
    sender_timezones: tuple[str, ...] = ()
    #: Score thresholds.
    warning_score: float = 0.6
    critical_score: float = 0.85
    #: Seed for every randomised part (kept for reproducibility; detectors are deterministic).
    seed: int = 0

    def __post_init__(self) -> None:
        problems = self._problems()
        if problems:
            raise ConfigError(problems)
        object.__setattr__(self, "internal_domains", tuple(d.strip().lower().lstrip("@") for d in self.internal_domains if d.strip()))
        object.__setattr__(self, "freemail_domains", tuple(d.strip().lower() for d in self.freemail_domains if d.strip()))

    def _problems(self) -> list[str]:
        out: list[str] = []
        mins = {
            "bucket_seconds": 10, "max_event_bytes": 256, "max_recipients": 1, "max_templates_per_sender": 1,
            "max_senders": 1, "episode_quiet_seconds": 0, "sender_warm_up_seconds": 0, "spike_min_count": 1,
            "novelty_age_seconds": 0, "novelty_min_count": 1, "fanout_min_unrelated": 2,
            "fanout_min_unrelated_human": 2, "fanout_critical_unrelated": 2, "novelty_min_new_recipients": 1,
            "human_page_new_recipients": 1, "stream_warm_up_seconds": 0, "sensitive_established_seconds": 0,
            "loop_window_seconds": 60, "loop_min_repeats": 2, "loop_page_repeats": 2, "dedup_window_seconds": 60,
            "dedup_max_ids": 3,
        }
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in ("internal_domains", "freemail_domains"):
                if isinstance(v, str) or not isinstance(v, (tuple, list)) or not all(isinstance(d, str) for d in v):
                    out.append(f"{f.name}: must be a list of domain names, got {v!r}")
                else:
                    bad = [d for d in v if "@" in d.strip().lstrip("@") or " " in d.strip() or "." not in d]
                    if bad:
                        out.append(f"{f.name}: not domain names: {', '.join(map(repr, bad))}")
            elif f.name == "timezone":
                problem = zone_problem(v) if isinstance(v, str) else f"must be a time zone name, got {v!r}"
                if problem:
                    out.append(f"timezone: {problem}")
            elif f.name == "sender_timezones":
                if isinstance(v, str) or not isinstance(v, (tuple, list)):
                    out.append(f"sender_timezones: must be a list of 'sender=Area/City' entries, got {v!r}")
                else:
                    for entry in v:
                        sender, eq, zone = entry.partition("=") if isinstance(entry, str) else ("", "", "")
                        if not eq or "@" not in sender:
                            out.append(f"sender_timezones: not 'sender=Area/City': {entry!r}")
                        elif zone_problem(zone.strip()):
                            out.append(f"sender_timezones: {entry!r}: {zone_problem(zone.strip())}")
            elif f.name in mins:
                if isinstance(v, bool) or not isinstance(v, int):
                    out.append(f"{f.name}: must be an integer, got {v!r}")
                elif v < mins[f.name]:
                    out.append(f"{f.name}: must be >= {mins[f.name]}, got {v}")
            elif f.name == "seed":
                if isinstance(v, bool) or not isinstance(v, int):
                    out.append(f"seed: must be an integer, got {v!r}")
            else:  # floats
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                    out.append(f"{f.name}: must be a finite number, got {v!r}")
                elif f.name == "spike_tolerance" and v < 1:
                    out.append(f"spike_tolerance: must be >= 1, got {v}")
                elif f.name.endswith("_score") and not 0 < v <= 1:
                    out.append(f"{f.name}: must be in (0, 1], got {v}")
        if not out and self.warning_score > self.critical_score:
            out.append("warning_score: must not exceed critical_score")
        if not out and self.loop_min_repeats > self.loop_page_repeats:
            out.append("loop_min_repeats: must not exceed loop_page_repeats")
        return out

    def sender_zones(self) -> dict[str, str]:
        """``sender_timezones`` as a mapping: lower-cased sender -> zone name.

        >>> SentinelConfig(sender_timezones=("Care@Example.com=Europe/Paris",)).sender_zones()
        {'care@example.com': 'Europe/Paris'}
        """
        return {s.strip().lower(): z.strip() for s, _, z in (e.partition("=") for e in self.sender_timezones)}

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "SentinelConfig":
        """Build from a mapping (file or environment); unknown keys are errors.

        Comma-separated strings are accepted for the domain lists, and numeric
        strings for numbers.
        """
        known = {f.name: f for f in fields(cls)}
        problems: list[str] = []
        kwargs: dict[str, Any] = {}
        for k, v in values.items():
            if k not in known:
                problems.append(f"{k}: unknown setting")
                continue
            default = known[k].default
            if isinstance(default, tuple) and isinstance(v, str):
                v = tuple(p.strip() for p in v.split(",") if p.strip())
            elif isinstance(default, tuple) and isinstance(v, list):
                v = tuple(v)
            elif isinstance(default, bool):
                pass
            elif isinstance(default, int) and isinstance(v, str):
                try:
                    v = int(v)
                except ValueError:
                    problems.append(f"{k}: must be an integer, got {v!r}")
                    continue
            elif isinstance(default, float) and isinstance(v, str):
                try:
                    v = float(v)
                except ValueError:
                    problems.append(f"{k}: must be a number, got {v!r}")
                    continue
            kwargs[k] = v
        try:
            cfg = cls(**kwargs)
        except ConfigError as exc:
            problems = exc.problems + problems
            raise ConfigError(sorted(problems)) from None
        if problems:
            raise ConfigError(sorted(problems))
        return cfg

    def replace(self, **changes: Any) -> "SentinelConfig":
        return dataclasses.replace(self, **changes)
