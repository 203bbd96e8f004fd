"""Evaluation metrics for fused values and their probabilities.

Label metrics (:func:`accuracy`, :func:`precision_recall_f1`), numeric errors
(:func:`mae`, :func:`rmse`), and the quality of probabilities: :func:`brier`,
:func:`log_loss`, :func:`expected_calibration_error` with equal-mass bins and
:func:`calibration_bins` (a reliability diagram's numbers); ranking:
:func:`roc_auc`.
:func:`evaluate` scores a :class:`~credscore.models.FusionResult` against a
gold standard ``{object: value}``.

Every function validates its inputs and raises :class:`MetricInputError`
(a :class:`~credscore.errors.CredscoreError` and a :class:`ValueError`)
naming the argument that is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from credscore.errors import MetricInputError

if TYPE_CHECKING:
    from credscore.models.base import FusionResult

__all__ = [
    "MetricInputError",
    "accuracy",
    "brier",
    "calibration_bins",
    "evaluate",
    "expected_calibration_error",
    "log_loss",
    "mae",
    "precision_recall_f1",
    "rmse",
    "roc_auc",
]

FloatArray = npt.NDArray[np.float64]
ArrayLike = Sequence[Any] | np.ndarray[Any, Any]


def _pair(a: ArrayLike, b: ArrayLike, names: tuple[str, str]) -> tuple[Any, Any]:
    x, y = np.asarray(a), np.asarray(b)
    for name, arr in zip(names, (x, y)):
        if arr.ndim != 1:
            raise MetricInputError(f"{name}: expected a 1-d sequence, got shape {arr.shape}")
    if x.shape != y.shape:
        raise MetricInputError(
            f"{names[1]}: has {y.shape[0]} entries, but {names[0]} has {x.shape[0]}"
        )
    if x.shape[0] == 0:
        raise MetricInputError(f"{names[0]}: is empty")
    return x, y


def _finite(a: np.ndarray[Any, Any], name: str) -> FloatArray:
    try:
        out: FloatArray = a.astype(np.float64)
    except (TypeError, ValueError):
        raise MetricInputError(f"{name}: not numeric (dtype {a.dtype})") from None
    bad = ~np.isfinite(out)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise MetricInputError(f"{name}: entry {i} is {out[i]!r}, not a finite number")
    return out


def _probabilities(a: np.ndarray[Any, Any], name: str) -> FloatArray:
    p = _finite(a, name)
    out = (p < 0) | (p > 1)
    if out.any():
        i = int(np.flatnonzero(out)[0])
        raise MetricInputError(f"{name}: entry {i} is {p[i]!r}, outside [0, 1]")
    return p


def _binary(a: np.ndarray[Any, Any], name: str) -> FloatArray:
    y = _finite(a, name)
    bad = (y != 0) & (y != 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise MetricInputError(f"{name}: entry {i} is {y[i]!r}, expected 0 or 1 (or a bool)")
    return y


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Share of predictions equal to the truth.

    Parameters
    ----------
    y_true, y_pred : array-like of labels, same length

    Returns
    -------
    float in [0, 1]

    Raises
    ------
    MetricInputError
        When the lengths differ or the inputs are empty.

    Examples
    --------
    >>> accuracy(["a", "b", "b", "c"], ["a", "b", "c", "c"])
    0.75
    """
    t, p = _pair(y_true, y_pred, ("y_true", "y_pred"))
    return float(np.mean(t == p))


def precision_recall_f1(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    average: Literal["binary", "macro"] = "binary",
    pos_label: Any = 1,
) -> tuple[float, float, float]:
    """Precision, recall and F1 score.

    Parameters
    ----------
    y_true, y_pred : array-like of labels, same length
    average : {"binary", "macro"}
        ``"binary"``: the scores of the class ``pos_label``. ``"macro"``: the
        unweighted mean over every label in ``y_true`` or ``y_pred`` of each
        per-class score (the F1 is the mean of per-class F1s).
    pos_label : label
        The positive class for ``average="binary"``.

    Returns
    -------
    precision, recall, f1 : float
        A score whose denominator is 0 (no predicted or no true positives) is 0.

    Raises
    ------
    MetricInputError
        When the lengths differ, the inputs are empty, or ``average`` is unknown.

    Examples
    --------
    >>> precision_recall_f1([1, 1, 0, 0], [1, 0, 1, 0])
    (0.5, 0.5, 0.5)
    >>> p, r, f = precision_recall_f1(["a", "a", "b"], ["a", "b", "b"], average="macro")
    >>> round(p, 4), round(r, 4), round(f, 4)
    (0.75, 0.75, 0.6667)
    """
    t, p = _pair(y_true, y_pred, ("y_true", "y_pred"))
    if average not in ("binary", "macro"):
        raise MetricInputError(f"average: expected 'binary' or 'macro', got {average!r}")
    n = t.shape[0]
    labels, codes = np.unique(np.concatenate([t, p]), return_inverse=True)
    codes = codes.reshape(-1)
    tc, pc = codes[:n], codes[n:]
    k = labels.shape[0]
    # Per label: true positives, predicted positives, actual positives.
    tp = np.bincount(tc[tc == pc], minlength=k).astype(np.float64)
    n_pred = np.bincount(pc, minlength=k).astype(np.float64)
    n_true = np.bincount(tc, minlength=k).astype(np.float64)
    if average == "binary":
        where = np.flatnonzero(labels == pos_label)
        tp, n_pred, n_true = (
            (a[where] if where.size else np.zeros(1)) for a in (tp, n_pred, n_true)
        )
    prec = np.divide(tp, n_pred, out=np.zeros_like(tp), where=n_pred > 0)
    rec = np.divide(tp, n_true, out=np.zeros_like(tp), where=n_true > 0)
    denom = prec + rec
    f1 = np.divide(2 * prec * rec, denom, out=np.zeros_like(tp), where=denom > 0)
    return float(prec.mean()), float(rec.mean()), float(f1.mean())


def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute error.

    Raises
    ------
    MetricInputError
        When the lengths differ, the inputs are empty or not finite numbers.

    Examples
    --------
    >>> mae([1.0, 2.0, 4.0], [2.0, 2.0, 1.0])
    1.3333333333333333
    """
    t, p = _pair(y_true, y_pred, ("y_true", "y_pred"))
    return float(np.mean(np.abs(_finite(t, "y_true") - _finite(p, "y_pred"))))


def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root mean squared error.

    Raises
    ------
    MetricInputError
        When the lengths differ, the inputs are empty or not finite numbers.

    Examples
    --------
    >>> rmse([0.0, 0.0], [3.0, 4.0])
    3.5355339059327378
    """
    t, p = _pair(y_true, y_pred, ("y_true", "y_pred"))
    d = _finite(t, "y_true") - _finite(p, "y_pred")
    return float(np.sqrt(np.mean(d * d)))


def brier(prob: ArrayLike, outcome: ArrayLike) -> float:
    """Brier score: mean squared difference between probability and outcome.

    Parameters
    ----------
    prob : array-like of float in [0, 1]
        Forecast probability of each event.
    outcome : array-like of 0/1 or bool
        Whether the event happened.

    Raises
    ------
    MetricInputError
        When the lengths differ, the inputs are empty, a probability is
        outside [0, 1] or an outcome is not 0/1.

    References
    ----------
    G. W. Brier, "Verification of forecasts expressed in terms of
    probability", Monthly Weather Review 78(1), 1950.

    Examples
    --------
    >>> round(brier([0.9, 0.2], [1, 0]), 6)
    0.025
    """
    pr, y = _pair(prob, outcome, ("prob", "outcome"))
    d = _probabilities(pr, "prob") - _binary(y, "outcome")
    return float(np.mean(d * d))


def log_loss(prob: ArrayLike, outcome: ArrayLike, *, eps: float = 1e-15) -> float:
    """Mean negative log-likelihood (natural log) of binary outcomes.

    Parameters
    ----------
    prob : array-like of float in [0, 1]
    outcome : array-like of 0/1 or bool
    eps : float
        Probabilities are clipped to ``[eps, 1 - eps]`` so that a confident
        mistake costs ``-log(eps)`` rather than infinity.

    Raises
    ------
    MetricInputError
        As :func:`brier`, or when ``eps`` is not in (0, 0.5).

    Examples
    --------
    >>> round(log_loss([0.5, 0.5], [1, 0]), 6)
    0.693147
    """
    if not 0 < eps < 0.5:
        raise MetricInputError(f"eps: expected a number in (0, 0.5), got {eps!r}")
    pr, y = _pair(prob, outcome, ("prob", "outcome"))
    p = np.clip(_probabilities(pr, "prob"), eps, 1 - eps)
    o = _binary(y, "outcome")
    return float(-np.mean(o * np.log(p) + (1 - o) * np.log1p(-p)))


def expected_calibration_error(
    prob: ArrayLike,
    correct: ArrayLike,
    n_bins: int = 10,
    strategy: Literal["quantile", "uniform"] = "quantile",
    *,
    ties: Literal["split", "together"] = "split",
) -> float:
    """Expected calibration error (ECE) of probabilities against outcomes.

    The items are split into ``n_bins`` bins; the ECE is the average over
    bins, weighted by bin size, of ``|mean probability - share correct|``.

    Parameters
    ----------
    prob : array-like of float in [0, 1]
        The stated probability of each prediction (e.g. of the fused value).
    correct : array-like of 0/1 or bool
        Whether each prediction was right.
    n_bins : int
        Number of bins (fewer when there are fewer items).
    strategy : {"quantile", "uniform"}
        ``"quantile"`` (equal mass): items sorted by probability (ties broken
        by outcome, so the result does not depend on input order) and cut into
        bins of equal size (sizes differ by at most one). ``"uniform"``: bins
        of equal width on [0, 1], right-closed except the first.

    Returns
    -------
    float in [0, 1]

    Raises
    ------
    MetricInputError
        As :func:`brier`, or when ``n_bins < 1`` or ``strategy`` is unknown.

    References
    ----------
    M. P. Naeini, G. F. Cooper and M. Hauskrecht, "Obtaining well calibrated
    probabilities using Bayesian binning", AAAI 2015. Equal-mass bins:
    J. Nixon et al., "Measuring calibration in deep learning", CVPR
    Workshops 2019.

    Examples
    --------
    Two bins: {0.6, 0.6} with one of two right (gap 0.1), {0.9, 0.9} with
    both right (gap 0.1):

    >>> round(expected_calibration_error([0.9, 0.9, 0.6, 0.6], [1, 1, 1, 0], n_bins=2), 6)
    0.1
    """
    pr, y = _pair(prob, correct, ("prob", "correct"))
    p = _probabilities(pr, "prob")
    c = _binary(y, "correct")
    mean_p, share, count = _bins(p, c, n_bins, strategy, ties)
    # sum_b (n_b / n) |mean p_b - share_b|
    return float(np.sum(count * np.abs(mean_p - share)) / count.sum())


def calibration_bins(
    prob: ArrayLike,
    outcome: ArrayLike,
    n_bins: int = 10,
    strategy: Literal["quantile", "uniform"] = "quantile",
    *,
    ties: Literal["split", "together"] = "split",
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64]]:
    """The numbers of a reliability diagram: per bin, the mean stated
    probability, the share of outcomes that came true, and the count.

    Bins as :func:`expected_calibration_error`; empty bins are left out.

    Parameters
    ----------
    prob : array-like of float in [0, 1]
    outcome : array-like of 0/1 or bool
    n_bins : int
    strategy : {"quantile", "uniform"}
    ties : {"split", "together"}
        As :func:`expected_calibration_error`.

    Returns
    -------
    mean_prob, share_true, count : ndarray

    Examples
    --------
    >>> m, s, n = calibration_bins([0.9, 0.9, 0.6, 0.6], [1, 1, 1, 0], n_bins=2)
    >>> m.tolist(), s.tolist(), n.tolist()
    ([0.6, 0.9], [0.5, 1.0], [2, 2])
    >>> m, s, n = calibration_bins([0.5, 0.5, 0.5, 0.9], [1, 0, 1, 1], n_bins=2, ties="together")
    >>> n.tolist()
    [3, 1]
    """
    pr, y = _pair(prob, outcome, ("prob", "outcome"))
    return _bins(_probabilities(pr, "prob"), _binary(y, "outcome"), n_bins, strategy, ties)


def _bins(
    p: FloatArray, c: FloatArray, n_bins: int, strategy: str, ties: str
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64]]:
    """Per non-empty bin: mean probability, share true, count (inputs checked)."""
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise MetricInputError(f"n_bins: expected a positive integer, got {n_bins!r}")
    if ties not in ("split", "together"):
        raise MetricInputError(f"ties: expected 'split' or 'together', got {ties!r}")
    n = p.shape[0]
    if strategy == "quantile":
        order = np.lexsort((c, p))
        p, c = p[order], c[order]
        k = min(int(n_bins), n)
        # Bin b holds sorted items [b*n//k, (b+1)*n//k): sizes differ by <= 1.
        bounds = (np.arange(k + 1) * n) // k
        bins = np.searchsorted(bounds, np.arange(n), side="right") - 1
        if ties == "together" and n:
            first = np.r_[True, p[1:] != p[:-1]]
            bins = bins[np.flatnonzero(first)[np.cumsum(first) - 1]]
    elif strategy == "uniform":
        edges = np.linspace(0.0, 1.0, int(n_bins) + 1)
        bins = np.clip(np.searchsorted(edges, p, side="left") - 1, 0, int(n_bins) - 1)
    else:
        raise MetricInputError(f"strategy: expected 'quantile' or 'uniform', got {strategy!r}")
    count = np.bincount(bins, minlength=int(n_bins))
    used = count > 0
    mean_p = np.bincount(bins, weights=p, minlength=int(n_bins))[used] / count[used]
    share = np.bincount(bins, weights=c, minlength=int(n_bins))[used] / count[used]
    return mean_p, share, count[used].astype(np.int64)


def roc_auc(score: ArrayLike, outcome: ArrayLike) -> float:
    """Area under the ROC curve: the chance that a random true item scores
    above a random false one (ties count one half).

    Parameters
    ----------
    score : array-like of float
        Any finite scores (probabilities, log-odds, counts).
    outcome : array-like of 0/1 or bool
        Both classes must occur.

    Returns
    -------
    float in [0, 1]

    Raises
    ------
    MetricInputError
        When the lengths differ, a score is not finite, or one class is missing.

    References
    ----------
    J. A. Hanley and B. J. McNeil, "The meaning and use of the area under a
    receiver operating characteristic (ROC) curve", Radiology 143 (1982).

    Examples
    --------
    >>> roc_auc([0.9, 0.4, 0.4, 0.1], [1, 1, 0, 0])
    0.875
    """
    sc, y = _pair(score, outcome, ("score", "outcome"))
    s = _finite(sc, "score")
    c = _binary(y, "outcome")
    n_pos = float(c.sum())
    n_neg = c.shape[0] - n_pos
    if n_pos == 0 or n_neg == 0:
        raise MetricInputError("outcome: needs both true and false items")
    # mid-ranks: ties share the mean of their ranks
    order = np.argsort(s, kind="stable")
    ss = s[order]
    first = np.r_[True, ss[1:] != ss[:-1]]
    group = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], ss.shape[0]]
    mid = (starts + ends + 1) / 2.0  # mean of ranks starts+1 .. ends
    ranks = np.empty(s.shape[0])
    ranks[order] = mid[group]
    return float((ranks[c == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def evaluate(
    result: FusionResult,
    gold: Mapping[Any, Any],
    *,
    ties: Literal["expected", "first"] = "expected",
) -> dict[str, float]:
    """Score a fusion result against gold values ``{object_id: true value}``.

    Only gold objects that appear in the result's table are scored; their
    number is ``items``. Categorical tables give ``accuracy``; numeric tables
    give ``mae`` and ``rmse`` of the fused estimates.

    Parameters
    ----------
    result : FusionResult
    gold : mapping
        True value of each gold object. Keys are matched to the table's object
        ids, values to its values (compared with ``==``, so labels must have
        the same type: a label read from a CSV file is a string).
    ties : {"expected", "first"}
        Categorical tables only. ``"expected"`` (default): when k candidate
        values share the top probability of an object (within a relative
        1e-9), the object scores 1/k if the gold value is among them -- the
        expected accuracy of breaking ties at random, as published baselines
        do, so that no model gains from the order of labels. ``"first"``:
        score ``result.value`` as it is.

    Returns
    -------
    dict
        ``{"accuracy": ..., "items": n}`` or ``{"mae": ..., "rmse": ..., "items": n}``.

    Raises
    ------
    MetricInputError
        When no gold object appears in the table.

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> from credscore.models import Majority
    >>> t = Table.from_arrays(["s1", "s2", "s3", "s1"], ["x", "x", "x", "y"], ["a", "a", "b", "c"])
    >>> evaluate(Majority().fit_score(t), {"x": "a", "y": "d", "z": "e"})
    {'accuracy': 0.5, 'items': 2}

    A tie between two values earns half a point under ``ties="expected"``:

    >>> t2 = Table.from_arrays(["s1", "s2"], ["x", "x"], ["a", "b"])
    >>> r2 = Majority().fit_score(t2)
    >>> evaluate(r2, {"x": "b"}), evaluate(r2, {"x": "b"}, ties="first")
    ({'accuracy': 0.5, 'items': 1}, {'accuracy': 0.0, 'items': 1})
    """
    table = result.table
    obj_ids = table.object_ids.tolist()
    position = dict(zip(obj_ids, range(len(obj_ids))))
    keys = [k for k in gold if k in position]
    if not keys:
        raise MetricInputError(
            f"gold: none of its {len(gold)} objects appears in the table "
            f"(gold keys like {next(iter(gold), None)!r}, table objects like "
            f"{obj_ids[0] if obj_ids else None!r})"
        )
    idx = np.fromiter((position[k] for k in keys), dtype=np.int64, count=len(keys))
    fused = result.value[idx]
    truth = [gold[k] for k in keys]
    if table.numeric:
        return {
            "mae": mae(truth, fused),
            "rmse": rmse(truth, fused),
            "items": len(keys),
        }
    if ties == "first":
        hits = float(sum(1 for f, g in zip(fused.tolist(), truth) if f == g))
    elif ties == "expected":
        prob = result.claim_probability
        start = table.object_start
        top = np.maximum.reduceat(prob, start[:-1]) if table.n_objects else prob[:0]
        best = top[table.claim_object]
        is_top = prob >= best - 1e-9 * np.abs(best)
        n_top = np.bincount(table.claim_object, weights=is_top, minlength=table.n_objects)
        values = table.claim_value
        hits = 0.0
        for o, g in zip(idx.tolist(), truth):
            lo, hi = int(start[o]), int(start[o + 1])
            for c in range(lo, hi):  # the candidates of one gold object
                if values[c] == g:
                    if is_top[c]:
                        hits += 1.0 / float(n_top[o])
                    break
    else:
        raise MetricInputError(f"ties: expected 'expected' or 'first', got {ties!r}")
    return {"accuracy": float(hits) / len(keys), "items": len(keys)}
