"""bench/outcome_digest.py: the proof script of "a speed-up changed no outcome" must catch a change."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "outcome_digest.py"


def _load():
    spec = importlib.util.spec_from_file_location("outcome_digest", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_digest_is_stable_and_check_names_a_changed_scenario(tmp_path, capsys, monkeypatch):
    d = _load()
    args = ["--world", "shop", "--scenario", "id-request-blast", "--days", "2"]
    out = tmp_path / "before.json"
    assert d.main(args + ["--out", str(out)]) == 0
    assert d.main(args + ["--check", str(out)]) == 0  # the same code: identical
    assert "1 of 1 scenarios identical" in capsys.readouterr().out

    # one outcome field different (as a changed detector would make it): the check fails, naming it
    real = d._outcome_bytes
    monkeypatch.setattr(d, "_outcome_bytes", lambda o: real(o) + (b"x" if o.alerts else b""))
    assert d.main(args + ["--check", str(out)]) == 1
    text = capsys.readouterr().out
    assert "DIFFERENT: shop/id-request-blast/1" in text
    saved = json.loads(out.read_text())
    assert saved["scenarios"]["shop/id-request-blast/1"]["alerts"] >= 1  # the blast alerted within 2 days
