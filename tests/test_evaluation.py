"""Evaluation on the real data sets in ../shared/data against the published bars.

For every data set, the best credscore model must reach the bar of issues 4
and 11 (the best published result on the same data, see PUBLISHED_RESULTS.md), and
the default model, ``corroboration``, must come within 1.5 points of it.
Running every model on every data set takes minutes (benchmarks/accuracy.py
does that); here each data set runs a short list of *candidates*, the models
that measured best on it: the best candidate reaching the bar implies that
the best model does. A candidate that is not registered is left out; when
none is, the test skips and says so. A candidate ending in " on the label
set" is fitted to ``Table.with_label_set()``.

Accuracy is counted with expected tie credit (see credscore.metrics.evaluate):
an object whose top probability is shared by k values scores 1/k if the gold
value is among them, as when published baselines break ties at random.

Models run with their default settings plus what a data set says about its
sources before any fitting (``Dataset.source_settings``): on population, the
editor kinds (anonymous / registered / bot, from the editor's name) as
``prior_groups`` and the bots as ``copiers`` of ``corroboration``. Nothing in
them comes from the gold; docs/accuracy.md shows the figures with and without.
"""

from __future__ import annotations

import os
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from credscore.datasets import Dataset, load
from credscore.errors import ConvergenceWarning
from credscore.metrics import expected_calibration_error
from credscore.models import FusionResult, available_models, get_model

DATA = Path(
    os.environ.get("CREDSCORE_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason=f"no data folder at {DATA}")

#: A candidate ending in this is fitted to ``Table.with_label_set()``: every
#: label a candidate of every object, so that a label nobody gave can be the
#: answer (as in crowd-kit's Dawid-Skene, whose .940 is product's bar).
LABEL_SET = " on the label set"

# name -> (metric, bar, candidate models). For accuracy higher is better; for
# MAE lower is better. Bars from issues 4 and 11 ("what it must show").
BARS: dict[str, tuple[str, float, tuple[str, ...]]] = {
    # issue 11: product at DS (crowd-kit) .940, published to three decimals, so
    # >= .9395 (crowd-kit's DawidSkene itself scores .93975 on this file; the
    # label set lets dawid-skene return a label nobody gave, as it does)
    "product": ("accuracy", 0.9395, ("dawid-skene" + LABEL_SET, "dawid-skene", "corroboration")),
    "sentiment": ("accuracy", 0.959, ("dawid-skene", "corroboration")),
    "relevance": ("accuracy", 0.610, ("corroboration", "dawid-skene")),
    "rte": ("accuracy", 0.920, ("corroboration", "dawid-skene", "catd")),
    "temp": ("accuracy", 0.940, ("accu", "corroboration", "truthfinder")),
    "emotion": ("mae", 12.1, ("crh", "corroboration", "mean")),
    "books": ("accuracy", 0.850, ("catd", "accu-copy", "pop-accu", "corroboration")),
    "population": ("accuracy", 0.850, ("corroboration", "truthfinder", "accu", "accu-copy")),
    "flights": ("accuracy", 0.880, ("accu-copy", "corroboration", "catd")),
    # issue 11: web >= 82.0 (BWA published 82.25), trec >= 70.5 (IBCC 70.55)
    "web": ("accuracy", 0.820, ("one-coin", "bwa", "mace")),
    "trec": ("accuracy", 0.705, ("corroboration", "mace", "ibcc")),
}
#: Bars no model reaches yet: kept visible as non-strict xfails (XPASS once reached)
#: rather than failing CI for everyone. None at the moment. (Population, reached
#: 2026-11-25: corroboration with the editor kinds as prior groups and the bots as
#: copiers 0.859 on the 301 gold city-years; blind to them, truthfinder 0.822,
#: corroboration 0.808.)
NOT_YET: dict[str, str] = {}


def cases() -> list[object]:
    return [
        pytest.param(n, marks=pytest.mark.xfail(reason=NOT_YET[n], strict=False))
        if n in NOT_YET
        else n
        for n in BARS
    ]


#: corroboration may trail the bar by this much: 1.5 accuracy points, or 1.5% of the MAE bar.
SLACK = 0.015


@cache
def dataset(name: str) -> Dataset:
    return load(name, DATA)


@cache
def result(name: str, model: str) -> FusionResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ds = dataset(name)
        base = model.removesuffix(LABEL_SET)
        table = ds.table.with_label_set() if model.endswith(LABEL_SET) else ds.table
        return get_model(base, **ds.source_settings(base)).fit_score(table)


@cache
def score(name: str, model: str) -> float:
    metric = BARS[name][0]
    return float(dataset(name).evaluate(result(name, model))[metric])


def better(metric: str, a: float, b: float) -> bool:
    """a is at least as good as b."""
    return a <= b if metric == "mae" else a >= b


@pytest.mark.parametrize("name", cases())
def test_best_model_reaches_the_bar(name: str) -> None:
    """The best credscore model on each data set reaches the published bar."""
    metric, bar, candidates = BARS[name]
    present = [m for m in candidates if m.removesuffix(LABEL_SET) in available_models()]
    if not present:
        pytest.skip(f"none of the candidate models {candidates} is registered yet")
    scores = {m: score(name, m) for m in present}
    best = min(scores.values()) if metric == "mae" else max(scores.values())
    assert better(metric, best, bar), f"{name}: {metric} {scores} does not reach {bar}"


@pytest.mark.parametrize("name", cases())
def test_corroboration_within_slack_of_the_bar(name: str) -> None:
    """The default model, corroboration with learned reliabilities, comes within
    1.5 points of each bar."""
    if "corroboration" not in available_models():
        pytest.skip("model 'corroboration' is not registered yet")
    metric, bar, _ = BARS[name]
    got = score(name, "corroboration")
    limit = bar * (1 + SLACK) if metric == "mae" else bar - SLACK
    assert better(metric, got, limit), f"{name}: corroboration {metric} {got:.4f} vs {limit}"


def calibration_error(name: str, model: str) -> float:
    ds = dataset(name)
    r = result(name, model)
    ids = ds.table.object_ids.tolist()
    pos = {o: i for i, o in enumerate(ids)}
    keys = [k for k in ds.gold if k in pos]
    idx = np.array([pos[k] for k in keys])
    gold = np.array([ds.gold[k] for k in keys])
    return expected_calibration_error(r.probability[idx], r.value[idx] == gold)


@pytest.mark.parametrize("name", ["product", "sentiment"])
def test_corroboration_is_calibrated(name: str) -> None:
    """On D_Product and D_PosSent the expected calibration error (10 equal-mass
    bins) of corroboration's probability for its fused value is below 0.05."""
    if "corroboration" not in available_models():
        pytest.skip("model 'corroboration' is not registered yet")
    assert calibration_error(name, "corroboration") < 0.05


@pytest.mark.parametrize("name", ["product", "sentiment", "rte", "temp"])
def test_calibration_is_reported_for_binary_sets(name: str) -> None:
    """On each binary data set the ECE of corroboration and dawid-skene is a
    number in [0, 1] (the values go into docs/accuracy.md)."""
    models = [m for m in ("corroboration", "dawid-skene") if m in available_models()]
    if not models:
        pytest.skip("neither corroboration nor dawid-skene is registered yet")
    assert dataset(name).n_labels == 2
    for m in models:
        assert 0.0 <= calibration_error(name, m) <= 1.0


def test_population_sources_are_known_before_fitting() -> None:
    """The population data set hands corroboration the editor kinds and the bots,
    derived from the editors' names alone; blind to them corroboration stays
    below the bar (0.808), so the figure above is theirs."""
    ds = dataset("population")
    settings = ds.source_settings("corroboration")
    assert set(settings) == {"prior_groups", "copiers"}
    assert settings["copiers"] == {s for s, k in ds.source_groups.items() if k == "bot"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        blind = get_model("corroboration").fit_score(ds.table)
    assert ds.evaluate(blind)["accuracy"] < BARS["population"][1]
