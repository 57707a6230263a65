"""``mailflow score-series FILE``: CSV ``timestamp,value`` in, ``timestamp,value,anomaly_score`` out."""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys
from datetime import datetime, timezone

from .common import open_input
from ..volume import VolumeSpike

__all__ = ["main", "score_series", "parse_timestamp"]


class SeriesError(ValueError):
    pass


def parse_timestamp(s: str) -> float:
    """``YYYY-MM-DD HH:MM:SS`` (UTC) or RFC 3339 to Unix seconds.

    >>> parse_timestamp("2017-08-24 10:00:00"), parse_timestamp("2017-08-24T12:00:00+02:00")
    (1503568800.0, 1503568800.0)
    """
    s = s.strip()
    try:
        if len(s) == 19 and s[10] == " ":
            return datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
        dt = datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s)
    except ValueError:
        raise SeriesError(f"timestamp {s[:40]!r} is neither 'YYYY-MM-DD HH:MM:SS' nor RFC 3339") from None
    if dt.tzinfo is None:
        raise SeriesError(f"timestamp {s[:40]!r} has no UTC offset")
    return dt.timestamp()


def score_series(rows, out, detector: VolumeSpike | None = None) -> int:
    """Score each ``(timestamp, value)`` row before learning it; write CSV to ``out``."""
    det = detector or VolumeSpike()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["timestamp", "value", "anomaly_score"])
    n = 0
    for lineno, row in rows:
        if len(row) < 2:
            raise SeriesError(f"line {lineno}: expected 2 columns timestamp,value, got {len(row)}")
        ts_s, v_s = row[0], row[1]
        try:
            ts = parse_timestamp(ts_s)
        except SeriesError as exc:
            raise SeriesError(f"line {lineno}: {exc}") from None
        try:
            v = float(v_s)
        except ValueError:
            raise SeriesError(f"line {lineno}: value {v_s[:40]!r} is not a number") from None
        if not math.isfinite(v):
            raise SeriesError(f"line {lineno}: value {v_s[:40]!r} is not finite")
        x = {"value": v, "ts": ts}
        s = det.score_one(x)
        det.learn_one(x)
        w.writerow([ts_s, v_s, f"{s:.6f}"])
        n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="mailflow score-series", description=__doc__)
    p.add_argument("file", help="CSV with a header row: timestamp,value; - for standard input")
    p.add_argument("--warm-up", type=int, default=48, help="points learned before any non-zero score (default 48)")
    p.add_argument("--tolerance", type=float, default=2.0,
                   help="a point must exceed this many times the reference to score (default 2)")
    args = p.parse_args(argv)
    problems = []
    if args.warm_up < 0:
        problems.append(f"--warm-up: must be >= 0, got {args.warm_up}")
    if not args.tolerance >= 1:
        problems.append(f"--tolerance: must be >= 1, got {args.tolerance}")
    if problems:
        print("mailflow score-series: invalid options:\n" + "\n".join(f"  - {x}" for x in problems), file=sys.stderr)
        return 2
    try:
        fh = open_input(args.file)
    except OSError as exc:
        print(f"mailflow score-series: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    try:
        text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        try:
            header = next(reader)
        except StopIteration:
            raise SeriesError("empty input: expected a header row timestamp,value") from None
        if [h.strip().lower() for h in header[:2]] != ["timestamp", "value"]:
            raise SeriesError(f"line 1: expected header 'timestamp,value', got {','.join(header)[:60]!r}")
        out = sys.stdout
        n = score_series(((reader.line_num, r) for r in reader if r), out, VolumeSpike(tolerance=args.tolerance, warm_up=args.warm_up))
        out.flush()
    except SeriesError as exc:
        print(f"mailflow score-series: {exc}", file=sys.stderr)
        return 1
    except UnicodeDecodeError:
        print("mailflow score-series: input is not UTF-8 text", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"mailflow score-series: error reading {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"score-series: {n} points scored", file=sys.stderr)
    return 0
