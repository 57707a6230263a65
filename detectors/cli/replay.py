"""``mailflow replay FILE``: events (JSON Lines) through the detectors, alerts (JSON Lines) out."""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import sys
from collections import Counter

import orjson

from .common import add_detector_options, config_from_args, open_input
from .progress import Progress
from .report import ReplayReport
from ..errors import ConfigError, EventRejected
from ..events import parse_event
from ..pipeline import Sentinel

__all__ = ["main", "replay", "dead_letter_line"]


def dead_letter_line(lineno: int, reason: str, detail: str, line: bytes, raw: bytes | None = None) -> bytes:
    """One JSON Lines entry of the ``--dead-letter`` file (``docs/dead-letters.md``).

    ``line`` is the input line as read; its original bytes are the line without its line
    ending (``\\n`` or ``\\r\\n``). Fields: ``line`` (1-based line number), ``reason``,
    ``detail``, ``value`` (as before: the line stripped of surrounding whitespace, as text,
    bytes that are not UTF-8 as ``\\xNN`` escapes), ``size`` (bytes of the original line),
    ``sha256`` (hex digest of them, as the worker's ``mailflow-original-sha256`` header),
    and ``value_base64`` (the original bytes, base64) whenever ``value`` is not exactly
    them: the line is not valid UTF-8, or had surrounding whitespace.
    """
    original = line[:-2] if line.endswith(b"\r\n") else line[:-1] if line.endswith(b"\n") else line
    raw = original.strip() if raw is None else raw
    entry = {"line": lineno, "reason": reason, "detail": detail, "value": raw.decode("utf-8", "backslashreplace"),
             "size": len(original), "sha256": hashlib.sha256(original).hexdigest()}
    exact = raw == original
    if exact:
        try:
            original.decode("utf-8")
        except UnicodeDecodeError:
            exact = False
    if not exact:
        entry["value_base64"] = base64.b64encode(original).decode("ascii")
    return orjson.dumps(entry) + b"\n"


def replay(lines, sentinel: Sentinel, out, dead_letter=None, progress: Progress | None = None,
           report: ReplayReport | None = None) -> dict:
    """Run ``lines`` (bytes, one event each) through ``sentinel``; write alerts to ``out``.

    ``report``, if given, is fed each processed event (event time, sender, template,
    sender kind, the detectors' volume and unrelated recipients), each alert and each
    episode that ended (``--report``, :mod:`detectors.cli.report`).

    Returns counts: events, processed, duplicates, rejected (by reason), alerts
    (by detector and severity).
    """
    c = sentinel.config
    rejected: Counter[str] = Counter()
    alerts: Counter[tuple[str, str]] = Counter()
    n = processed = dups = 0
    done = 0
    write = out.write
    if report is not None:
        report.use_detector_bucket(c.bucket_seconds)
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
                dead_letter.write(dead_letter_line(lineno, exc.reason, exc.detail, line, raw))
            continue
        res = sentinel.process_one(ev)
        if res.duplicate:
            dups += 1
            continue
        processed += 1
        for a in res.alerts:
            alerts[(a.detector, a.severity)] += 1
            write(a.to_json() + b"\n")
        if report is not None:
            report.event(ev.ts, ev.sender, res.template, res.kind, res.volume, res.unrelated)
            for a in res.alerts:
                report.alert(a)
            for e in res.ended:
                report.episode_end(e)
        if progress is not None and not (n & 1023):
            progress.update(n, done)
    return {"events": n, "processed": processed, "duplicates": dups, "rejected": dict(rejected),
            "alerts": {f"{d}/{s}": k for (d, s), k in sorted(alerts.items())}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="mailflow replay", description=__doc__)
    p.add_argument("file", help="JSON Lines events file, in file order; - for standard input")
    p.add_argument("--dead-letter", metavar="FILE", help="write rejected lines here with their reason (JSON Lines)")
    p.add_argument("--no-progress", action="store_true", help="no progress lines on standard error")
    p.add_argument("--report", metavar="FILE.html",
                   help="also write a self-contained HTML backtest report (volume with alerts marked, each "
                        "alerting account and template against its learned baseline and its fan-out, episodes, "
                        "alerts; no recipient, subject or body): docs/report.md")
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
    report = rf = None
    if args.report:
        try:  # opened now: a path that cannot be written fails before the replay, not after
            if args.file != "-" and os.path.exists(args.report) and os.path.samefile(args.file, args.report):
                raise OSError(0, "it is the input file")
            rf = open(args.report, "wb")
        except OSError as exc:
            print(f"mailflow replay: cannot write {args.report}: {exc.strerror or exc}", file=sys.stderr)
            if dl is not None:
                dl.close()
            if fh is not sys.stdin.buffer:
                fh.close()
            return 1
        report = ReplayReport()
    progress = Progress(total, enabled=not args.no_progress, plain_every=2.0)
    out = sys.stdout.buffer
    try:
        stats = replay(fh, Sentinel(cfg), out, dl, progress, report)
    except OSError as exc:
        print(f"mailflow replay: error reading {args.file}: {exc.strerror or exc}", file=sys.stderr)
        if rf is not None:  # no report of a partial replay
            rf.close()
            try:
                os.unlink(args.report)
            except OSError:
                pass
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
    if rf is not None:
        try:
            with rf:
                rf.write(report.render(stats, source=args.file).encode("utf-8"))
        except OSError as exc:
            print(f"mailflow replay: cannot write {args.report}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"mailflow replay: report written to {args.report}", file=sys.stderr)
    return 0
