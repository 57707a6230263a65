"""What the network front-ends (``mailflow tap smtp|http|milter``, ``mailflow guard``) share.

Each front-end declares its own settings as a table of :class:`Option` s; the table
gives the argparse flags (with the environment variable and the default in each help
line) and the reader of flags and environment: a flag wins over its ``PREFIX_NAME``
environment variable, the variable over the default, an injected ``env`` mapping is
honoured, and every bad entry is collected (one problem line each) for one
:class:`~detectors.errors.ConfigError`. The worker's settings (broker, topics, internal
domains, metrics, security, log level) are read by :func:`streams.settings.parse_settings`
(the one ``MAILFLOW_*`` reader, the one broker-URL grammar and the topic defaults) with
the command's own /metrics port (:data:`METRICS_PORTS`) as default. :func:`run_command`
is the common ``main``: ``--help``, ``mailflow CMD: error`` and exit status 2.

This module imports neither Faust nor Kafka (prometheus_client only to serve /metrics).

>>> table = Options("MAILFLOW_X_", [Option("port", int, 1, "a port", check=between(1, 9)),
...                                 Option("names", csv, ("a",), "names")])
>>> p = table.parse(["--port", "3", "--broker", "kafka://k:1"], {"MAILFLOW_X_NAMES": "b, c"})
>>> p.values.port, p.values.names, p.rest, p.problems
(3, ('b', 'c'), ['--broker', 'kafka://k:1'], [])
>>> table.parse(["--port", "x"], {"MAILFLOW_X_PORT": "2"}).problems
["port: 'x' (from --port) is not an integer"]
>>> table.parse([], {"MAILFLOW_X_PORT": "10"}).problems
['port: 10 must be between 1 and 9']
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import logging.config
import os
import signal
import sys
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable, Mapping, Sequence

from detectors.errors import ConfigError

from .logformat import logging_config

__all__ = [
    "Option", "Options", "Parsed", "Invalid", "Fail", "between", "parse_bool", "csv", "parse_listen",
    "listen_or_none", "METRICS_PORTS", "worker_settings", "setup_logging", "start_metrics", "until_stopped",
    "print_help", "run_command",
]

#: each command's default /metrics port, so all of them run on one host without settings
METRICS_PORTS = {"worker": 9108, "tap smtp": 9109, "tap http": 9110, "guard": 9111, "tap milter": 9112}


class Invalid(ValueError):
    """Raised by a converter: its text is the problem (after ``name: ``)."""


class Fail(Exception):
    """A front-end cannot start; :func:`run_command` prints ``mailflow CMD: <text>`` and exits 2."""


# ------------------------------------------------------------------------ converters
def parse_bool(text: str) -> bool:
    """``1/true/yes/on`` -> True, ``0/false/no/off`` -> False (any case), else ValueError.

    >>> parse_bool(" Yes "), parse_bool("0")
    (True, False)
    """
    t = text.strip().lower()
    if t in ("1", "true", "yes", "on"):
        return True
    if t in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)


def csv(text: str) -> tuple[str, ...]:
    """A comma list, items stripped, empty ones dropped.

    >>> csv(" a, b,,c ")
    ('a', 'b', 'c')
    """
    return tuple(x.strip() for x in text.split(",") if x.strip())


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[v6]:PORT``) -> ``(host, port)``; :class:`Invalid` otherwise.

    >>> parse_listen("[::1]:25"), parse_listen("0.0.0.0:0")
    (('::1', 25), ('0.0.0.0', 0))
    >>> parse_listen("nohost")
    Traceback (most recent call last):
    ...
    streams.frontend.Invalid: 'nohost' is not HOST:PORT
    """
    host, _, port_s = text.rpartition(":")
    host = host.strip("[]")
    try:
        port = int(port_s)
        if host and 0 <= port < 65536:
            return host, port
    except ValueError:
        pass
    raise Invalid(f"{text!r} is not HOST:PORT")


def listen_or_none(text: str) -> tuple[str, int] | None:
    """:func:`parse_listen`, or ``None`` for ``none`` (the service is off)."""
    return None if text.strip().lower() == "none" else parse_listen(text)


_KINDS: dict[Any, str] = {int: "an integer", float: "a number", parse_bool: "true or false"}


def between(lo: float, hi: float, unit: str = "") -> Callable[[Any], str | None]:
    """A check: ``"V must be between LO and HI UNIT"`` when the value is outside ``[lo, hi]``."""
    def check(v: Any) -> str | None:
        return None if lo <= v <= hi else f"{v} must be between {lo} and {hi}{unit}"
    return check


# ---------------------------------------------------------------------------- options
@dataclass(frozen=True)
class Option:
    """One setting: flag ``--name-with-dashes``, environment ``PREFIX + NAME``.

    ``conv`` turns the text (flag or environment) into the value (``repeat``: the list of
    the comma-split items); a ``check`` returns the problem text for a bad value (or None);
    ``switch`` makes a flag without a value (environment: true/false); ``repeat`` a flag
    given several times (environment: a comma list). ``shown`` is the default as the help
    shows it (``""``: none shown).
    """

    name: str
    conv: Callable[[Any], Any] = str
    default: Any = None
    help: str = ""
    metavar: str | None = None
    check: Callable[[Any], str | None] | None = None
    switch: bool = False
    repeat: bool = False
    env: str | None = None  # the variable's name after the prefix (default NAME)
    flag: str | None = None  # default --name-with-dashes
    shown: str | None = None

    @property
    def flag_name(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")

    def env_name(self, prefix: str) -> str:
        return prefix + (self.env or self.name.upper())

    def help_text(self, prefix: str) -> str:
        shown = self.shown
        if shown is None:
            d = self.default
            if d is None or d == () or (self.switch and not d):
                shown = ""
            else:
                shown = ",".join(map(str, d)) if isinstance(d, tuple) else f"{d:g}" if isinstance(d, float) else str(d)
        how = "; repeatable, env: comma list" if self.repeat else ""
        tail = f"env {self.env_name(prefix)}{'=1' if self.switch else how}" + (f"; default {shown}" if shown else "")
        return f"{self.help} [{tail}]".replace("%", "%%")


@dataclass
class Parsed:
    """What :meth:`Options.parse` read: ``values`` (one attribute per option), the flags it
    did not know (``rest``, for the worker's settings) and the problems."""

    values: SimpleNamespace
    rest: list[str]
    problems: list[str]


class Options:
    """A table of :class:`Option` s read from flags and the environment ``prefix*``."""

    def __init__(self, prefix: str, options: Sequence[Option]) -> None:
        self.prefix = prefix
        self.options = list(options)

    def __add__(self, other: "Options") -> "Options":
        assert other.prefix == self.prefix
        return Options(self.prefix, self.options + other.options)

    def add_to(self, parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
        for o in self.options:
            kw: dict[str, Any] = {"dest": o.name, "help": o.help_text(self.prefix)}
            if o.switch:
                kw.update(action="store_true", default=None)
            else:
                kw["metavar"] = o.metavar or o.name.split("_")[-1].upper()
                if o.repeat:
                    kw["action"] = "append"
            parser.add_argument(o.flag_name, **kw)
        return parser

    def parser(self, prog: str, description: str = "", add_help: bool = True) -> argparse.ArgumentParser:
        p = argparse.ArgumentParser(prog=prog, description=description, add_help=add_help, allow_abbrev=False)
        return self.add_to(p)

    def parse(self, argv: Sequence[str] | None, env: Mapping[str, str] | None = None) -> Parsed:
        env = os.environ if env is None else env
        ns, rest = self.parser("", add_help=False).parse_known_args(list(argv or []))
        values, problems = {}, []
        for o in self.options:
            raw, source = getattr(ns, o.name), o.flag_name
            if raw is None:
                source = o.env_name(self.prefix)
                raw = env.get(source)
                if raw in (None, ""):
                    values[o.name] = o.default
                    continue
                if o.repeat:
                    raw = [raw]
            try:
                if o.switch and raw is True:
                    v = True
                elif o.switch:
                    v = parse_bool(raw)
                elif o.repeat:
                    v = o.conv([x.strip() for item in raw for x in item.split(",") if x.strip()])
                else:
                    v = o.conv(raw)
            except Invalid as exc:
                problems.append(f"{o.name}: {exc}")
                v = o.default
            except (TypeError, ValueError):
                kind = _KINDS.get(parse_bool if o.switch else o.conv, "valid")
                problems.append(f"{o.name}: {raw!r} (from {source}) is not {kind}")
                v = o.default
            else:
                bad = o.check(v) if o.check is not None else None
                if bad:
                    problems.append(f"{o.name}: {bad}")
            values[o.name] = v
        return Parsed(SimpleNamespace(**values), rest, problems)


# ---------------------------------------------------------------- the worker's settings
def worker_settings(command: str, rest: Sequence[str], env: Mapping[str, str], problems: list[str]):
    """The worker's settings (:func:`streams.settings.parse_settings`) from the flags a
    front-end did not take itself, with ``command``'s /metrics port as default; their
    problems are added to ``problems`` (``None`` then)."""
    from streams.settings import env_name, parse_settings

    rest = list(rest)
    given = any(a == "--metrics-port" or a.startswith("--metrics-port=") for a in rest)
    if not given and env.get(env_name("metrics_port")) in (None, ""):
        rest += ["--metrics-port", str(METRICS_PORTS[command])]
    try:
        return parse_settings(rest, env)
    except ConfigError as exc:
        problems.extend(exc.problems)
        return None


# --------------------------------------------------------------------------- running
def setup_logging(level: str, quiet: Mapping[str, int] | None = None, fmt: str = "text") -> None:
    """Log at ``level`` to stderr in ``fmt`` ("text" or "json": :mod:`streams.logformat`);
    below debug the ``quiet`` loggers only from their level on."""
    logging.config.dictConfig(logging_config(level, fmt, quiet))


def start_metrics(registry, worker) -> Any:
    """Serve ``registry`` on ``worker.metrics_host:metrics_port`` (a daemon thread; not for port 0)."""
    from .worker import serve_metrics  # the worker's own: one way to serve /metrics

    try:
        return serve_metrics(registry, worker)
    except OSError as exc:
        raise Fail(f"cannot serve /metrics on {worker.metrics_host}:{worker.metrics_port}: {exc}") from None


async def until_stopped() -> None:
    """Return on SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - not the main thread
            pass
    await stop.wait()


def print_help(parser: argparse.ArgumentParser) -> None:
    """The command's own flags, then the worker's."""
    from streams.settings import build_parser

    parser.print_help()
    print("\nworker settings (same flags and MAILFLOW_* variables as `mailflow worker`):")
    build_parser().print_help()


def run_command(command: str, argv: Sequence[str] | None, env: Mapping[str, str] | None, *,
                parser: Callable[[], argparse.ArgumentParser], parse: Callable[[list[str], Mapping[str, str]], Any],
                serve: Callable[[Any], int]) -> int:
    """The common ``main``: ``--help``; ``parse(argv, env)``; ``serve(settings)``.

    A :class:`ConfigError` from ``parse`` or a :class:`Fail` from ``serve`` prints
    ``mailflow COMMAND: <error>`` on stderr and returns 2.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    env = os.environ if env is None else env
    if any(a in ("-h", "--help") for a in argv):
        print_help(parser())
        return 0
    try:
        settings = parse(argv, env)
    except ConfigError as exc:
        print(f"mailflow {command}: {exc}", file=sys.stderr)
        return 2
    try:
        return serve(settings)
    except Fail as exc:
        print(f"mailflow {command}: {exc}", file=sys.stderr)
        return 2
