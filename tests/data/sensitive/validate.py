"""Validate dev.jsonl / heldout.jsonl and print per-language/label counts.

Usage: python tests/data/sensitive/validate.py [FILE.jsonl ...]   (exit code 1 on any problem)
Without arguments it checks dev.jsonl and heldout.jsonl; with arguments, only the named files
(e.g. dev4.jsonl, ids <lang>-d4-NNN).
"""
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = {"dev": HERE / "dev.jsonl", "heldout": HERE / "heldout.jsonl"}
if len(sys.argv) > 1:
    FILES = {Path(a).stem: Path(a) for a in sys.argv[1:]}
LANGS = ["en", "fr", "de", "es", "it", "nl", "pt"]
LABELS = ["request", "secure_channel", "mention", "negation", "other"]
CATEGORIES = ["id_document", "passport", "drivers_licence", "national_id",
              "bank_account", "card_number", "password"]
TAG = {"dev": "d", "heldout": "h", "dev2": "d2", "dev3": "d3", "dev4": "d4", "dev5": "d5", "dev6": "d6", "dev7": "d7", "dev8": "d8", "dev9": "d9", "heldout2": "h2", "heldout3": "h3", "heldout4": "h4", "heldout5": "h5", "heldout6": "h6", "dev10": "d10", "heldout7": "h7", "heldout8": "h8"}
MIN_PER_LANG = 60
MIN_PER_LABEL = {"request": 20, "secure_channel": 8, "mention": 8, "negation": 6, "other": 6}
MIN_REQUESTS_PER_CATEGORY = 2


def norm(text):
    return re.sub(r"\s+", " ", text).strip().casefold()


def main():
    errors = []
    seen_ids = set()
    seen_text = {}
    counts = {}
    for split, path in FILES.items():
        counts[split] = Counter()
        catcounts = Counter()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.name}:{n}"
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"{where}: invalid JSON ({e})")
                continue
            if set(r) != {"id", "lang", "label", "categories", "text"}:
                errors.append(f"{where}: unexpected keys {sorted(r)}")
                continue
            lang, label, cats, text, rid = r["lang"], r["label"], r["categories"], r["text"], r["id"]
            if lang not in LANGS:
                errors.append(f"{where}: bad lang {lang!r}")
            if not re.fullmatch(rf"{lang}-{TAG[split]}-\d{{3}}", rid):
                errors.append(f"{where}: id {rid!r} does not match {lang}-{TAG[split]}-NNN")
            if rid in seen_ids:
                errors.append(f"{where}: duplicate id {rid}")
            seen_ids.add(rid)
            if label not in LABELS:
                errors.append(f"{where}: bad label {label!r}")
            if not isinstance(cats, list) or any(c not in CATEGORIES for c in cats) or len(set(cats)) != len(cats):
                errors.append(f"{where}: bad categories {cats!r}")
            if label == "request" and not cats:
                errors.append(f"{where}: request without categories")
            if label != "request" and cats:
                errors.append(f"{where}: categories on non-request label {label}")
            if not isinstance(text, str) or not text.strip():
                errors.append(f"{where}: empty text")
                continue
            key = norm(text)
            if key in seen_text:
                errors.append(f"{where}: text duplicates {seen_text[key]}")
            seen_text[key] = f"{split}:{rid}"
            if "\\u" in line:
                errors.append(f"{where}: ASCII-escaped text, write UTF-8")
            counts[split][(lang, label)] += 1
            counts[split][(lang, "TOTAL")] += 1
            for c in cats:
                catcounts[(lang, c)] += 1
        for lang in LANGS:
            if counts[split][(lang, "TOTAL")] < MIN_PER_LANG:
                errors.append(f"{split}/{lang}: only {counts[split][(lang, 'TOTAL')]} sentences")
            for label, m in MIN_PER_LABEL.items():
                if counts[split][(lang, label)] < m:
                    errors.append(f"{split}/{lang}: only {counts[split][(lang, label)]} {label}")
            for c in CATEGORIES:
                if catcounts[(lang, c)] < MIN_REQUESTS_PER_CATEGORY:
                    errors.append(f"{split}/{lang}: only {catcounts[(lang, c)]} requests for {c}")

    for split in FILES:
        cols = LABELS + ["TOTAL"]
        print(f"\n{split}.jsonl\n")
        print("| lang | " + " | ".join(cols) + " |")
        print("|---" * (len(cols) + 1) + "|")
        for lang in LANGS + ["all"]:
            if lang == "all":
                vals = [sum(counts[split][(l, c)] for l in LANGS) for c in cols]
            else:
                vals = [counts[split][(lang, c)] for c in cols]
            print(f"| {lang} | " + " | ".join(str(v) for v in vals) + " |")

    if errors:
        print("\nERRORS:")
        for e in errors:
            print("  " + e)
        return 1
    print("\nOK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
