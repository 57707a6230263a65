"""Shared pieces of the broker-free commands: input opening, detector settings, progress."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import IO

from ..config import ENV_PREFIX, SentinelConfig, settings_from_env
from ..errors import ConfigError

__all__ = ["add_detector_options", "config_from_args", "open_input", "ENV_PREFIX"]

#: Detector settings can also come from the environment: MAILFLOW_DETECTOR_<FIELD>.


def add_detector_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("detector settings (same defaults as the streaming worker)")
    g.add_argument("--config", metavar="FILE", help="JSON file of detector settings (see README)")
    g.add_argument("--internal-domain", action="append", default=[], metavar="DOMAIN",
                   help="the company's own mail domain; repeatable (also MAILFLOW_INTERNAL_DOMAINS, comma list)")
    g.add_argument("--timezone", metavar="ZONE",
                   help="IANA time zone of the volume baselines' seasons, e.g. Europe/Berlin (default UTC; "
                        "also MAILFLOW_DETECTOR_TIMEZONE)")


def config_from_args(args: argparse.Namespace, environ: dict | None = None) -> SentinelConfig:
    """Settings from, in rising priority: defaults, environment, --config file, flags."""
    values: dict = settings_from_env(os.environ if environ is None else environ)
    problems: list[str] = []
    if getattr(args, "config", None):
        try:
            with open(args.config, "rb") as fh:
                data = json.load(fh)
            if not isinstance(data, dict):
                problems.append(f"--config {args.config}: must hold a JSON object")
            else:
                values.update(data)
        except OSError as exc:
            problems.append(f"--config {args.config}: cannot read ({exc.strerror})")
        except ValueError as exc:
            problems.append(f"--config {args.config}: not valid JSON ({exc})")
    if getattr(args, "internal_domain", None):
        values["internal_domains"] = list(args.internal_domain)
    if getattr(args, "timezone", None):
        values["timezone"] = args.timezone
    try:
        cfg = SentinelConfig.from_mapping(values)
    except ConfigError as exc:
        raise ConfigError(problems + exc.problems) from None
    if problems:
        raise ConfigError(problems)
    return cfg


def open_input(path: str) -> IO[bytes]:
    """Binary stream for ``path`` (``-`` = standard input). Raises OSError."""
    if path == "-":
        return sys.stdin.buffer
    if os.path.isdir(path):
        raise IsADirectoryError(21, "is a directory", path)
    return open(path, "rb")
