"""A digest of every per-event outcome over the simulator's worlds: proof that a speed-up changed nothing.

For each world and scenario (and seed), generates the events, runs them through a fresh
:class:`~detectors.pipeline.Sentinel` and hashes, event by event, everything
``Sentinel.process`` returns: duplicate, template, sender kind, every score, the
volume, the unrelated count, late and reset, each alert (detector, severity, sender,
template, score, summary, evidence, event ids) and each ended episode. Prints one
line per scenario and an overall digest; ``--out FILE`` writes them as JSON and
``--check FILE`` compares with such a file (exit 1 on any difference, naming the
scenarios).

    python bench/outcome_digest.py --out before.json          # on the old code
    python bench/outcome_digest.py --check before.json        # on the new code
    python bench/outcome_digest.py --world shop --seeds 1,4 --days 35
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _outcome_bytes(o) -> bytes:
    parts = [o.duplicate, o.template, o.kind, sorted(o.scores.items()), o.volume, o.unrelated, o.late, o.reset,
             [(a.detector, a.severity, a.sender, a.template, a.score, a.summary, a.ts, a.evidence, a.event_ids)
              for a in o.alerts],
             [sorted(vars(e).items()) if hasattr(e, "__dict__") else repr(e) for e in o.ended]]
    return json.dumps(parts, sort_keys=True, default=repr).encode()


def digest_scenario(world: str, scenario: str, seed: int, days: float | None) -> tuple[str, int, int]:
    """``(hex digest, events, alerts)`` of one scenario's outcomes."""
    from detectors.config import SentinelConfig
    from detectors.evaluation.evaluate import WORLDS
    from detectors.events import parse_event
    from detectors.pipeline import Sentinel

    _, generate, default_days = WORLDS[world]()
    events, labels = generate(scenario, seed, days=default_days if days is None else days)
    cfg = SentinelConfig(internal_domains=tuple(labels.get("internal_domains", ())),
                         timezone=labels.get("timezone", "UTC"))
    sentinel = Sentinel(cfg)
    h = hashlib.blake2b(digest_size=16)
    alerts = 0
    for raw in events:
        o = sentinel.process_one(parse_event(raw))
        alerts += len(o.alerts)
        h.update(_outcome_bytes(o))
    return h.hexdigest(), len(events), alerts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--world", action="append", help="world (default: every one); repeatable")
    p.add_argument("--scenario", action="append", help="only these scenarios; repeatable")
    p.add_argument("--seeds", default="1", help="comma list of seeds (default 1)")
    p.add_argument("--days", type=float, default=None, help="simulated days (default: each world's)")
    p.add_argument("--out", help="write the digests to this JSON file")
    p.add_argument("--check", help="compare with the digests of this JSON file")
    a = p.parse_args(argv)
    sys.path.insert(0, ROOT)
    from detectors.evaluation.evaluate import WORLDS

    worlds = a.world or list(WORLDS)
    seeds = [int(s) for s in a.seeds.split(",") if s.strip()]
    result: dict[str, dict] = {}
    for world in worlds:
        scenarios = [s for s in WORLDS[world]()[0] if not a.scenario or s in a.scenario]
        for scenario in scenarios:
            for seed in seeds:
                t0 = time.perf_counter()
                d, n, alerts = digest_scenario(world, scenario, seed, a.days)
                key = f"{world}/{scenario}/{seed}"
                result[key] = {"digest": d, "events": n, "alerts": alerts}
                print(f"{key:40s} {d}  {n:>9,} events {alerts:>5} alerts  ({time.perf_counter() - t0:.0f}s)",
                      flush=True)
    overall = hashlib.blake2b("".join(f"{k}={v['digest']};" for k, v in sorted(result.items())).encode(),
                              digest_size=16).hexdigest()
    print(f"{'overall':40s} {overall}")
    if a.out:
        with open(a.out, "w", encoding="utf-8") as fh:
            json.dump({"days": a.days, "scenarios": result, "overall": overall}, fh, indent=1, sort_keys=True)
    if a.check:
        with open(a.check, encoding="utf-8") as fh:
            before = json.load(fh)["scenarios"]
        differ = [k for k in result if k in before and before[k]["digest"] != result[k]["digest"]]
        missing = [k for k in result if k not in before]
        for k in differ:
            print(f"DIFFERENT: {k} ({before[k]['alerts']} -> {result[k]['alerts']} alerts)")
        if missing:
            print(f"not in {a.check}: {', '.join(missing)}")
        print(f"{len(result) - len(differ) - len(missing)} of {len(result)} scenarios identical")
        return 1 if differ or missing else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
