"""The properties of DESIGN.md section 5 for a learned model.

Every test of ``tests/test_properties.py`` runs again with ``MODEL`` set to a
:class:`~credscore.LearnedModel` fitted on a history in which every learned
parameter moves away from its default: a base rate, stance strengths per kind
(government, press, intelligence: the kinds of the generated cases),
self-serving and against-interest adjustments, observations, and sources with
a track record (their ids, ``h0``... , are not those of the generated cases,
so renaming the case's ids cannot change which record applies).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

import credscore
from credscore import Case, Claim, Report, Source


def history() -> Case:
    rng = np.random.default_rng(7)
    kinds = ["government", "press", "intelligence", None]
    sources = [
        Source(f"h{i}", kind=kinds[i % 4], affiliation=["a/x", "b", "c/y/z", None][i % 4])
        for i in range(8)
    ]
    claims, reports = [], []
    for j in range(60):
        truth = bool(rng.random() < 0.6)
        claims.append(Claim(f"k{j}", resolved=truth, benefits=["a"] if j % 3 == 0 else []))
        for s in sources:
            if rng.random() < 0.5:
                continue
            right = rng.random() < (0.8 if s.kind != "press" else 0.6)
            said = truth if right else not truth
            stance = "confirms" if said else "denies"
            if rng.random() < 0.1:
                stance = "observes"
            reports.append(Report(s.id, f"k{j}", stance))
    return Case(sources, claims, reports)


LEARNED = credscore.learn(history())

_path = Path(__file__).with_name("test_properties.py")
_spec = importlib.util.spec_from_file_location("tests._properties_with_learned_model", _path)
assert _spec is not None and _spec.loader is not None
_module = importlib.util.module_from_spec(_spec)
_module.MODEL = LEARNED  # type: ignore[attr-defined]
_spec.loader.exec_module(_module)

globals().update({k: v for k, v in vars(_module).items() if k.startswith("test_")})


def test_the_learned_model_moved_away_from_the_defaults() -> None:
    """The model under test is not the default model in disguise."""
    p: dict[str, Any] = LEARNED.parameters_
    assert abs(p["base_rate"]["all"] - 0.5) > 0.02
    assert p["strength"]["confirms"]["kinds"]
    assert p["strength"]["confirms"]["interests"]
    assert p["strength"]["observes"]["all"] != 0.0
    assert len(p["sources"]) == 8
