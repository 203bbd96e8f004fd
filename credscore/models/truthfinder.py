"""TruthFinder (Yin, Han & Yu, KDD 2007; TKDE 2008).

The trustworthiness :math:`t(w)` of a source is the mean confidence of the
facts (claims) it provides; the confidence of a fact is a dampened logistic
function of the summed trust scores :math:`\\tau(w) = -\\ln(1 - t(w))` of its
sources, adjusted by the other facts about the same object through an
implication :math:`\\operatorname{imp}(f' \\to f) \\in [-1, 1]`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import attrs
import numpy as np
import numpy.typing as npt

from credscore import _validators as _v
from credscore.errors import InvalidTableError
from credscore.kernels import segments as _kernels
from credscore.models._gold import Gold
from credscore.models.base import (
    BaseState,
    FloatArray,
    FusionResult,
    InitReads,
    IterativeModel,
    Stats,
)
from credscore.models.hubs import _index
from credscore.models.registry import register_model
from credscore.table.table import Table

__all__ = ["TruthFinder", "numeric_similarity"]

Similarity = Callable[[Any, Any], float]

# 1 - t(w) is kept at or above the smallest normal double, so that
# tau = -ln(1 - t) stays finite (at most about 708).
_TINY = float(np.finfo(np.float64).tiny)


class TruthFinderState(BaseState, total=False):
    """The state of TruthFinder: per-source arrays and scalars broadcast to every
    partition (:class:`~credscore.models.base.BaseState`)."""

    tau: FloatArray
    n_claims: FloatArray


State = TruthFinderState


def numeric_similarity(a: FloatArray, b: FloatArray, scale: float) -> FloatArray:
    """Similarity of numbers by relative difference:
    ``exp(-|a - b| / (scale * max(|a|, |b|)))`` (1 when both are 0).

    Examples
    --------
    >>> import numpy as np
    >>> numeric_similarity(np.array([100.0, 0.0]), np.array([110.0, 0.0]), 0.1).round(3)
    array([0.403, 1.   ])
    """
    size = np.maximum(np.abs(a), np.abs(b))
    diff = np.abs(a - b)
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        out = np.where(size > 0, np.exp(-diff / (scale * np.where(size > 0, size, 1.0))), 1.0)
    return out


def _log1p_exp(x: FloatArray) -> FloatArray:
    """ln(1 + e^x) without overflow."""
    out: FloatArray = np.logaddexp(0.0, x)
    return out


@attrs.define(kw_only=True)
class TruthFinder(IterativeModel[State]):
    """TruthFinder: trust is the mean confidence of a source's facts;
    confidence is a dampened logistic function of the sources' trust scores.

    Each iteration, from the trust :math:`t(w)` of every source
    (initially ``initial_trust``):

    .. math::

        \\tau(w) &= -\\ln(1 - t(w)), \\qquad
        \\sigma(f) = \\sum_{w \\in W(f)} \\tau(w), \\\\
        \\sigma^*(f) &= \\sigma(f) + \\rho \\sum_{o(f') = o(f),\\, f' \\ne f}
            \\sigma(f') \\operatorname{imp}(f' \\to f), \\\\
        s(f) &= \\frac{1}{1 + e^{-\\gamma \\sigma^*(f)}}, \\qquad
        t(w) = \\frac{1}{|F(w)|} \\sum_{f \\in F(w)} s(f),

    with the implication :math:`\\operatorname{imp}(f' \\to f) =
    \\operatorname{sim}(f', f) - \\text{base\\_sim}`.

    Parameters
    ----------
    initial_trust : float, default 0.9
        :math:`t_0`, the trust of every source before the first iteration.
    gamma : float, default 0.3
        Dampening factor :math:`\\gamma`: sources are not independent, so
        their summed scores are shrunk before the logistic function.
    rho : float, default 0.5
        Weight :math:`\\rho` of the influence between facts about one object.
    base_sim : float, default 0.5
        The similarity below which two facts conflict. Without a
        ``similarity``, distinct values of one object have similarity 0, so
        each rival fact counts against the other with implication
        ``-base_sim`` (mutual exclusion); ``base_sim=0`` (or ``rho=0``)
        switches the influence between facts off.
    similarity : None, "numeric" or callable, default None
        How alike two values of one object are, in [0, 1]. ``None``: equal
        or not (distinct values have similarity 0). ``"numeric"``:
        :func:`numeric_similarity` with ``similarity_scale`` (numeric values
        only). A callable ``(a, b) -> float`` is called once for every
        ordered pair of distinct values of an object, before the
        iterations (so it costs Python time per pair, not per iteration).
    similarity_scale : float, default 0.1
        Relative difference at which ``"numeric"`` similarity falls to 1/e.
    max_iter, tol, seed, progress
        See :class:`~credscore.models.IterativeModel` (``seed`` is unused).

    Attributes
    ----------
    reliability_ : ndarray
        The trustworthiness :math:`t(w)` of each source, in [0, 1] (a
        probability of being right on the paper's reading).

    Notes
    -----
    ``claim_probability`` normalises the odds :math:`s(f) / (1 - s(f)) =
    e^{\\gamma \\sigma^*(f)}` within each object (a softmax of
    :math:`\\gamma\\sigma^*`): the confidences of rival facts need not sum to
    1 (each is the probability that the fact is true taken alone), and with
    many sources they all round to 1.0, which would make every candidate
    tie; the odds keep the paper's ranking of facts without that rounding.

    Numerically, :math:`1 - s(f) = 1/(1 + e^{\\gamma\\sigma^*})` is computed
    directly through :func:`numpy.logaddexp`, so confidences close to 1
    do not round the trust to exactly 1; :math:`1 - t(w)` is kept at or
    above the smallest normal double, which bounds :math:`\\tau(w)` by 708.
    On large tables TruthFinder has no finite fixpoint: trust tends to 1 and
    :math:`\\tau` grows geometrically (past 10^17 after 100 iterations on
    the Flight, Books and Population data, computed exactly in log space);
    the bound stops that growth, and on those data sets gives the same
    truths as the exact computation.

    The paper stops when the cosine similarity of successive trust vectors
    changes by less than a threshold; here ``tol`` bounds the largest change
    of one source's trust, like every other model.

    References
    ----------
    .. [1] X. Yin, J. Han and P. S. Yu, "Truth discovery with multiple
       conflicting information providers on the web", KDD 2007; IEEE TKDE
       20(6), 2008.

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([("a", "x", "1"), ("b", "x", "1"), ("c", "x", "2"),
    ...                      ("a", "y", "5"), ("b", "y", "5"), ("c", "y", "6")])
    >>> r = TruthFinder().fit_score(t)
    >>> r.truths()
    {'x': '1', 'y': '5'}
    >>> r.reliabilities()["a"] > r.reliabilities()["c"]
    True
    """

    name: ClassVar[str] = "truthfinder"
    init_reads: ClassVar[InitReads] = "source_counts"
    kinds: ClassVar[frozenset[str]] = frozenset({"categorical", "numeric"})

    initial_trust: float = _v.number(0.9, low=0, high=1, open_low=True, open_high=True)
    gamma: float = _v.number(0.3, low=0, open_low=True)
    rho: float = _v.number(0.5, low=0)
    base_sim: float = _v.number(0.5, low=0, high=1)
    similarity: str | Similarity | None = _v.choice(
        None, (None, "numeric"), also=callable, also_text="a callable (a, b) -> [0, 1]", eq=False
    )
    similarity_scale: float = _v.number(0.1, low=0, open_low=True)

    def estimate(self, table: Table) -> FusionResult:
        if self.similarity == "numeric" and table.claim_value.dtype.kind not in "iuf":
            raise InvalidTableError(
                "value: similarity='numeric' needs numeric values; "
                "pass a callable similarity for other values"
            )
        return super().estimate(table)

    def init_state(self, table: Table) -> State:
        n_claims = np.bincount(table.source, minlength=table.n_sources).astype(np.float64)
        miss = np.full(table.n_sources, 1.0 - self.initial_trust)
        return {"reliability": 1.0 - miss, "tau": -np.log(miss), "n_claims": n_claims}

    def _pairs(
        self, part: Table, local: dict[str, Any]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray]:
        """Ordered pairs (f, f') of distinct facts of one object and imp(f' -> f)."""
        if "pairs" in local:
            cached: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray]
            cached = local["pairs"]
            return cached
        size = np.diff(part.object_start)[part.claim_object]
        target = np.repeat(np.arange(part.n_claims), size)
        block = np.repeat(np.cumsum(size) - size, size)
        other = part.object_start[part.claim_object[target]] + (np.arange(target.shape[0]) - block)
        keep = target != other
        target, other = target[keep], other[keep]
        a, b = part.claim_value[other], part.claim_value[target]
        if self.similarity == "numeric":
            sim = numeric_similarity(
                a.astype(np.float64), b.astype(np.float64), self.similarity_scale
            )
        elif callable(self.similarity):
            fn = self.similarity
            sim = np.array([float(fn(x, y)) for x, y in zip(a.tolist(), b.tolist())])
            sim = sim.reshape(-1)
            bad = ~((sim >= 0) & (sim <= 1))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"similarity: must return a number in [0, 1], got {sim[i]!r} "
                    f"for values {a[i]!r} and {b[i]!r}"
                )
        else:
            sim = np.zeros(target.shape[0])
        imp = sim - self.base_sim
        local["pairs"] = (target.astype(np.int64), other.astype(np.int64), imp)
        return local["pairs"]  # type: ignore[no-any-return]

    def _adjusted(self, part: Table, state: State, local: dict[str, Any]) -> FloatArray:
        """sigma*(f): the confidence scores adjusted by the other facts of the object."""
        tau: FloatArray = state["tau"]
        ix = _index(part, local)
        sigma = _kernels.gather_sum(ix.claim, tau, ix.source, part.n_claims)
        if self.rho == 0:
            return sigma.astype(np.float64)
        if self.similarity is None:
            # imp = -base_sim between every two distinct values of an object.
            total = np.bincount(part.claim_object, weights=sigma, minlength=part.n_objects)
            rivals = total[part.claim_object] - sigma
            out: FloatArray = sigma - self.rho * self.base_sim * rivals
            return out
        target, other, imp = self._pairs(part, local)
        extra = np.bincount(target, weights=imp * sigma[other], minlength=part.n_claims)
        out = sigma + self.rho * extra
        return out

    def partition_stats(self, part: Table, state: State, local: dict[str, Any]) -> Stats:
        z = self.gamma * self._adjusted(part, state, local)
        with np.errstate(over="ignore"):
            miss = 1.0 / (1.0 + np.exp(z))  # 1 - s(f); e^z = inf gives 0
        return self._miss_stats(part, state, local, miss)

    def gold_stats(self, part: Table, state: State, local: dict[str, Any], gold: Gold) -> Stats:
        """The known objects' facts at confidence 1 (the known value) or 0."""
        return self._miss_stats(part, state, local, 1.0 - gold.right_claims(part.n_claims))

    def _miss_stats(
        self, part: Table, state: State, local: dict[str, Any], miss: FloatArray
    ) -> Stats:
        """Each source's summed ``1 - confidence`` of its facts."""
        ix = _index(part, local)
        n_sources = state["reliability"].shape[0]
        return {"miss": _kernels.gather_sum(ix.source, miss, ix.claim, n_sources)}

    def update_state(self, state: State, stats: Stats) -> State:
        miss = np.maximum(stats["miss"] / state["n_claims"], _TINY)
        return {**state, "reliability": 1.0 - miss, "tau": -np.log(miss)}

    def claim_scores(
        self, part: Table, state: State, local: dict[str, Any]
    ) -> tuple[FloatArray, np.ndarray[Any, Any] | None]:
        z = self.gamma * self._adjusted(part, state, local)
        if part.n_objects == 0:
            return np.zeros(0), None
        # Odds s / (1 - s) = exp(z), normalised within each object.
        top = np.maximum.reduceat(z, part.object_start[:-1])
        with np.errstate(under="ignore"):
            odds = np.exp(z - top[part.claim_object])
        return _kernels.segment_normalize(odds, part.object_start), None


register_model(TruthFinder)
