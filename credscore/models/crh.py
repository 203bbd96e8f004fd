"""Loss-weighted truth discovery: CRH and CATD, for categorical and numeric values.

Both alternate two steps. Given source weights, each object's truth is the
weighted vote (categorical) or the weighted mean / median (numeric) of its
assertions; given the truths, each source's weight falls with its total
loss against them. They differ in how a loss becomes a weight:

- CRH (Li et al., SIGMOD 2014): ``w_s = -log(L_s / sum_t L_t)``.
- CATD (Li et al., VLDB 2015): ``w_s = chi2_{alpha/2}(N_s) / L_s``, the
  inverse of the upper end of a confidence interval of the source's error
  variance, so that a source with few answers cannot earn a large weight
  by luck.

Losses: 0-1 for categorical values; for numeric values the squared (or,
for CRH, absolute) distance from the truth divided by the standard
deviation of the object's answers, so that objects of different scales
count alike (CRH's normalised losses).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

import attrs
import numpy as np
import numpy.typing as npt

from credscore import _validators as _v
from credscore.kernels import segments as _kernels
from credscore.models._gold import Gold
from credscore.models.base import (
    BaseState,
    FloatArray,
    InitReads,
    IterativeModel,
    Stats,
)
from credscore.models.registry import register_model
from credscore.models.voting import closeness_probability
from credscore.table.table import Table

__all__ = ["CATD", "CRH", "chi2_lower_quantile"]


# -- the chi-squared quantile CATD needs (no scipy in the core) ---------------


class CRHState(BaseState, total=False):
    """The state of CRH and CATD: per-source arrays and scalars broadcast to every
    partition (:class:`~credscore.models.base.BaseState`)."""

    weight: FloatArray
    count: FloatArray
    quantile: FloatArray


State = CRHState


def _lower_gamma_series(a: FloatArray, x: FloatArray, lg: FloatArray) -> FloatArray:
    """Regularised lower incomplete gamma ``P(a, x)`` by its power series.

    ``P(a, x) = x**a e**-x / Gamma(a + 1) * sum_n x**n / ((a + 1)...(a + n))``,
    which converges for every ``x``; used here only for ``x < a``.
    """
    term = np.ones_like(x)
    total = np.ones_like(x)
    n = 0
    while True:
        n += 1
        term = term * x / (a + n)
        total = total + term
        if not np.any(term > total * 1e-17) or n > 1_000_000:
            break
    out: FloatArray = np.exp(a * np.log(x) - x - lg - np.log(a)) * total
    return out


def _normal_quantile(p: float) -> float:
    """Standard normal quantile by Newton's method on ``math.erfc``."""
    z = 0.0
    for _ in range(100):
        cdf = 0.5 * math.erfc(-z / math.sqrt(2.0))
        step = (cdf - p) / (math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi))
        z -= step
        if abs(step) < 1e-15:
            break
    return z


def chi2_lower_quantile(p: float, dof: npt.ArrayLike) -> FloatArray:
    """The ``p``-quantile of the chi-squared distribution, for ``p < 1/2``.

    Parameters
    ----------
    p : float
        Probability in (0, 1/2).
    dof : array-like of positive integers
        Degrees of freedom.

    Returns
    -------
    ndarray of float64
        ``x`` with ``P(chi2_dof <= x) = p``.

    Notes
    -----
    Solved for ``log x`` by safeguarded Newton steps on the regularised
    lower incomplete gamma function ``P(k/2, x/2)`` (power series), inside
    the bracket ``[2 (p Gamma(k/2 + 1))**(2/k), k]`` (the median of a
    chi-squared variable lies below ``k``, and ``P(a, x) <= x**a / Gamma(a
    + 1)``). Accurate to about 1e-12 relative; above 20,000 degrees of
    freedom the Wilson-Hilferty approximation (relative error below 1e-7
    there) is used instead.

    Raises
    ------
    ValueError
        If ``p`` is not in (0, 1/2) or a ``dof`` is below 1.

    Examples
    --------
    >>> [round(float(x), 4) for x in chi2_lower_quantile(0.025, [1, 10, 100])]
    [0.001, 3.247, 74.2219]
    """
    if not 0 < p < 0.5:
        raise ValueError(f"p: expected a probability in (0, 1/2), got {p!r}")
    k = np.asarray(dof, dtype=np.float64)
    if k.size and (np.min(k) < 1 or not np.all(np.isfinite(k))):
        raise ValueError("dof: expected degrees of freedom >= 1")
    uniq, inv = np.unique(k, return_inverse=True)
    out = np.empty_like(uniq)
    z = _normal_quantile(p)
    big = uniq > 20_000
    kb = uniq[big]
    out[big] = kb * (1 - 2 / (9 * kb) + z * np.sqrt(2 / (9 * kb))) ** 3
    a = uniq[~big] / 2
    if a.size:
        lg1 = np.array([math.lgamma(x + 1) for x in a.tolist()])
        lo = (math.log(p) + lg1) / a  # log of a lower bound of the root
        hi = np.log(a)  # P(a, a) > 1/2 > p: the median of Gamma(a) is below a
        hi = np.maximum(hi, lo)
        y = 0.5 * (lo + hi)
        for _ in range(200):
            x = np.exp(y)
            f = _lower_gamma_series(a, x, lg1 - np.log(a)) - p
            lo = np.where(f < 0, y, lo)
            hi = np.where(f < 0, hi, y)
            # d P(a, e^y) / dy = x**a e**-x / Gamma(a)
            slope = np.exp(a * y - x - (lg1 - np.log(a)))
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                newton = y - f / slope
            inside = np.isfinite(newton) & (newton > lo) & (newton < hi)
            y_new = np.where(inside, newton, 0.5 * (lo + hi))
            done = np.abs(y_new - y) <= 1e-14 * np.maximum(1.0, np.abs(y))
            y = y_new
            if np.all(done):
                break
        out[~big] = 2 * np.exp(y)
    res: FloatArray = out[inv.reshape(k.shape)]
    return res


# -- the shared alternation ----------------------------------------------------


def _object_std(part: Table, local: dict[str, Any]) -> FloatArray:
    """Population standard deviation of each object's answers (cached)."""
    sd: FloatArray | None = local.get("object_std")
    if sd is None:
        v = np.asarray(part.claim_value, dtype=np.float64)[part.claim]
        cnt = np.bincount(part.object, minlength=part.n_objects)
        mean = np.bincount(part.object, weights=v, minlength=part.n_objects) / cnt
        var = np.bincount(
            part.object, weights=(v - mean[part.object]) ** 2, minlength=part.n_objects
        )
        sd = np.sqrt(var / cnt)
        local["object_std"] = sd
    return sd


def _assertion_weight(part: Table, weight: FloatArray) -> FloatArray:
    """Each assertion's source weight; an object whose weights are all 0 gets 1s."""
    w = weight[part.source]
    tot = np.bincount(part.object, weights=w, minlength=part.n_objects)
    out: FloatArray = np.where(tot[part.object] > 0, w, 1.0)
    return out


def _weighted_lower_median(part: Table, v: FloatArray, w: FloatArray) -> FloatArray:
    """Smallest answer whose cumulative weight reaches half the object's total."""
    order = np.lexsort((v, part.object))
    sv, sw, so = v[order], w[order], part.object[order]
    cnt = np.bincount(part.object, minlength=part.n_objects)
    start = np.concatenate(([0], np.cumsum(cnt)[:-1]))
    cum = np.cumsum(sw)
    offset = np.concatenate(([0.0], cum))[start]
    within = cum - offset[so]
    tot = np.bincount(part.object, weights=w, minlength=part.n_objects)
    reached = within >= 0.5 * tot[so] - 1e-9 * tot[so]
    idx = np.where(reached, np.arange(len(sv)), len(sv) - 1)
    first = np.minimum.reduceat(idx, start)
    out: FloatArray = sv[first]
    return out


def _scaled(part: Table, local: dict[str, Any], dist: FloatArray) -> FloatArray:
    """Each answer's distance divided by the spread of its object's answers
    (0 where they all agree)."""
    sd = _object_std(part, local)[part.object]
    out: FloatArray = np.divide(dist, sd, out=np.zeros_like(dist), where=sd > 0)
    return out


def _loss_stats(part: Table, state: State, loss: FloatArray) -> Stats:
    """Each source's summed loss and its number of answers."""
    n_src = state["weight"].shape[0]
    return {
        "loss": np.bincount(part.source, weights=loss, minlength=n_src),
        "count": np.bincount(part.source, minlength=n_src).astype(np.float64),
    }


@attrs.define(kw_only=True)
class _LossWeighted(IterativeModel[State]):
    kinds: ClassVar[frozenset[str]] = frozenset({"categorical", "numeric"})

    weight_: FloatArray | None = attrs.field(default=None, init=False, repr=False)

    def _loss_kind(self) -> Literal["squared", "absolute"]:
        return "squared"

    def init_state(self, table: Table) -> State:
        return {
            "weight": np.ones(table.n_sources),
            "reliability": np.ones(table.n_sources),
        }

    def _truths(
        self, part: Table, state: State, local: dict[str, Any], with_prob: bool = True
    ) -> tuple[FloatArray | None, np.ndarray[Any, Any], FloatArray]:
        """(claim probability or None, per-object value, per-assertion loss)."""
        w = _assertion_weight(part, state["weight"])
        if not part.numeric:
            score: FloatArray = np.bincount(part.claim, weights=w, minlength=part.n_claims).astype(
                np.float64, copy=False
            )
            best = _kernels.segment_argmax(score, part.object_start)
            loss = (part.claim != best[part.object]).astype(np.float64)
            if not with_prob:
                return None, part.claim_value[best], loss
            prob = _kernels.segment_normalize(score, part.object_start)
            return prob, part.claim_value[best], loss
        v = np.asarray(part.claim_value, dtype=np.float64)[part.claim]
        if self._loss_kind() == "absolute":
            est = _weighted_lower_median(part, v, w)
            dist = np.abs(v - est[part.object])
        else:
            tot = np.bincount(part.object, weights=w, minlength=part.n_objects)
            est = np.bincount(part.object, weights=w * v, minlength=part.n_objects) / tot
            dist = (v - est[part.object]) ** 2
        loss = _scaled(part, local, dist)
        if not with_prob:
            return None, est, loss
        return closeness_probability(part, est, state["weight"]), est, loss

    def partition_stats(self, part: Table, state: State, local: dict[str, Any]) -> Stats:
        _, _, loss = self._truths(part, state, local, with_prob=False)
        return _loss_stats(part, state, loss)

    def gold_stats(self, part: Table, state: State, local: dict[str, Any], gold: Gold) -> Stats:
        """The losses of the known objects' answers against their known
        values: 0-1 on labels; on numbers the distance divided by the
        spread of the object's answers, as for the others."""
        if part.numeric:
            v = np.asarray(part.claim_value, dtype=np.float64)[part.claim]
            diff = v - gold.numbers(part.n_objects)[part.object]
            dist = np.abs(diff) if self._loss_kind() == "absolute" else diff * diff
            loss = _scaled(part, local, dist)
        else:
            loss = 1.0 - gold.right_claims(part.n_claims)[part.claim]
        return _loss_stats(part, state, loss)

    def _weights(self, state: State, loss: FloatArray) -> FloatArray:
        raise NotImplementedError

    def update_state(self, state: State, stats: Stats) -> State:
        state = state.copy()
        state["count"] = stats["count"]
        w = self._weights(state, stats["loss"])
        self.weight_ = w
        top = float(np.max(w, initial=0.0))
        new = state.copy()
        new["weight"] = w
        new["reliability"] = w / top if top > 0 else np.ones_like(w)
        return new

    def claim_scores(
        self, part: Table, state: State, local: dict[str, Any]
    ) -> tuple[FloatArray, np.ndarray[Any, Any] | None]:
        prob, value, _ = self._truths(part, state, local)
        if prob is None:  # pragma: no cover - with_prob=True always computes them
            raise RuntimeError(f"{self.name}: no claim probabilities were computed")
        return prob, value if part.numeric else None


@attrs.define(kw_only=True)
class CRH(_LossWeighted):
    """CRH: conflict resolution on heterogeneous data by loss-weighted truths.

    Alternates truths (weighted vote, or weighted mean for ``loss="squared"``
    / weighted median for ``loss="absolute"``) and source weights
    ``w_s = -log((L_s + a) / sum_t (L_t + a))``, where ``L_s`` is the
    source's total loss against the current truths and ``a = smoothing``.

    Parameters
    ----------
    loss : {"squared", "absolute"}, default "squared"
        Loss on numeric values (normalised by the standard deviation of each
        object's answers); categorical values always use the 0-1 loss.
    smoothing : float > 0, default 0.5
        Pseudo-loss added to every source's total, so that a source with no
        loss (say, one correct answer) gets a large but finite weight.
    max_iter, tol, seed, progress
        See :class:`~credscore.models.IterativeModel`; ``seed`` is unused.

    Attributes
    ----------
    reliability_ : ndarray of shape (n_sources,)
        The weights divided by the largest one (truths depend only on the
        weights' ratios), in (0, 1].
    weight_ : ndarray of shape (n_sources,)
        The weights ``-log(share of the total loss)`` themselves.

    Notes
    -----
    The first truths are the unweighted vote (mean, lower median). The
    weighted median is the smallest answer at which the cumulative weight
    reaches half the object's total. For numeric tables ``value`` holds the
    estimate and ``claim_probability`` spreads mass over the candidate
    values by closeness to it (:func:`~credscore.models.voting.closeness_probability`,
    with the source weights); for categorical tables it is each value's
    share of the object's weighted vote. With a single source every weight
    is 0 and the truths are that source's values.

    References
    ----------
    Q. Li, Y. Li, J. Gao, B. Zhao, W. Fan and J. Han, "Resolving conflicts in
    heterogeneous data by truth discovery and source reliability
    estimation", Proc. ACM SIGMOD 2014, pp. 1187-1198.

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_arrays(
    ...     ["a", "b", "c", "a", "b", "c"], ["x", "x", "x", "y", "y", "y"],
    ...     [10.0, 11.0, 30.0, 5.0, 5.5, 20.0])
    >>> r = CRH(max_iter=20, tol=0).fit_score(t)
    >>> {k: round(v, 1) for k, v in r.truths().items()}
    {'x': 10.5, 'y': 5.3}
    >>> bool(r.reliability[2] < r.reliability[0])
    True
    """

    name: ClassVar[str] = "crh"
    init_reads: ClassVar[InitReads] = "labels"

    loss: Literal["squared", "absolute"] = _v.choice("squared", ("squared", "absolute"))
    smoothing: float = _v.number(0.5, low=0, open_low=True)

    def _loss_kind(self) -> Literal["squared", "absolute"]:
        return self.loss

    def _weights(self, state: State, loss: FloatArray) -> FloatArray:
        total = loss + float(self.smoothing)
        out: FloatArray = -np.log(total / np.sum(total))
        return out


register_model(CRH)


@attrs.define(kw_only=True)
class CATD(_LossWeighted):
    """CATD: confidence-aware truth discovery for long-tail data.

    Alternates truths (weighted vote, or weighted mean for numbers) and
    source weights ``w_s = chi2_{alpha/2}(N_s) / (L_s + a)``, where ``N_s``
    is the number of the source's answers, ``L_s`` its total loss against the
    current truths, ``a = smoothing`` and ``chi2_{alpha/2}(N)`` the
    ``alpha/2`` quantile of the chi-squared distribution with ``N`` degrees
    of freedom. ``L_s / chi2_{alpha/2}(N_s)`` is the upper end of a
    ``1 - alpha`` confidence interval of the source's error variance, so a
    source with few answers gets a cautious weight.

    Parameters
    ----------
    alpha : float in (0, 1), default 0.05
        Significance level of the confidence interval.
    smoothing : float > 0, default 0.5
        Pseudo-loss added to each source's total: a source with no loss gets
        a large but finite weight.
    max_iter, tol, seed, progress
        See :class:`~credscore.models.IterativeModel`; ``seed`` is unused.

    Attributes
    ----------
    reliability_ : ndarray of shape (n_sources,)
        The weights divided by the largest one, in (0, 1].
    weight_ : ndarray of shape (n_sources,)
        The weights themselves.

    Notes
    -----
    Losses are 0-1 for categorical values and, for numbers, the squared
    distance from the weighted mean divided by the standard deviation of the
    object's answers. The first truths are the unweighted vote or mean;
    probabilities are as for :class:`CRH`. The quantile comes from
    :func:`chi2_lower_quantile`.

    References
    ----------
    Q. Li, Y. Li, J. Gao, L. Su, B. Zhao, M. Demirbas, W. Fan and J. Han,
    "A confidence-aware approach for truth discovery on long-tail data",
    PVLDB 8(4):425-436, 2014 (VLDB 2015).

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([
    ...     ("w1", "q1", "a"), ("w2", "q1", "a"), ("w3", "q1", "b"),
    ...     ("w1", "q2", "b"), ("w2", "q2", "b"), ("w3", "q2", "a"),
    ... ])
    >>> r = CATD(max_iter=10, tol=0).fit_score(t)
    >>> r.truths()
    {'q1': 'a', 'q2': 'b'}
    >>> [round(x, 3) for x in r.reliability.tolist()]
    [1.0, 1.0, 0.2]
    """

    name: ClassVar[str] = "catd"

    alpha: float = _v.number(0.05, low=0, high=1, open_low=True, open_high=True)
    smoothing: float = _v.number(0.5, low=0, open_low=True)

    def _weights(self, state: State, loss: FloatArray) -> FloatArray:
        q: FloatArray | None = state.get("quantile")
        if q is None:  # first update: the answer counts were summed in the first pass
            q = chi2_lower_quantile(self.alpha / 2, np.maximum(state["count"], 1))
            state["quantile"] = q
        out: FloatArray = q / (loss + float(self.smoothing))
        return out


register_model(CATD)
