"""Template keys are frozen: every supported interpreter keys the same messages alike.

Template keys are stored in learned state and written in alerts, so a Python whose
regular-expression engine matched differently would find thousands of "new"
templates after an upgrade (it happened: early 3.11 patch releases matched
possessive quantifiers differently; 3.10 could not parse them). ``keys.jsonl``
holds 284 messages of both simulated worlds and of the sentence sets with the key
and mask the current release gives them.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import sys
from pathlib import Path

import detectors
from detectors.templates import TemplateKeyer

KEYS = Path(__file__).resolve().parent.parent / "data" / "templates" / "keys.jsonl"
PY = f"Python {sys.version.split()[0]} ({sys.executable})"


def _rows():
    with open(KEYS, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_sample_covers_both_worlds_and_the_sentence_sets():
    srcs = {r["src"].split(":")[0] for r in _rows()}
    assert {"simulator", "sim_bank", "sentences"} <= srcs
    assert len({r["key"] for r in _rows()}) > 100


def test_template_keys_and_masks_are_the_frozen_ones():
    keyer = TemplateKeyer()
    rows = _rows()
    keys = [r for r in rows if keyer.key(r["subject"], r["body"]) != r["key"]]
    masks = [r for r in rows if keyer.mask(r["body"]) != r["mask"]]
    assert not keys and not masks, (
        f"{PY} keys {len(keys)} and masks {len(masks)} of {len(rows)} frozen messages differently, "
        f"e.g. {masks[0]['mask'][:60]!r} -> {keyer.mask(masks[0]['body'])[:60]!r}" if masks else
        f"{PY} keys {len(keys)} of {len(rows)} frozen messages differently"
    )


_PATCH_LEVEL_SYNTAX = re.compile(rb"(?<!\\)[*+?}]\+|\(\?>")


def test_no_regex_relies_on_possessive_quantifiers_or_atomic_groups():
    # possessive quantifiers and atomic groups: not parsed before 3.11, matched
    # differently in early 3.11 releases; templates.py emulates them portably
    found = []
    for mod in pkgutil.iter_modules(detectors.__path__):
        m = importlib.import_module(f"detectors.{mod.name}")
        for name, value in vars(m).items():
            if isinstance(value, re.Pattern):
                pat = value.pattern if isinstance(value.pattern, bytes) else value.pattern.encode()
                if _PATCH_LEVEL_SYNTAX.search(pat):
                    found.append(f"{mod.name}.{name}")
    assert not found, f"patterns with possessive quantifiers or atomic groups: {found}"
