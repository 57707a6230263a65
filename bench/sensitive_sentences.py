"""Precision and recall of the sensitive-data request recogniser on labelled sentences.

Reads JSONL files (one object per line: ``id``, ``lang``, ``label``,
``categories``, ``text``; labels ``request``, ``secure_channel``, ``mention``,
``negation``, ``other``) and prints, per language and overall, the precision and
recall of "is a request" (predicted: :func:`detectors.sensitive.find_requests`
returns any category; true: ``label == "request"``), the share of true
positives whose categories match exactly, and the misclassified ids.

    .venv/bin/python bench/sensitive_sentences.py [FILE ...] [--show-text] [--rules-only]

``--rules-only`` scores the rules without the learned scorer
(detectors/data/sensitive_model.json), to see what the scorer changes.

Default file: tests/data/sensitive/dev.jsonl. The computation is
:func:`detectors.sensitive.request_scores`. Exits 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from detectors.sensitive import request_scores  # noqa: E402

DEFAULT = ROOT / "tests" / "data" / "sensitive" / "dev.jsonl"


def load(paths: list[Path]) -> list[dict]:
    """Rows of the JSONL files, in order (blank lines skipped)."""
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    rows.append(json.loads(line))
    return rows


def _pct(v: float | None) -> str:
    return "   -" if v is None else f"{v:6.3f}"


def report(rows: list[dict], show_text: bool = False, out=sys.stdout) -> dict:
    """Print the score table and the misclassified rows; return the scores."""
    scores = request_scores(rows)
    print(f"{'lang':<8} {'n':>4} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7} {'cat-exact':>9}",
          file=out)
    for lang, sc in list(scores["by_lang"].items()) + [("overall", scores["overall"])]:
        print(f"{lang:<8} {sc['n']:>4} {sc['tp']:>4} {sc['fp']:>4} {sc['fn']:>4} "
              f"{_pct(sc['precision']):>9} {_pct(sc['recall']):>7} {_pct(sc['category_exact']):>9}", file=out)
    errors = scores["errors"]
    texts = {r.get("id"): r.get("text", "") for r in rows} if show_text else {}
    print(f"\nmisclassified: {len(errors)}", file=out)
    for e in errors:
        line = (f"  {e['kind']:<10} {e['id']!s:<12} label={e['label']:<14} "
                f"expected={','.join(e['expected']) or '-'} predicted={','.join(e['predicted']) or '-'}")
        if show_text:
            line += f"\n             {texts.get(e['id'], '')}"
        print(line, file=out)
    return scores


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path, help=f"JSONL files (default {DEFAULT.relative_to(ROOT)})")
    ap.add_argument("--show-text", action="store_true", help="print the text of misclassified rows")
    ap.add_argument("--rules-only", action="store_true", help="the rules without the learned scorer")
    args = ap.parse_args(argv)
    if args.rules_only:
        import detectors.sensitive as sensitive

        sensitive._MODEL = None
    report(load(args.files or [DEFAULT]), show_text=args.show_text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
