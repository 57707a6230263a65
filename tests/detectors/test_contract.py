"""One contract for every River anomaly detector of the ``detectors`` package.

Detector classes are discovered by importing every module of the package, so a new
detector is covered without editing this file.
"""

from __future__ import annotations

import importlib
import inspect
import math
import pickle
import pkgutil
import random

import pytest
from river.base import AnomalyDetector

import detectors

EXPECTED_AT_LEAST = {"VolumeSpike", "FanOut", "ReplyRelay", "SensitiveRequest", "MailLoop", "TemplateNovelty"}


def _discover() -> list[type]:
    found: dict[str, type] = {}
    for info in pkgutil.iter_modules(detectors.__path__):
        mod = importlib.import_module(f"detectors.{info.name}")
        for _, obj in inspect.getmembers(mod, inspect.isclass):
            if (issubclass(obj, AnomalyDetector) and obj.__module__.startswith("detectors.")
                    and not inspect.isabstract(obj)):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [found[k] for k in sorted(found)]


DETECTOR_CLASSES = _discover()
IDS = [c.__name__ for c in DETECTOR_CLASSES]

T0 = 1_503_532_800
REQUEST = "To verify your order, please reply to this email with a photo of your passport."
NEUTRAL = "Your parcel has shipped and will arrive on Tuesday."


def standard_stream(n: int = 400, seed: int = 7) -> list[dict]:
    """Feature dicts carrying every field any detector reads; a few anomalies in the tail."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        anomalous = i >= n - 20 and i % 4 == 0
        out.append({
            "ts": T0 + 300 * i,
            "value": (150 if anomalous else 8 + rng.randint(0, 4)),
            "unrelated": (12 if anomalous else rng.choice([0, 1, 1, 1, 2])),
            "automated": rng.random() < 0.7,
            "reply": anomalous or rng.random() < 0.2,
            "attachments": rng.choice([0, 0, 1, 2]) + (1 if anomalous else 0),
            "images": 1 if anomalous else rng.choice([0, 0, 1]),
            "subject": "Order update",
            "body": REQUEST if anomalous else NEUTRAL,
            "volume": i + 1,
            # MailLoop: the anomalies repeat one recipient and template, the rest are one-offs
            "loop_key": "loop@example.org\x1fauto-reply" if anomalous else f"customer{i}@example.org\x1forder",
        })
    return out


STREAM = standard_stream()


def _param_sets(cls) -> list[dict]:
    sets = [{}]
    if hasattr(cls, "_unit_test_params"):
        sets = list(cls._unit_test_params()) or [{}]
    return sets


def _run(det, stream) -> list[float]:
    scores = []
    for x in stream:
        s = det.score_one(x)
        scores.append(s)
        assert det.learn_one(x) is None
    return scores


def test_the_known_detectors_are_discovered():
    assert EXPECTED_AT_LEAST <= {c.__name__ for c in DETECTOR_CLASSES}


@pytest.mark.parametrize("cls", DETECTOR_CLASSES, ids=IDS)
def test_is_a_river_anomaly_detector(cls):
    assert issubclass(cls, AnomalyDetector)
    det = cls()
    assert isinstance(det, AnomalyDetector)
    assert callable(det.learn_one) and callable(det.score_one)


@pytest.mark.parametrize("cls", DETECTOR_CLASSES, ids=IDS)
def test_scores_in_unit_interval_on_the_standard_stream(cls):
    for params in _param_sets(cls):
        scores = _run(cls(**params), STREAM)
        for s in scores:
            assert isinstance(s, float) and not isinstance(s, bool)
            assert math.isfinite(s) and 0.0 <= s <= 1.0
        # the stream's anomalies are seen: a detector stuck at 0 would pass the range check
        assert max(scores) > 0.5, params
        assert min(scores) == 0.0


@pytest.mark.parametrize("cls", DETECTOR_CLASSES, ids=IDS)
def test_pickle_round_trip_gives_the_same_subsequent_scores(cls):
    det = cls()
    head, tail = STREAM[:250], STREAM[250:]
    _run(det, head)
    twin = pickle.loads(pickle.dumps(det))
    assert type(twin) is cls
    assert _run(det, tail) == _run(twin, tail)


@pytest.mark.parametrize("cls", DETECTOR_CLASSES, ids=IDS)
def test_same_seed_same_scores(cls):
    params = inspect.signature(cls.__init__).parameters
    kw = {"seed": 42} if "seed" in params else {}
    stream = standard_stream(seed=3)
    assert _run(cls(**kw), stream) == _run(cls(**kw), stream)


@pytest.mark.parametrize("cls", DETECTOR_CLASSES, ids=IDS)
def test_missing_optional_fields_tolerated(cls):
    det = cls()
    keys = list(STREAM[0])
    odd = [{}] + [{k: v for k, v in STREAM[5].items() if k != drop} for drop in keys]
    odd += [{**STREAM[5], k: None} for k in keys] + [{k: None for k in keys}]
    for x in odd + STREAM[:60] + odd:
        s = det.score_one(x)
        assert 0.0 <= s <= 1.0
        det.learn_one(x)
    assert 0.0 <= det.score_one({}) <= 1.0


@pytest.mark.parametrize("cls", DETECTOR_CLASSES, ids=IDS)
def test_clone_and_get_params_convention(cls):
    sig = inspect.signature(cls.__init__)
    names = [p for p in sig.parameters if p != "self" and sig.parameters[p].kind not in
             (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)]
    for params in _param_sets(cls):
        det = cls(**params)
        for name in names:
            assert hasattr(det, name), f"{cls.__name__}.{name} not stored under its own name"
        for name, value in params.items():
            assert getattr(det, name) == value
        _run(det, STREAM[:100])
        fresh = det.clone()
        assert type(fresh) is cls and fresh is not det
        assert fresh._get_params() == det._get_params()
        # a clone is unfitted: same scores as a new instance with the same parameters
        assert _run(fresh, STREAM[:150]) == _run(cls(**params), STREAM[:150])


@pytest.mark.parametrize("cls", DETECTOR_CLASSES, ids=IDS)
def test_docstring_has_examples(cls):
    doc = inspect.getdoc(cls) or ""
    assert "Examples\n--------" in doc
    assert ">>>" in doc.split("Examples\n--------", 1)[1]


def test_every_detector_of_the_pipeline_has_a_rule_and_a_class_here():
    """Adding a detector is one class (covered above by discovery) plus one rule: the
    pipeline's detector steps are exactly the policy's rules."""
    from detectors.alerts import DETECTORS
    from detectors.pipeline import Sentinel
    from detectors.policy import _RULES

    steps = [f.__name__.lstrip("_") for f in Sentinel()._detectors]
    assert sorted(steps) == sorted(DETECTORS) == sorted(_RULES)
