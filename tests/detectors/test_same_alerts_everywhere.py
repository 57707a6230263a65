"""The same input gives the same alerts on every supported interpreter.

``make test`` runs the suite on the README's Python and on Debian stable's own
``python3``; both must find exactly the alerts frozen in ``golden.json`` (written by
the README's interpreter) for a short replay of each simulated world. Detection
changes that alter these alerts regenerate the file on purpose::

    .venv/bin/python tests/detectors/test_same_alerts_everywhere.py

and the diff of the file shows which alerts changed.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from detectors.config import SentinelConfig
from detectors.events import parse_event
from detectors.pipeline import Sentinel
from detectors.sim import bank as sim_bank, shop as simulator

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "alerts" / "golden.json"
RUNS = [
    # (world module, scenario, seed, days, scale): an incident and benign traffic in each world
    (simulator, "id-request-blast", 1, 9, 0.3),
    (sim_bank, "bank-changed-template", 1, 9, 0.15),
]


def _run(mod, scenario: str, seed: int, days: float, scale: float) -> dict:
    events, labels = mod.generate(scenario, seed, days=days, scale=scale)
    raw = hashlib.blake2b(digest_size=16)
    for e in events:
        raw.update(json.dumps(e, sort_keys=True, ensure_ascii=False).encode())
    cfg = SentinelConfig(internal_domains=tuple(labels.get("internal_domains", ())),
                         timezone=labels.get("timezone", "UTC"))
    sentinel = Sentinel(cfg)
    alerts = []
    for e in events:
        for a in sentinel.process_one(parse_event(json.dumps(e).encode())).alerts:
            alerts.append([a.detector, a.severity, a.sender, a.template, a.event_ids[0] if a.event_ids else None,
                           a.ts, round(a.score, 9), sorted(a.evidence.get("harm", []))])
    return {"scenario": scenario, "seed": seed, "events": len(events), "events_digest": raw.hexdigest(),
            "alerts": alerts}


def _all() -> list[dict]:
    return [_run(*r) for r in RUNS]


def test_replays_give_the_frozen_alerts_on_this_interpreter():
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    py = f"Python {sys.version.split()[0]} ({sys.executable})"
    for want, got in zip(golden, _all()):
        assert got["events_digest"] == want["events_digest"], f"{py}: the {want['scenario']} simulator made other events"
        assert got["alerts"] == want["alerts"], (
            f"{py}: {want['scenario']} gave {len(got['alerts'])} alerts, frozen {len(want['alerts'])}; "
            f"first difference: {next((g, w) for g, w in zip(got['alerts'] + [None], want['alerts'] + [None]) if g != w)}"
        )
    assert any(a[1] == "critical" for run in golden for a in run["alerts"]), "the frozen replays page"


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(_all(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}")
