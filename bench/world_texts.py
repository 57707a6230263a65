"""What the sensitive-data recogniser says on every distinct mail text of the simulator's worlds.

A change to :mod:`detectors.sensitive` changes detection only through
:func:`~detectors.sensitive.find_requests` on ``subject + "\\n" + body``, a pure
function of the text. This script generates every world's events (every scenario
and seed, as ``mailflow evaluate`` does), runs the recogniser once on each distinct
text and writes or checks the verdicts. If no verdict differs, ``mailflow evaluate``
gives the same results on the new recogniser as on the old, in a small part of its
time (the generation, not the detection).

    python bench/world_texts.py --out before.json        # on the old recogniser
    python bench/world_texts.py --check before.json      # on the new one: exit 1 on any difference
    python bench/world_texts.py --world bank --seeds 1,2
    python bench/world_texts.py --per-template 300 --out before.json   # a sample (the bank world's
                                                                         # every text takes hours)

A difference is printed with the text's world, its old and new categories and the
first 160 characters of the text (simulated mail, no customer data).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def world_texts(world: str, seeds: list[int], days: float | None, per_template: int = 0) -> dict[str, str]:
    """``{sha256 of the text: text}`` over the world's scenarios and seeds.

    ``per_template`` > 0 keeps, for each scenario, seed, sender and template id, the
    first ``per_template`` distinct texts in delivery order (the incident's first messages
    among them) and every text whose hash starts with ``00`` (1 in 256): a sample that
    covers every template's shape when all distinct texts are too many (the bank world
    has about 950,000 per scenario and seed)."""
    from detectors.evaluation.evaluate import WORLDS

    scenarios, generate, default_days = WORLDS[world]()
    texts: dict[str, str] = {}
    for scenario in scenarios:
        for seed in seeds:
            events, _ = generate(scenario, seed, days=default_days if days is None else days)
            kept: dict[tuple, int] = {}
            for e in events:  # in the order they are delivered
                t = f"{e.get('subject') or ''}\n{e.get('body') or ''}"
                h = hashlib.sha256(t.encode("utf-8", "surrogatepass")).hexdigest()
                if h in texts:
                    continue
                if per_template:
                    key = (e.get("sender"), e.get("template_id"))
                    n = kept.get(key, 0)
                    if n >= per_template and not h.startswith("00"):
                        continue
                    kept[key] = n + 1
                texts[h] = t
            del events
    return texts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--world", action="append", help="world (default: every one); repeatable")
    p.add_argument("--seeds", default="1,2,3,4,5,6", help="comma list of seeds (default 1-6)")
    p.add_argument("--days", type=float, default=None, help="simulated days (default: each world's)")
    p.add_argument("--per-template", type=int, default=0,
                   help="keep only this many texts per scenario, seed, sender and template, plus 1 in 256 "
                        "(default 0: every distinct text)")
    p.add_argument("--out", help="write the verdicts to this JSON file")
    p.add_argument("--check", help="compare with the verdicts of this JSON file")
    a = p.parse_args(argv)
    sys.path.insert(0, ROOT)
    from detectors.evaluation.evaluate import WORLDS
    from detectors.sensitive import find_requests

    seeds = [int(s) for s in a.seeds.split(",") if s.strip()]
    verdicts: dict[str, dict[str, list[str]]] = {}
    texts_of: dict[str, dict[str, str]] = {}
    for world in a.world or list(WORLDS):
        t0 = time.perf_counter()
        texts = world_texts(world, seeds, a.days, a.per_template)
        t1 = time.perf_counter()
        verdicts[world] = {h: sorted(find_requests(t)) for h, t in texts.items()}
        texts_of[world] = texts
        flagged = sum(1 for v in verdicts[world].values() if v)
        print(f"{world:8s} {len(texts):>8,} distinct texts  {flagged:>6,} flagged  "
              f"(generation {t1 - t0:.0f}s, recogniser {time.perf_counter() - t1:.0f}s)", flush=True)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as fh:
            json.dump({"seeds": seeds, "days": a.days, "per_template": a.per_template, "verdicts": verdicts}, fh,
                      sort_keys=True)
    if a.check:
        with open(a.check, encoding="utf-8") as fh:
            before = json.load(fh)["verdicts"]
        differ = 0
        for world, now in verdicts.items():
            old = before.get(world)
            if old is None:
                print(f"not in {a.check}: {world}")
                differ += 1
                continue
            missing = set(now) ^ set(old)
            if missing:
                print(f"{world}: {len(missing)} texts in one file only (other seeds or simulator?)")
                differ += len(missing)
            for h in sorted(set(now) & set(old)):
                if now[h] != old[h]:
                    differ += 1
                    text = texts_of[world][h].replace("\n", " / ")[:160]
                    print(f"DIFFERENT {world}: {old[h]} -> {now[h]}: {text}")
        print(f"{differ} differences")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
