"""RumourEval 2017: the thresholds of the calibration issue, on real rumours.

The same code as ``benchmarks/rumours.py`` (imported from it): 219 threads
labelled true or false, threads as claims, users as sources. The default
model's settings were chosen on the official train split only; the learned
model learns inside each training fold.
"""

from __future__ import annotations

import importlib.util
import os
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import credscore

REPO = Path(__file__).resolve().parents[1]
ROOT = Path(os.environ.get("CREDSCORE_DATA", REPO.parent / "shared" / "data"))
DATA = ROOT / "rumours" / "rumoureval2017"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason=f"no data folder at {DATA}")


@cache
def bench() -> Any:
    spec = importlib.util.spec_from_file_location(
        "rumours_bench", REPO / "benchmarks" / "rumours.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def cases() -> list[credscore.Case]:
    return bench().rumoureval_split(("train", "dev", "test"))


def test_the_loader_reads_every_thread() -> None:
    all_cases = cases()
    claims = [c for case in all_cases for c in case.claims]
    assert len(claims) == 325
    resolved = [c.resolved for c in claims if c.resolved is not None]
    assert (len(resolved), sum(resolved)) == (219, 145)
    # every tweet is a report
    assert sum(len(case.reports) for case in all_cases) == 5568


def test_default_model_beats_the_base_rate_in_log_loss() -> None:
    """Default model, nothing learned, all 219 threads: log loss below the
    base rate's 0.641, and no longer overconfident."""
    b = bench()
    truth = b.truth_of(cases())
    pred = b.default(cases(), set(truth))
    m = b.metrics(pred, truth, True)
    assert m["log_loss"] < 0.641
    assert m["brier"] < 0.226  # the base rate's, in cross-validation
    assert max(pred.values()) < 0.95  # 91 threads reached 0.95 before, 14 of them false


def test_learned_model_cross_validated() -> None:
    """10 x 5-fold CV over threads: AUC >= 0.70, log loss <= 0.60, macro-F1 >= 0.65."""
    mean, per_rep, _, _ = bench().cross_validate(cases(), "learned", reps=10)
    assert mean["auc"] >= 0.70
    assert mean["log_loss"] <= 0.60
    assert mean["f1"] >= 0.65
    # and it beats the stance-count baseline in every repetition
    _, lr_reps, _, _ = bench().cross_validate(cases(), "stance-count LR", reps=10)
    assert all(a["auc"] > b["auc"] for a, b in zip(per_rep, lr_reps))
    assert np.isfinite([r["log_loss"] for r in per_rep]).all()


def test_learned_model_on_the_official_split() -> None:
    """train + dev -> test (20 threads of events the training data do not
    name): better than the base rate in log loss."""
    b = bench()
    learned, _ = b.official(cases(), "learned")
    base, _ = b.official(cases(), "base rate")
    assert learned["log_loss"] < base["log_loss"]
    assert learned["auc"] >= 0.70
