"""Precision and recall of the sensitive-data request recogniser on the labelled dev sentences.

tests/data/sensitive/dev.jsonl holds one labelled mail per line (en, fr, de, es,
it, nl, pt). The scores are computed by detectors.sensitive.request_scores, as
in bench/sensitive_sentences.py (which also lists the misclassified ids).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detectors.sensitive import CATEGORIES, request_scores

DATA = Path(__file__).resolve().parent.parent / "data" / "sensitive"
DEV = DATA / "dev.jsonl"
LANGS = ("en", "fr", "de", "es", "it", "nl", "pt")
MIN_PRECISION = 0.95
MIN_RECALL = 0.95


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        pytest.skip(f"{path.relative_to(DATA.parent.parent)} is absent (the labelled sentence set is not checked out)")
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="module")
def dev_scores():
    return request_scores(_rows(DEV))


def test_dev_rows_are_well_formed():
    rows = _rows(DEV)
    assert rows
    for r in rows:
        assert r["lang"] in LANGS, r["id"]
        assert r["label"] in ("request", "secure_channel", "mention", "negation", "other"), r["id"]
        assert set(r["categories"]) <= set(CATEGORIES), r["id"]
        assert bool(r["categories"]) == (r["label"] == "request"), r["id"]


@pytest.mark.parametrize("lang", LANGS)
def test_dev_precision_recall_per_language(dev_scores, lang):
    sc = dev_scores["by_lang"].get(lang)
    assert sc is not None and sc["n"] > 0, f"no {lang} sentences in {DEV.name}"
    errors = [(e["id"], e["kind"], e["predicted"]) for e in dev_scores["errors"] if e["lang"] == lang]
    assert sc["precision"] >= MIN_PRECISION, (sc, errors)
    assert sc["recall"] >= MIN_RECALL, (sc, errors)


def test_dev_overall(dev_scores):
    o = dev_scores["overall"]
    assert o["precision"] >= MIN_PRECISION and o["recall"] >= MIN_RECALL, o
