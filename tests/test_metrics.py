"""Metrics agree with slow, obviously correct references, and reject bad input."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from credscore import metrics
from credscore.metrics import MetricInputError
from credscore.models import Majority
from credscore.table.table import Table

# --------------------------------------------------------------------------
# References: one loop per item, the textbook formula.


def ref_accuracy(t: list[Any], p: list[Any]) -> float:
    return sum(1 for a, b in zip(t, p) if a == b) / len(t)


def ref_prf(t: list[Any], p: list[Any], label: Any) -> tuple[float, float, float]:
    tp = sum(1 for a, b in zip(t, p) if a == label and b == label)
    pred = sum(1 for b in p if b == label)
    true = sum(1 for a in t if a == label)
    prec = tp / pred if pred else 0.0
    rec = tp / true if true else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


def ref_macro(t: list[Any], p: list[Any]) -> tuple[float, float, float]:
    labels = sorted(set(t) | set(p))
    scores = [ref_prf(t, p, lab) for lab in labels]
    return tuple(sum(s[i] for s in scores) / len(scores) for i in range(3))  # type: ignore[return-value]


def ref_mae(t: list[float], p: list[float]) -> float:
    return sum(abs(a - b) for a, b in zip(t, p)) / len(t)


def ref_rmse(t: list[float], p: list[float]) -> float:
    return math.sqrt(sum((a - b) ** 2 for a, b in zip(t, p)) / len(t))


def ref_brier(p: list[float], y: list[int]) -> float:
    return sum((a - b) ** 2 for a, b in zip(p, y)) / len(p)


def ref_log_loss(p: list[float], y: list[int], eps: float = 1e-15) -> float:
    total = 0.0
    for a, b in zip(p, y):
        a = min(max(a, eps), 1 - eps)
        total += -math.log(a) if b else -math.log(1 - a)
    return total / len(p)


def ref_ece_quantile(p: list[float], y: list[int], n_bins: int) -> float:
    items = sorted(zip(p, y))
    n = len(items)
    k = min(n_bins, n)
    total = 0.0
    for b in range(k):
        chunk = items[b * n // k : (b + 1) * n // k]
        conf = sum(x for x, _ in chunk) / len(chunk)
        acc = sum(c for _, c in chunk) / len(chunk)
        total += len(chunk) / n * abs(conf - acc)
    return total


def ref_ece_uniform(p: list[float], y: list[int], n_bins: int) -> float:
    bins: dict[int, list[tuple[float, int]]] = {}
    for x, c in zip(p, y):
        # right-closed bins ((b-1)/n, b/n], the first also holding 0
        b = max(math.ceil(x * n_bins) - 1, 0)
        bins.setdefault(b, []).append((x, c))
    total = 0.0
    for chunk in bins.values():
        conf = sum(x for x, _ in chunk) / len(chunk)
        acc = sum(c for _, c in chunk) / len(chunk)
        total += len(chunk) / len(p) * abs(conf - acc)
    return total


# --------------------------------------------------------------------------
# Agreement on generated inputs.

label_lists = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.sampled_from("abc"), min_size=n, max_size=n),
        st.lists(st.sampled_from("abc"), min_size=n, max_size=n),
    )
)
probs = st.floats(0, 1, allow_nan=False)
prob_outcome = st.integers(1, 60).flatmap(
    lambda n: st.tuples(
        st.lists(probs, min_size=n, max_size=n),
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
    )
)
numbers = st.floats(-1e6, 1e6, allow_nan=False)
number_pairs = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        st.lists(numbers, min_size=n, max_size=n), st.lists(numbers, min_size=n, max_size=n)
    )
)


@given(label_lists)
def test_accuracy_and_f1_match_reference(data: tuple[list[str], list[str]]) -> None:
    """Accuracy, binary and macro precision/recall/F1 equal the textbook formulas."""
    t, p = data
    assert metrics.accuracy(t, p) == pytest.approx(ref_accuracy(t, p), abs=1e-12)
    got = metrics.precision_recall_f1(t, p, pos_label="a")
    assert got == pytest.approx(ref_prf(t, p, "a"), abs=1e-12)
    got = metrics.precision_recall_f1(t, p, average="macro")
    assert got == pytest.approx(ref_macro(t, p), abs=1e-12)


@given(number_pairs)
def test_mae_rmse_match_reference(data: tuple[list[float], list[float]]) -> None:
    """MAE and RMSE equal the textbook formulas (to 1e-9 relative)."""
    t, p = data
    assert metrics.mae(t, p) == pytest.approx(ref_mae(t, p), rel=1e-9, abs=1e-9)
    assert metrics.rmse(t, p) == pytest.approx(ref_rmse(t, p), rel=1e-9, abs=1e-9)


@given(prob_outcome)
def test_probability_scores_match_reference(data: tuple[list[float], list[int]]) -> None:
    """Brier score and log loss equal the textbook formulas."""
    p, y = data
    assert metrics.brier(p, y) == pytest.approx(ref_brier(p, y), abs=1e-9)
    assert metrics.log_loss(p, y) == pytest.approx(ref_log_loss(p, y), rel=1e-9, abs=1e-9)


@given(prob_outcome, st.integers(1, 15))
def test_ece_matches_reference(data: tuple[list[float], list[int]], n_bins: int) -> None:
    """Equal-mass and equal-width ECE equal a per-bin loop over sorted items."""
    p, y = data
    got = metrics.expected_calibration_error(p, y, n_bins=n_bins)
    assert got == pytest.approx(ref_ece_quantile(p, y, n_bins), abs=1e-9)
    got = metrics.expected_calibration_error(p, y, n_bins=n_bins, strategy="uniform")
    assert got == pytest.approx(ref_ece_uniform(p, y, n_bins), abs=1e-9)


@given(prob_outcome, st.randoms(use_true_random=False))
def test_ece_independent_of_order(data: tuple[list[float], list[int]], rnd: Any) -> None:
    """The ECE does not depend on the order of the items (ties included)."""
    p, y = data
    pairs = list(zip(p, y))
    rnd.shuffle(pairs)
    q, z = [a for a, _ in pairs], [b for _, b in pairs]
    assert metrics.expected_calibration_error(p, y) == pytest.approx(
        metrics.expected_calibration_error(q, z), abs=1e-12
    )


def ref_auc(score: list[float], y: list[int]) -> float:
    """Every (true, false) pair: 1 when the true one scores higher, 1/2 on a tie."""
    pos = [a for a, c in zip(score, y) if c]
    neg = [a for a, c in zip(score, y) if not c]
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


@given(prob_outcome | st.integers(2, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.sampled_from([0.1, 0.5, 0.9]), min_size=n, max_size=n),
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
    )
))  # fmt: skip
def test_roc_auc_matches_pair_counting(data: tuple[list[float], list[int]]) -> None:
    """The mid-rank AUC equals counting every (true, false) pair, ties 1/2."""
    p, y = data
    assume(0 < sum(y) < len(y))
    assert metrics.roc_auc(p, y) == pytest.approx(ref_auc(p, y), abs=1e-12)


def ref_bins_together(p: list[float], y: list[int], n_bins: int) -> list[tuple[float, float, int]]:
    """Equal-mass bins over the sorted items; every run of equal probabilities
    goes, whole, to the bin of its first item."""
    items = sorted(zip(p, y))
    n = len(items)
    k = min(n_bins, n)
    bin_of = [next(b for b in range(k) if b * n // k <= i < (b + 1) * n // k) for i in range(n)]
    first: dict[float, int] = {}
    for i, (x, _) in enumerate(items):
        first.setdefault(x, bin_of[i])
    out: dict[int, list[tuple[float, int]]] = {}
    for x, c in items:
        out.setdefault(first[x], []).append((x, c))
    return [
        (sum(x for x, _ in v) / len(v), sum(c for _, c in v) / len(v), len(v))
        for _, v in sorted(out.items())
    ]


@given(st.integers(1, 50).flatmap(
    lambda n: st.tuples(
        st.lists(st.sampled_from([0.0, 0.2, 0.5, 0.7, 1.0]) | probs, min_size=n, max_size=n),
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
    )
), st.integers(1, 12))  # fmt: skip
def test_bins_with_ties_together_match_reference(
    data: tuple[list[float], list[int]], n_bins: int
) -> None:
    """ties="together": equal probabilities never straddle two bins."""
    p, y = data
    m, share, count = metrics.calibration_bins(p, y, n_bins, ties="together")
    want = ref_bins_together(p, y, n_bins)
    assert count.tolist() == [c for _, _, c in want]
    np.testing.assert_allclose(m, [a for a, _, _ in want], atol=1e-12)
    np.testing.assert_allclose(share, [b for _, b, _ in want], atol=1e-12)
    got = metrics.expected_calibration_error(p, y, n_bins, ties="together")
    assert got == pytest.approx(sum(c * abs(a - b) for a, b, c in want) / len(p), abs=1e-12)


# --------------------------------------------------------------------------
# Properties with known answers.


def test_ece_known_values() -> None:
    """Perfectly calibrated bins give 0; always-confident coin flips give 0.5;
    one bin gives |mean probability - accuracy|."""
    p = [0.25] * 4 + [0.75] * 4
    y = [1, 0, 0, 0, 1, 1, 1, 0]
    assert metrics.expected_calibration_error(p, y, n_bins=2) == pytest.approx(0.0)
    assert metrics.expected_calibration_error([1.0] * 10, [1, 0] * 5) == pytest.approx(0.5)
    assert metrics.expected_calibration_error([0.9, 0.8, 0.1], [1, 1, 1], n_bins=1) == (
        pytest.approx(abs(1.8 / 3 - 1))
    )


def test_equal_mass_bins_have_equal_sizes() -> None:
    """With equal-mass bins, 100 items in 10 bins give 10 items per bin: a skewed
    set of probabilities still fills every bin."""
    rng = np.random.default_rng(0)
    p = rng.beta(20, 1, size=100)  # mostly near 1
    y = (rng.random(100) < p).astype(int)
    got = metrics.expected_calibration_error(p, y, n_bins=10)
    order = np.lexsort((y, p))
    expect = sum(
        abs(p[order][b * 10 : (b + 1) * 10].mean() - y[order][b * 10 : (b + 1) * 10].mean()) / 10
        for b in range(10)
    )
    assert got == pytest.approx(expect)


def test_log_loss_of_confident_mistake_is_finite() -> None:
    """A probability of 0 for an event that happened costs -log(eps), not infinity."""
    assert metrics.log_loss([0.0], [1]) == pytest.approx(-math.log(1e-15))


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: metrics.accuracy([1, 2], [1]), "y_pred"),
        (lambda: metrics.accuracy([], []), "empty"),
        (lambda: metrics.accuracy([[1]], [[1]]), "1-d"),
        (lambda: metrics.mae([1.0, float("nan")], [1.0, 2.0]), "y_true: entry 1"),
        (lambda: metrics.rmse([1.0], ["x"]), "y_pred"),
        (lambda: metrics.brier([1.2], [1]), "prob: entry 0"),
        (lambda: metrics.brier([0.5], [2]), "outcome: entry 0"),
        (lambda: metrics.log_loss([0.5], [1], eps=0.0), "eps"),
        (lambda: metrics.expected_calibration_error([0.5], [1], n_bins=0), "n_bins"),
        (lambda: metrics.expected_calibration_error([0.5], [1], strategy="x"), "strategy"),
        (lambda: metrics.expected_calibration_error([-0.1], [1]), "prob"),
        (lambda: metrics.expected_calibration_error([0.5], [2]), "correct: entry 0"),
        (lambda: metrics.expected_calibration_error([0.5], [1], ties="x"), "ties"),
        (
            lambda: metrics.calibration_bins([0.5], [1], strategy="uniform", ties="x"),
            "ties",
        ),
        (lambda: metrics.calibration_bins([0.5], [2]), "outcome: entry 0"),
        (lambda: metrics.roc_auc([0.5, 0.4], [1, 1]), "both true and false"),
        (lambda: metrics.roc_auc([float("nan"), 0.4], [1, 0]), "score: entry 0"),
        (lambda: metrics.precision_recall_f1([1], [1], average="micro"), "average"),
    ],
)
def test_bad_input_names_the_argument(call: Any, fragment: str) -> None:
    """Bad input raises MetricInputError (a ValueError) naming the argument."""
    with pytest.raises(MetricInputError, match=fragment):
        call()
    assert issubclass(MetricInputError, ValueError)


# --------------------------------------------------------------------------
# evaluate()


def test_evaluate_scores_only_gold_objects_in_the_table() -> None:
    """Gold objects absent from the table are not scored; ``items`` counts the rest."""
    t = Table.from_arrays(["s1", "s2", "s3", "s1"], ["x", "x", "x", "y"], ["a", "a", "b", "c"])
    r = Majority().fit_score(t)
    assert metrics.evaluate(r, {"x": "a", "y": "c", "q": "z"}) == {"accuracy": 1.0, "items": 2}
    with pytest.raises(MetricInputError, match="gold"):
        metrics.evaluate(r, {"q": "z"})


def test_evaluate_ties_expected_credit() -> None:
    """Under ties="expected", an object whose top probability is shared by k values
    scores 1/k when the gold value is among them and 0 otherwise."""
    t = Table.from_arrays(
        ["s1", "s2", "s3", "s1", "s2"], ["x", "x", "x", "y", "y"], ["a", "b", "c", "a", "a"]
    )
    r = Majority().fit_score(t)
    assert metrics.evaluate(r, {"x": "c"})["accuracy"] == pytest.approx(1 / 3)
    assert metrics.evaluate(r, {"x": "z"})["accuracy"] == 0.0
    assert metrics.evaluate(r, {"x": "a"}, ties="first")["accuracy"] == 1.0
    assert metrics.evaluate(r, {"x": "c"}, ties="first")["accuracy"] == 0.0
    assert metrics.evaluate(r, {"y": "a"})["accuracy"] == 1.0


def test_evaluate_numeric() -> None:
    """Numeric tables are scored by MAE and RMSE of the fused estimates."""
    from credscore.models import get_model

    t = Table.from_arrays(["s1", "s2", "s1"], ["x", "x", "y"], [1.0, 3.0, 10.0])
    if "mean" not in __import__("credscore.models", fromlist=["x"]).available_models():
        pytest.skip("model 'mean' is not registered yet")
    r = get_model("mean").fit_score(t)
    ev = metrics.evaluate(r, {"x": 0.0, "y": 10.0})
    assert ev["items"] == 2
    assert ev["mae"] == pytest.approx(1.0)
    assert ev["rmse"] == pytest.approx(math.sqrt(2.0))


@given(label_lists)
def test_evaluate_matches_accuracy_without_ties(data: tuple[list[str], list[str]]) -> None:
    """With one source per object there are no ties, and evaluate equals accuracy
    of the fused values."""
    t, p = data
    n = len(t)
    assume(n > 0)
    table = Table.from_arrays(["s"] * n, [f"o{i:03d}" for i in range(n)], p)
    r = Majority().fit_score(table)
    gold = {f"o{i:03d}": t[i] for i in range(n)}
    assert metrics.evaluate(r, gold)["accuracy"] == pytest.approx(ref_accuracy(t, p))
