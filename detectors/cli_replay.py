"""``mailflow replay FILE``: events (JSON Lines) through the detectors, alerts (JSON Lines) out."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter

import orjson

from .cli_common import Progress, add_detector_options, config_from_args, open_input
from .errors import ConfigError, EventRejected
from .events import parse_event
from .pipeline import Sentinel

__all__ = ["main", "replay"]


def replay(lines, sentinel: Sentinel, out, dead_letter=None, progress: Progress | None = None) -> dict:
    """Run ``lines`` (bytes, one event each) through ``sentinel``; write alerts to ``out``.

    Returns counts: events, processed, duplicates, rejected (by reason), alerts
    (by detector and severity).
    """
    c = sentinel.config
    rejected: Counter[str] = Counter()
    alerts: Counter[tuple[str, str]] = Counter()
    n = processed = dups = 0
    done = 0
    write = out.write
    for lineno, line in enumerate(lines, 1):
        done += len(line)
        raw = line.strip()
        if not raw:
            continue
        n += 1
        try:
            ev = parse_event(raw, max_bytes=c.max_event_bytes, max_recipients=c.max_recipients)
        except EventRejected as exc:
            rejected[exc.reason] += 1
            if dead_letter is not None:
                dead_letter.write(orjson.dumps({"line": lineno, "reason": exc.reason, "detail": exc.detail,
                                                "value": raw.decode("utf-8", "backslashreplace")}) + b"\n")
            continue
        res = sentinel.process_one(ev)
        if res.duplicate:
            dups += 1
            continue
        processed += 1
        for a in res.alerts:
            alerts[(a.detector, a.severity)] += 1
            write(a.to_json() + b"\n")
        if progress is not None and not (n & 1023):
            progress.tick(n, done)
    return {"events": n, "processed": processed, "duplicates": dups, "rejected": dict(rejected),
            "alerts": {f"{d}/{s}": k for (d, s), k in sorted(alerts.items())}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="mailflow replay", description=__doc__)
    p.add_argument("file", help="JSON Lines events file, in file order; - for standard input")
    p.add_argument("--dead-letter", metavar="FILE", help="write rejected lines here with their reason (JSON Lines)")
    p.add_argument("--no-progress", action="store_true", help="no progress lines on standard error")
    add_detector_options(p)
    args = p.parse_args(argv)
    try:
        cfg = config_from_args(args)
    except ConfigError as exc:
        print(f"mailflow replay: {exc}", file=sys.stderr)
        return 2
    try:
        fh = open_input(args.file)
    except OSError as exc:
        print(f"mailflow replay: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    total = None
    if args.file != "-":
        try:
            total = os.path.getsize(args.file)
        except OSError:
            pass
    dl = None
    if args.dead_letter:
        try:
            dl = open(args.dead_letter, "wb")
        except OSError as exc:
            print(f"mailflow replay: cannot write {args.dead_letter}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    progress = Progress("replay", total, enabled=not args.no_progress)
    out = sys.stdout.buffer
    try:
        stats = replay(fh, Sentinel(cfg), out, dl, progress)
    except OSError as exc:
        print(f"mailflow replay: error reading {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    finally:
        out.flush()
        if dl is not None:
            dl.close()
        if fh is not sys.stdin.buffer:
            fh.close()
    el = progress.elapsed
    rej = ", ".join(f"{k}={v}" for k, v in sorted(stats["rejected"].items())) or "none"
    al = ", ".join(f"{k}={v}" for k, v in stats["alerts"].items()) or "none"
    print(
        f"replay: {stats['events']:,} events, {stats['processed']:,} processed, {stats['duplicates']:,} duplicates, "
        f"{sum(stats['rejected'].values()):,} rejected ({rej}); alerts: {al}; "
        f"{el:.1f} s, {stats['events'] / max(el, 1e-9):,.0f} events/s",
        file=sys.stderr,
    )
    return 0
