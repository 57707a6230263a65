"""Failover of the streaming worker on a real Apache Kafka broker (KRaft): kill -9, takeover, restart.

Starts one single-node KRaft broker (the jars of ``make kafka``), then runs the
scenario of ``tests/kafka/test_failover_kafka.py`` RUNS times, each with its own
topics and app id: two ``mailflow worker`` processes share the input's partitions,
events flow at RATE events/s, one worker is killed with SIGKILL, and the bench
measures

* takeover: SIGKILL to the survivor's first processed event of the killed worker's partitions;
* restart-to-first-event: starting a new worker (same data dir) to its first processed event;

and checks that every produced event was learned exactly once (the last state of
every sender in the changelog has ``n_events`` == events produced for it). Prints
one line per run and the medians. See docs/kafka.md for figures.

    python bench/kafka_failover.py                    # 10 runs, the worker's default settings
    python bench/kafka_failover.py --runs 3 --session-timeout 30
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_harness():
    spec = importlib.util.spec_from_file_location("kafka_harness", ROOT / "tests" / "kafka" / "kafka_harness.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["kafka_harness"] = mod
    spec.loader.exec_module(mod)
    return mod


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--rate", type=float, default=100.0, help="events per second during the run (default 100)")
    ap.add_argument("--kill-after", type=float, default=4.0, help="seconds of steady traffic before the kill")
    ap.add_argument("--session-timeout", type=float, default=None, help="passed to the workers (default: the worker's default)")
    ap.add_argument("--json", help="also write every run's figures to this file")
    ap.add_argument("--no-immediate-restart", action="store_true", help="skip phase 2 (kill -9 the restarted worker, restart at once)")
    ap.add_argument("--workdir", help="keep the broker's and the workers' files (logs) here instead of a temporary dir")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    # SIGTERM (and SIGINT, ignored in background jobs) end the bench through its `finally`s:
    # the workers and the broker are stopped by their pids
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    h = load_harness()
    log = (lambda s: print(f"    {s}", flush=True)) if args.verbose else (lambda s: None)
    runs = []
    with tempfile.TemporaryDirectory(prefix="kafka-failover-") as tmp:
        if args.workdir:
            tmp = args.workdir
            Path(tmp).mkdir(parents=True, exist_ok=True)
        broker = h.KafkaBroker(Path(tmp) / "kafka")
        try:
            broker.check_installed()
        except h.KafkaMissing as exc:
            print(exc, file=sys.stderr)
            return 2
        t = time.monotonic()
        broker.start()
        print(f"Apache Kafka {broker.version} (KRaft) on {broker.bootstrap}, up in {time.monotonic() - t:.1f} s; "
              f"session timeout: {args.session_timeout or 'worker default'}; {args.rate:.0f} events/s", flush=True)
        print(f"{'run':>3} {'produced':>8} {'learned':>8} {'mismatch':>8} {'takeover_s':>10} {'restart_first_s':>15} "
              f"{'restart_up_s':>12} {'immediate_first_s':>17} {'processed':>9} {'dups':>5}", flush=True)
        try:
            for i in range(1, args.runs + 1):
                try:
                    r = h.run_failover(broker, Path(tmp) / f"run{i}", rate=args.rate, kill_after=args.kill_after,
                                       session_timeout=args.session_timeout, log=log,
                                       immediate_restart=not args.no_immediate_restart)
                except AssertionError as exc:
                    print(f"{i:>3} FAILED: {exc}", flush=True)
                    runs.append({"run": i, "failed": str(exc)})
                    continue
                r["run"] = i
                runs.append(r)
                dups = r["survivor_duplicates"] + r["restarted_duplicates"]
                print(f"{i:>3} {r['produced']:>8} {r['learned']:>8} {len(r['mismatched_senders']):>8} {r['takeover_s']:>10.2f} "
                      f"{r['restart_to_first_event_s']:>15.2f} {r['restart_metrics_up_s']:>12.2f} {r.get('immediate_restart_to_first_event_s', float('nan')):>17.2f} "
                      f"{r['counted_processed']:>9.0f} {dups:>5.0f}", flush=True)
        finally:
            broker.stop()
    ok = [r for r in runs if "failed" not in r]
    print(f"median takeover {h.median([r['takeover_s'] for r in ok])} s, "
          f"median restart-to-first-event {h.median([r['restart_to_first_event_s'] for r in ok])} s, "
          f"median immediate-restart-to-first-event {h.median([r.get('immediate_restart_to_first_event_s') for r in ok])} s, "
          f"max takeover {max((r['takeover_s'] for r in ok), default=None)} s, "
          f"max restart-to-first-event {max((r['restart_to_first_event_s'] for r in ok), default=None)} s, "
          f"max immediate {max((r['immediate_restart_to_first_event_s'] for r in ok if 'immediate_restart_to_first_event_s' in r), default=None)} s; "
          f"exactly once in {sum(1 for r in ok if r['produced'] == r['learned'] and not r['mismatched_senders'])}/{len(runs)} runs")
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=1, default=str))
    return 0 if ok and len(ok) == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
