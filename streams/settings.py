"""Typed, validated settings of the streaming worker.

Settings come from command-line flags and ``MAILFLOW_*`` environment variables
(flags override the environment, the environment overrides the defaults). Every
bad entry is collected and reported at once in one
:class:`~detectors.errors.ConfigError`.

This module imports neither Faust nor Kafka: it is cheap to import and to test.
"""

from __future__ import annotations

import argparse
import os
import re
import ssl
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, Mapping, Sequence

from detectors.errors import ConfigError

from .labels import MIN_KEY_CHARS
from .logformat import LOG_FORMATS

__all__ = ["WorkerSettings", "build_parser", "parse_settings", "parse_broker_url", "ENV_PREFIX", "SECURITY_PROTOCOLS",
           "SASL_MECHANISMS", "INPUT_TOPIC", "ALERTS_TOPIC", "DLQ_TOPIC", "LOCAL_BROKER"]

ENV_PREFIX = "MAILFLOW_"
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")

#: A valid Kafka topic name.
TOPIC_RE = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z0-9-]{1,63}$")

#: The topics' default names: the one place every command (worker, produce, demo,
#: taps, guard) takes them from (../shared/CONTRACT.md fixes them).
INPUT_TOPIC = "mail.outbound"
ALERTS_TOPIC = "mail.alerts"
DLQ_TOPIC = "mail.outbound.dlq"
#: The broker a command uses when none is given.
LOCAL_BROKER = "kafka://localhost:9092"


def parse_broker_url(url: str) -> list[str]:
    """``kafka://h1:9092;h2:9092`` / ``h:p,h2:p2`` -> ``["h1:9092", "h2:9092"]``.

    >>> parse_broker_url("kafka://127.0.0.1:9092")
    ['127.0.0.1:9092']
    >>> parse_broker_url("a:1;kafka://b:2,c")
    ['a:1', 'b:2', 'c:9092']
    >>> parse_broker_url("http://x:1")
    Traceback (most recent call last):
    ...
    ValueError: unsupported scheme 'http' in 'http://x:1' (use kafka://host:port)
    """
    out: list[str] = []
    parts = [p.strip() for p in re.split(r"[;,]", url or "") if p.strip()]
    if not parts:
        raise ValueError("empty broker URL")
    for part in parts:
        hostport = part
        if "://" in part:
            scheme, _, hostport = part.partition("://")
            if scheme.lower() not in ("kafka", "tcp", "aiokafka"):
                raise ValueError(f"unsupported scheme {scheme!r} in {url!r} (use kafka://host:port)")
        hostport = hostport.rstrip("/")
        if not hostport:
            raise ValueError(f"no host in {url!r}")
        if hostport.startswith("["):  # [ipv6]:port
            host, _, rest = hostport[1:].partition("]")
            port_s = rest[1:] if rest.startswith(":") else "9092"
        elif hostport.count(":") == 1:
            host, _, port_s = hostport.partition(":")
        elif ":" not in hostport:
            host, port_s = hostport, "9092"
        else:
            raise ValueError(f"cannot read host:port in {part!r}")
        if not host or any(c.isspace() or c in "/?#@" for c in host):
            raise ValueError(f"bad host {host!r} in {url!r}")
        try:
            port = int(port_s)
        except ValueError:
            raise ValueError(f"bad port {port_s!r} in {url!r}") from None
        if not 0 < port < 65536:
            raise ValueError(f"port {port} out of range in {url!r}")
        out.append(f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
    return out


@dataclass(frozen=True)
class WorkerSettings:
    """Everything the streaming worker can be told.

    Each field maps to a flag ``--field-name`` and an environment variable
    ``MAILFLOW_FIELD_NAME`` (see :data:`_SPECS`).
    """

    broker: str = LOCAL_BROKER
    metrics_port: int = 9108  # 0: do not serve /metrics
    metrics_host: str = "0.0.0.0"
    metrics_certfile: str | None = None  # TLS of /metrics, /healthz, /readyz (streams.httpd)
    metrics_keyfile: str | None = None
    metrics_client_cafile: str | None = None  # mutual TLS: client certificates signed by this CA
    metrics_username: str | None = None  # HTTP basic auth on /metrics (streams.httpd)
    metrics_password: str | None = field(default=None, repr=False)
    alertmanager_urls: tuple[str, ...] = ()  # direct push of detector alerts (streams.notify)
    alertmanager_resend_interval: float = 60.0
    alertmanager_username: str | None = None
    alertmanager_password: str | None = field(default=None, repr=False)
    runbook_url: str = "https://github.com/mailflow-sentinel/mailflow-sentinel/blob/main/docs/runbook.md"
    dashboard_url: str = "http://localhost:3000/d/mailflow-launch/launch-monitoring"
    app_id: str = "mailflow-sentinel"  # also the Kafka consumer group id
    input_topic: str = INPUT_TOPIC
    alerts_topic: str = ALERTS_TOPIC
    dlq_topic: str = DLQ_TOPIC
    dead_letter_max_bytes: int = 960 * 1024  # larger dead letters are stored truncated (streams.deadletter)
    partitions: int = 8
    replication_factor: int = 1
    store: str = "memory://"
    data_dir: str = "mailflow-data"
    internal_domains: tuple[str, ...] = ()
    top_senders: int = 50
    top_templates: int = 50
    max_active_alerts: int = 100
    batch_size: int = 2000
    batch_within: float = 0.2
    max_poll_records: int = 5000
    bulk_read: bool = True
    state_flush_interval: float = 1.0
    session_timeout: float = 10.0  # failover: a crashed worker's partitions move after ~this (docs/kafka.md)
    expire_interval: float = 15.0
    lag_interval: float = 5.0
    max_clock_skew_seconds: float = 3600.0
    max_senders: int = 100_000
    log_level: str = "info"
    log_format: str = "text"
    hash_sender_labels: bool = False
    label_hash_key: str | None = field(default=None, repr=False)
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    #: The detector settings the environment gave (``MAILFLOW_DETECTOR_*``), read by
    #: :func:`detectors.config.settings_from_env` from the environment passed to
    #: :func:`parse_settings`.
    detector_env: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ derived
    @property
    def broker_urls(self) -> list[str]:
        """The broker as a list of ``kafka://host:port`` URLs (Faust's form)."""
        return ["kafka://" + hp for hp in self.bootstrap_servers]

    @property
    def bootstrap_servers(self) -> list[str]:
        """The broker as ``host:port`` entries (aiokafka's form)."""
        return parse_broker_url(self.broker)

    def ssl_context(self) -> ssl.SSLContext | None:
        """An SSL context for ``SSL``/``SASL_SSL``, else ``None``."""
        if self.security_protocol not in ("SSL", "SASL_SSL"):
            return None
        ctx = ssl.create_default_context(cafile=self.ssl_cafile)
        if self.ssl_certfile:
            ctx.load_cert_chain(self.ssl_certfile, self.ssl_keyfile)
        return ctx

    def broker_credentials(self) -> Any:
        """Faust ``broker_credentials`` for the security settings (``None`` for PLAINTEXT)."""
        proto = self.security_protocol
        if proto == "PLAINTEXT":
            return None
        import faust  # local import: settings stays Faust-free to import

        ctx = self.ssl_context()
        if proto == "SSL":
            return faust.SSLCredentials(ctx)
        creds = faust.SASLCredentials(
            username=self.sasl_username,
            password=self.sasl_password,
            mechanism=self.sasl_mechanism,
            ssl_context=ctx,
        )
        return creds

    def detector_mapping(self) -> dict[str, Any]:
        """The detector settings, for ``SentinelConfig.from_mapping``.

        Any detector setting can be given as ``MAILFLOW_DETECTOR_<NAME>`` in the
        environment, exactly as for ``mailflow replay``, so both run the same detectors
        with the same settings.
        """
        out: dict[str, Any] = dict(self.detector_env)
        if self.internal_domains:
            out["internal_domains"] = list(self.internal_domains)
        return out

    def redacted(self) -> dict[str, Any]:
        """The settings as a mapping, secrets masked (safe to log)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        for secret in ("sasl_password", "label_hash_key", "metrics_password", "alertmanager_password"):
            if out.get(secret):
                out[secret] = "***"
        return out

    def with_(self, **changes: Any) -> "WorkerSettings":
        """A copy with ``changes`` applied and validated."""
        new = replace(self, **changes)
        new.validate()
        return new

    # --------------------------------------------------------------- validation
    def problems(self) -> list[str]:
        """Every problem with these settings, one line each (empty when valid)."""
        p: list[str] = []
        try:
            parse_broker_url(self.broker)
        except ValueError as exc:
            p.append(f"broker: {exc}")
        for check in (self._endpoint_problems, self._topic_and_store_problems, self._alerting_problems,
                      self._range_problems, self._security_problems):
            check(p)
        return p

    def _endpoint_problems(self, p: list[str]) -> None:
        """The /metrics endpoint: port, address, TLS and basic auth."""
        if not 0 <= self.metrics_port <= 65535:
            p.append(f"metrics_port: {self.metrics_port} is not a port number (0-65535; 0 disables /metrics)")
        if not self.metrics_host:
            p.append("metrics_host: must not be empty")
        if bool(self.metrics_certfile) != bool(self.metrics_keyfile):
            p.append("metrics_certfile, metrics_keyfile: give both (TLS of /metrics) or neither")
        if self.metrics_client_cafile and not self.metrics_certfile:
            p.append("metrics_client_cafile: needs metrics_certfile and metrics_keyfile (mutual TLS is TLS first)")
        if bool(self.metrics_username) != bool(self.metrics_password):
            p.append(f"metrics_username, metrics_password: give both (basic auth of /metrics; the password in "
                     f"{ENV_PREFIX}METRICS_PASSWORD) or neither")
        if self.metrics_username and ":" in self.metrics_username:
            p.append("metrics_username: must not contain ':'")
        for name in ("metrics_certfile", "metrics_keyfile", "metrics_client_cafile"):
            path = getattr(self, name)
            if path and not os.path.isfile(path):
                p.append(f"{name}: {path!r} is not a readable file")

    def _topic_and_store_problems(self, p: list[str]) -> None:
        """The consumer group, the topics, the store."""
        if not re.match(r"^[A-Za-z0-9._-]{1,200}$", self.app_id):
            p.append(f"app_id: {self.app_id!r} must be 1-200 characters of A-Z a-z 0-9 . _ -")
        for name in ("input_topic", "alerts_topic", "dlq_topic"):
            v = getattr(self, name)
            if not TOPIC_RE.match(v) or v in (".", ".."):
                p.append(f"{name}: {v!r} is not a valid Kafka topic name")
        if len({self.input_topic, self.alerts_topic, self.dlq_topic}) < 3:
            p.append("input_topic, alerts_topic and dlq_topic must be three different topics")
        if not 1 <= self.partitions <= 10000:
            p.append(f"partitions: {self.partitions} must be between 1 and 10000")
        if not 1 <= self.replication_factor <= 100:
            p.append(f"replication_factor: {self.replication_factor} must be between 1 and 100")
        if self.store not in ("memory://", "rocksdb://"):
            p.append(f"store: {self.store!r} must be memory:// or rocksdb://")
        if not self.data_dir:
            p.append("data_dir: must not be empty")

    def _alerting_problems(self, p: list[str]) -> None:
        """The Alertmanager push and its links."""
        for u in self.alertmanager_urls:
            if not re.fullmatch(r"https?://[^/\s]+(/\S*)?", u):
                p.append(f"alertmanager_urls: {u!r} is not an http:// or https:// URL")
        for name in ("runbook_url", "dashboard_url"):
            if not re.fullmatch(r"https?://[^\s#?]+", getattr(self, name)):
                p.append(f"{name}: {getattr(self, name)!r} is not an http:// or https:// URL without a query or #fragment")
        if bool(self.alertmanager_username) != bool(self.alertmanager_password):
            p.append(f"alertmanager_username, alertmanager_password: give both (the password in "
                     f"{ENV_PREFIX}ALERTMANAGER_PASSWORD)")

    def _range_problems(self, p: list[str]) -> None:
        """Domains, sizes, intervals and logging."""
        for d in self.internal_domains:
            if not _DOMAIN_RE.match(d):
                p.append(f"internal_domains: {d!r} is not a domain name")
        for name, lo, hi in (
            ("top_senders", 0, 100000),
            ("top_templates", 0, 100000),
            ("max_active_alerts", 0, 100000),
            ("batch_size", 1, 100000),
            ("max_poll_records", 1, 1000000),
            ("dead_letter_max_bytes", 16 * 1024, 1_000_000),  # 1,000,000: the worker's producer request limit
            ("max_senders", 1, 100_000_000),
        ):
            v = getattr(self, name)
            if not lo <= v <= hi:
                p.append(f"{name}: {v} must be between {lo} and {hi}")
        for name, lo, hi in (
            ("batch_within", 0.001, 60.0),
            ("session_timeout", 1.0, 3600.0),
            ("expire_interval", 0.1, 86400.0),
            ("lag_interval", 0.1, 86400.0),
            ("state_flush_interval", 0.0, 60.0),
            ("max_clock_skew_seconds", 0.0, 7 * 86400.0),
            ("alertmanager_resend_interval", 1.0, 3600.0),
        ):
            v = getattr(self, name)
            if not lo <= v <= hi:
                p.append(f"{name}: {v} must be between {lo:g} and {hi:g} seconds")
        if self.log_level not in LOG_LEVELS:
            p.append(f"log_level: {self.log_level!r} must be one of {', '.join(LOG_LEVELS)}")
        if self.log_format not in LOG_FORMATS:
            p.append(f"log_format: {self.log_format!r} must be one of {', '.join(LOG_FORMATS)}")
        if self.hash_sender_labels and len(self.label_hash_key or "") < MIN_KEY_CHARS:
            p.append(f"label_hash_key: hash_sender_labels needs a key of at least {MIN_KEY_CHARS} characters "
                     f"(set {ENV_PREFIX}LABEL_HASH_KEY)")

    def _security_problems(self, p: list[str]) -> None:
        """The brokers' security: protocol, SASL, TLS files."""
        proto = self.security_protocol
        if proto not in SECURITY_PROTOCOLS:
            p.append(f"security_protocol: {proto!r} must be one of {', '.join(SECURITY_PROTOCOLS)}")
        if proto.startswith("SASL_"):
            if self.sasl_mechanism not in SASL_MECHANISMS:
                p.append(f"sasl_mechanism: {self.sasl_mechanism!r} must be one of {', '.join(SASL_MECHANISMS)} with {proto}")
            if not self.sasl_username:
                p.append(f"sasl_username: required with {proto}")
            if not self.sasl_password:
                p.append(f"sasl_password: required with {proto} (set {ENV_PREFIX}SASL_PASSWORD)")
        elif self.sasl_mechanism or self.sasl_username or self.sasl_password:
            if proto in SECURITY_PROTOCOLS:
                p.append(f"sasl_*: SASL settings given but security_protocol is {proto}")
        ssl_files = ("ssl_cafile", "ssl_certfile", "ssl_keyfile")
        if proto not in ("SSL", "SASL_SSL") and any(getattr(self, f) for f in ssl_files):
            if proto in SECURITY_PROTOCOLS:
                p.append(f"ssl_*: SSL files given but security_protocol is {proto}")
        for f in ssl_files:
            v = getattr(self, f)
            if v and not os.path.isfile(v):
                p.append(f"{f}: {v!r} is not a readable file")
        if self.ssl_keyfile and not self.ssl_certfile:
            p.append("ssl_keyfile: given without ssl_certfile")

    def validate(self) -> None:
        """Raise :class:`ConfigError` listing every problem."""
        problems = self.problems()
        if problems:
            raise ConfigError(problems)


# ---------------------------------------------------------------------------
# flags and environment

def _split_list(v: str) -> tuple[str, ...]:
    return tuple(x.strip().lower() for x in v.split(",") if x.strip())


def _bool(v: str) -> bool:
    t = v.strip().lower()
    if t in ("1", "true", "yes", "on"):
        return True
    if t in ("0", "false", "no", "off"):
        return False
    raise ValueError(v)


# field name -> (converter from string, help)
_SPECS: dict[str, tuple[Callable[[str], Any], str]] = {
    "broker": (str, "Kafka bootstrap servers, kafka://host:port[,host:port]"),
    "metrics_port": (int, "port of the Prometheus /metrics endpoint (0 disables it)"),
    "metrics_host": (str, "address the /metrics endpoint binds"),
    "metrics_certfile": (str, "certificate (PEM) to serve /metrics, /healthz and /readyz over HTTPS only"),
    "metrics_keyfile": (str, "private key (PEM) of metrics_certfile"),
    "metrics_client_cafile": (str, "CA (PEM) of the client certificates the endpoint requires (mutual TLS)"),
    "metrics_username": (str, "user of HTTP basic auth on /metrics (/healthz and /readyz stay open); use with TLS"),
    "metrics_password": (str, "password of metrics_username (prefer the environment variable MAILFLOW_METRICS_PASSWORD)"),
    "app_id": (str, "Faust app id = Kafka consumer group id (workers with the same id share the work)"),
    "input_topic": (str, "topic of outbound-mail events (keyed by sender)"),
    "alerts_topic": (str, "topic alerts are written to"),
    "dlq_topic": (str, "dead-letter topic for rejected events"),
    "dead_letter_max_bytes": (int, "largest dead-letter record (value + key + headers) written, bytes; a larger "
                              "value is stored truncated with its original size and SHA-256 in headers "
                              "(at most 1000000, the producer's request limit; keep it under the DLQ topic's "
                              "max.message.bytes)"),
    "partitions": (int, "partitions of the topics this worker creates (input, alerts, DLQ, changelog)"),
    "replication_factor": (int, "replication factor of the topics this worker creates"),
    "store": (str, "table store: memory:// (state rebuilt from the changelog) or rocksdb://"),
    "data_dir": (str, "directory for Faust's local data"),
    "internal_domains": (_split_list, "the organisation's own mail domain (repeatable; env: comma list)"),
    "alertmanager_urls": (_split_list, "post detector alerts to this Alertmanager at once (base URL, repeatable for "
                                       "each cluster member; env: comma list); the Prometheus rules stay the fallback"),
    "alertmanager_resend_interval": (float, "seconds between re-posts of open alerts to Alertmanager (endsAt is 4 ahead)"),
    "alertmanager_username": (str, "user of HTTP basic auth towards Alertmanager"),
    "alertmanager_password": (str, "password of alertmanager_username (prefer MAILFLOW_ALERTMANAGER_PASSWORD)"),
    "runbook_url": (str, "base URL of the runbook_url annotation of pushed alerts (#<detector> appended)"),
    "dashboard_url": (str, "the Launch monitoring dashboard, for the dashboard_url annotation of pushed alerts"),
    "top_senders": (int, "at most this many senders get their own sender label; others are 'other'"),
    "top_templates": (int, "at most this many sender/template pairs get template gauges"),
    "max_active_alerts": (int, "at most this many (most severe) active alerts in mailflow_active_alert"),
    "batch_size": (int, "events processed per batch (agent path, --bulk-read false)"),
    "batch_within": (float, "seconds to wait for a batch to fill (agent path, --bulk-read false)"),
    "max_poll_records": (int, "records fetched per Kafka poll (the bulk path's batch size)"),
    "bulk_read": (_bool, "true: hand each fetched batch of input records to the detectors at once (fast path); "
                  "false: Faust's per-event stream (take_events)"),
    "session_timeout": (float, "Kafka consumer-group session timeout, seconds: a crashed worker's partitions move to the others after about this (measured in docs/kafka.md; Kafka brokers accept 6 to 1800 by default)"),
    "state_flush_interval": (float, "seconds between writes of the learned states to the changelog in the bulk path "
                             "(each sender at most once; input offsets are acked only after); 0: after every fetched batch"),
    "expire_interval": (float, "seconds between checks for ended alert episodes"),
    "lag_interval": (float, "seconds between consumer-lag updates"),
    "max_clock_skew_seconds": (float, "an event dated more than this many seconds ahead of the wall clock is counted "
                               "(mailflow_events_future_total) and does not move event-time now (the watermark "
                               "that ends other senders' episodes)"),
    "max_senders": (int, "at most this many senders' learned states per worker; the least recently active "
                    "(senders with open episodes last) are dropped, with a tombstone in the changelog"),
    "log_level": (str, "debug, info, warning, error or critical"),
    "log_format": (str, "text, or json: one JSON object per line (ts, level, logger, message, exc)"),
    "hash_sender_labels": (_bool, "true: sender addresses in metric labels become a keyed hash (s- and 16 hex "
                           "digits; `mailflow label-hash ADDRESS` prints one); the alerts topic keeps the address"),
    "label_hash_key": (str, "the key of hash_sender_labels, at least 16 characters (prefer the environment variable "
                       "MAILFLOW_LABEL_HASH_KEY)"),
    "security_protocol": (str, "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"),
    "sasl_mechanism": (str, "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"),
    "sasl_username": (str, "SASL user name"),
    "sasl_password": (str, "SASL password (prefer the environment variable MAILFLOW_SASL_PASSWORD)"),
    "ssl_cafile": (str, "CA bundle to verify the brokers"),
    "ssl_certfile": (str, "client certificate (PEM)"),
    "ssl_keyfile": (str, "client private key (PEM)"),
}

_REPEATABLE = {"internal_domains": "internal_domain", "alertmanager_urls": "alertmanager_url"}


def _flag(name: str) -> str:
    return "--" + _REPEATABLE.get(name, name).replace("_", "-")


def env_name(name: str) -> str:
    return ENV_PREFIX + name.upper()


def build_parser(prog: str = "mailflow worker") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Streaming worker: reads outbound-mail events from Kafka, writes alerts and dead letters, "
        "serves Prometheus metrics. Every flag can also be set by the environment variable shown.",
        argument_default=None,
    )
    for name, (_, text) in _SPECS.items():
        default = getattr(WorkerSettings, name, None)
        shown = ",".join(default) if isinstance(default, tuple) else default
        h = f"{text} [env {env_name(name)}; default {shown!r}]".replace("%", "%%")
        if name in _REPEATABLE:
            parser.add_argument(_flag(name), dest=name, action="append",
                                metavar="URL" if name == "alertmanager_urls" else "DOMAIN", help=h)
        else:
            parser.add_argument(_flag(name), dest=name, metavar=name.split("_")[-1].upper(), help=h)
    return parser


def parse_settings(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> WorkerSettings:
    """Settings from flags ``argv`` and environment ``env`` (flags win).

    Raises :class:`ConfigError` listing every bad entry; argparse itself exits
    with status 2 on an unknown flag.
    """
    env = os.environ if env is None else env
    ns = build_parser().parse_args(list(argv or []))
    raw: dict[str, tuple[str, Any]] = {}  # name -> (source, raw value)
    for name in _SPECS:
        if env.get(env_name(name)) not in (None, ""):
            raw[name] = (env_name(name), env[env_name(name)])
        v = getattr(ns, name)
        if v is not None:
            if name in _REPEATABLE:
                v = ",".join(v)
            raw[name] = (_flag(name), v)
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, (source, value) in raw.items():
        conv = _SPECS[name][0]
        try:
            if name in ("security_protocol", "sasl_mechanism"):
                value = value.strip().upper()
            elif name in ("log_level", "log_format"):
                value = value.strip().lower()
            values[name] = conv(value)
        except (TypeError, ValueError):
            kind = {int: "an integer", float: "a number", _bool: "true or false"}.get(conv, "valid")
            problems.append(f"{name}: {value!r} (from {source}) is not {kind}")
    from detectors.config import settings_from_env

    settings = WorkerSettings(**values, detector_env=settings_from_env(env))
    problems += settings.problems()
    problems += _detector_problems(settings)
    if problems:
        raise ConfigError(problems)
    return settings


def _detector_problems(settings: WorkerSettings) -> list[str]:
    """Problems ``SentinelConfig`` finds in the detector settings (none if it is not importable yet)."""
    try:
        from detectors.config import SentinelConfig
    except ImportError:  # pragma: no cover - detectors.config is written in parallel
        return []
    try:
        SentinelConfig.from_mapping(settings.detector_mapping())
    except ConfigError as exc:
        return list(exc.problems)
    return []
