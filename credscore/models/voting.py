"""Voting baselines: majority vote for categorical values, mean and median for numbers.

Numeric models (here and in :mod:`credscore.models.crh`) return their
estimate in :attr:`FusionResult.value` and still give a probability to each
candidate value of an object: see :func:`closeness_probability`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
import numpy as np
import numpy.typing as npt

from credscore.kernels import segments as _kernels
from credscore.models.base import FloatArray, FusionResult, TruthModel
from credscore.models.registry import register_model
from credscore.table.table import Table

__all__ = ["Majority", "Mean", "Median", "closeness_probability"]


@attrs.define(kw_only=True)
class Majority(TruthModel):
    """Majority vote: each object's value is the one most sources give.

    The probability of a candidate is its share of the object's votes; a
    source's reliability is the share of its values that agree with the vote.

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_arrays(["s1", "s2", "s3"], ["x", "x", "x"], ["a", "a", "b"])
    >>> r = Majority().fit_score(t)
    >>> r.truths(), r.claim_probability.round(3).tolist()
    ({'x': 'a'}, [0.667, 0.333])
    """

    name: ClassVar[str] = "majority"

    def estimate(self, table: Table) -> FusionResult:
        count = np.bincount(table.claim, minlength=table.n_claims)
        prob: FloatArray = count.astype(np.float64)
        per_obj = np.bincount(table.claim_object, weights=prob, minlength=table.n_objects)
        prob /= per_obj[table.claim_object]  # votes -> shares, in place
        # Within an object every vote count is divided by the same total, so
        # the most probable claim is the one with the most votes.
        best = _first_most_votes(count, table.object_start)
        if best is None:
            best = _kernels.segment_argmax(prob, table.object_start)
        is_best = np.zeros(table.n_claims, dtype=bool)
        is_best[best] = True
        # One count per (source, agrees?) cell: bit 0 of the cell says
        # agreement. Made as intp, which bincount then uses without a copy.
        cell = table.source.astype(np.intp)
        cell <<= 1
        cell |= is_best[table.claim]
        per_cell = np.bincount(cell, minlength=2 * table.n_sources).reshape(-1, 2)
        agree = per_cell[:, 1]
        total = per_cell[:, 0] + agree
        value: np.ndarray[Any, Any] = table.claim_value[best]
        return FusionResult(
            table=table,
            claim_probability=prob,
            value=value,
            reliability=agree / total,
            model=self.name,
        )


def _first_most_votes(
    count: npt.NDArray[np.int64], start: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64] | None:
    """Index of the first claim with the most votes in each object.

    Packs ``(votes, -index)`` into one int64 so that a single maximum per
    object finds it. None when the packing does not apply (an object without
    claims, or counts or indices too large for 32 bits each).
    """
    n = count.shape[0]
    low = (1 << 32) - 1
    if n == 0 or n > low or int(count.max()) > np.iinfo(np.int32).max:
        return None
    if start.shape[0] < 2 or bool((start[1:] <= start[:-1]).any()):
        return None
    key = count << 32
    key |= low
    key -= np.arange(n, dtype=np.int64)
    top = np.maximum.reduceat(key, start[:-1])
    out: npt.NDArray[np.int64] = low - (top & low)
    return out


register_model(Majority)


def _assertion_value(table: Table) -> FloatArray:
    out: FloatArray = np.asarray(table.claim_value, dtype=np.float64)[table.claim]
    return out


def closeness_probability(
    table: Table, estimate: FloatArray, weight: FloatArray | None = None
) -> FloatArray:
    """Probability of each candidate value of a numeric table, by closeness.

    Candidate ``c`` of object ``o`` gets mass proportional to
    ``exp(-(v_c - e_o)**2 / (2 s_o**2))``, a normal density centred on the
    object's estimate ``e_o`` whose variance ``s_o**2`` is the (weighted)
    mean squared distance of the object's assertions from the estimate: the
    closer a candidate lies to the estimate, relative to how spread out the
    answers are, the more probable it is. When that spread is 0 all the mass
    goes to the candidates nearest the estimate (split evenly on a tie).

    Parameters
    ----------
    table : Table
        A numeric table.
    estimate : ndarray of shape (n_objects,)
        The fused value of each object.
    weight : ndarray of shape (n_sources,), optional
        Non-negative source weights for the spread (default: all 1).

    Returns
    -------
    ndarray of shape (n_claims,)
        Sums to 1 within each object.

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_arrays(["a", "b", "c"], ["x", "x", "x"], [1.0, 2.0, 6.0])
    >>> p = closeness_probability(t, np.array([3.0]))
    >>> [round(float(x), 3) for x in p]
    [0.337, 0.465, 0.197]
    """
    v = _assertion_value(table)
    w = np.ones(table.n_assertions) if weight is None else weight[table.source]
    dev = (v - estimate[table.object]) ** 2
    tot = np.bincount(table.object, weights=w, minlength=table.n_objects)
    spread = np.bincount(table.object, weights=w * dev, minlength=table.n_objects)
    ok = (spread > 0) & (tot > 0)
    s2 = np.where(ok, spread / np.where(ok, tot, 1.0), 1.0)
    cv = np.asarray(table.claim_value, dtype=np.float64)
    d = (cv - estimate[table.claim_object]) ** 2
    nearest = d == np.minimum.reduceat(d, table.object_start[:-1])[table.claim_object]
    with np.errstate(over="ignore", divide="ignore"):
        z = np.where(
            ok[table.claim_object],
            -d / (2.0 * s2[table.claim_object]),
            np.where(nearest, 0.0, -np.inf),
        )
    top = np.maximum.reduceat(z, table.object_start[:-1])
    e = np.exp(z - top[table.claim_object])
    out: FloatArray = (
        e
        / np.bincount(table.claim_object, weights=e, minlength=table.n_objects)[table.claim_object]
    )
    return out


def closeness_reliability(table: Table, estimate: FloatArray) -> FloatArray:
    """``1 / (1 + mean relative error)`` of each source against ``estimate``.

    A source's error on an object is ``|v - e_o| / sd_o``, its distance from
    the estimate in units of the object's (unweighted) root mean squared
    deviation from the estimate (0 where that is 0). The reliability is 1
    for a source always on the estimate and falls toward 0 as it strays.
    """
    v = _assertion_value(table)
    dev = np.abs(v - estimate[table.object])
    cnt = np.bincount(table.object, minlength=table.n_objects)
    sd = np.sqrt(np.bincount(table.object, weights=dev**2, minlength=table.n_objects) / cnt)
    sd_a = sd[table.object]
    rel_err = np.divide(dev, sd_a, out=np.zeros_like(dev), where=sd_a > 0)
    n = np.bincount(table.source, minlength=table.n_sources)
    mean_err = np.bincount(table.source, weights=rel_err, minlength=table.n_sources) / np.maximum(
        n, 1
    )
    out: FloatArray = 1.0 / (1.0 + mean_err)
    return out


def _median_by_object(table: Table) -> FloatArray:
    """Median of each object's asserted values (mean of the two middle ones)."""
    v = _assertion_value(table)
    order = np.lexsort((v, table.object))
    sv = v[order]
    cnt = np.bincount(table.object, minlength=table.n_objects)
    start = np.concatenate(([0], np.cumsum(cnt)[:-1]))
    lo = sv[start + (cnt - 1) // 2]
    hi = sv[start + cnt // 2]
    out: FloatArray = 0.5 * lo + 0.5 * hi
    return out


def _numeric_result(model: str, table: Table, estimate: FloatArray) -> FusionResult:
    return FusionResult(
        table=table,
        claim_probability=closeness_probability(table, estimate),
        value=estimate,
        reliability=closeness_reliability(table, estimate),
        model=model,
    )


@attrs.define(kw_only=True)
class Mean(TruthModel):
    """Mean: each object's value is the average of the numbers given for it.

    Notes
    -----
    ``claim_probability`` puts mass on each candidate by its closeness to
    the mean (:func:`closeness_probability`); a source's reliability is
    ``1 / (1 + its mean distance from the mean in units of each object's
    spread)``.

    References
    ----------
    Y. Zheng, G. Li, Y. Li, C. Shan and R. Cheng, "Truth inference in
    crowdsourcing: is the problem solved?", PVLDB 10(5):541-552, 2017
    (the Mean baseline on numeric tasks).

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_arrays(["a", "b", "c", "a"], ["x", "x", "x", "y"], [1.0, 2.0, 6.0, 4.0])
    >>> Mean().fit_score(t).truths()
    {'x': 3.0, 'y': 4.0}
    """

    name: ClassVar[str] = "mean"
    kinds: ClassVar[frozenset[str]] = frozenset({"numeric"})

    def estimate(self, table: Table) -> FusionResult:
        v = _assertion_value(table)
        total = np.bincount(table.object, weights=v, minlength=table.n_objects)
        cnt = np.bincount(table.object, minlength=table.n_objects)
        return _numeric_result(self.name, table, total / cnt)


register_model(Mean)


@attrs.define(kw_only=True)
class Median(TruthModel):
    """Median: each object's value is the median of the numbers given for it.

    With an even number of answers it is the mean of the two middle ones.

    Notes
    -----
    Probabilities and reliabilities as for :class:`Mean`, around the median.

    References
    ----------
    Y. Zheng, G. Li, Y. Li, C. Shan and R. Cheng, "Truth inference in
    crowdsourcing: is the problem solved?", PVLDB 10(5):541-552, 2017
    (the Median baseline on numeric tasks).

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_arrays(["a", "b", "c", "a"], ["x", "x", "x", "y"], [1.0, 2.0, 6.0, 4.0])
    >>> Median().fit_score(t).truths()
    {'x': 2.0, 'y': 4.0}
    """

    name: ClassVar[str] = "median"
    kinds: ClassVar[frozenset[str]] = frozenset({"numeric"})

    def estimate(self, table: Table) -> FusionResult:
        return _numeric_result(self.name, table, _median_by_object(table))


register_model(Median)
