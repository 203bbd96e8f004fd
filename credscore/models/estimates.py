"""2-Estimates and 3-Estimates (Galland, Abiteboul, Marian & Senellart, WSDM 2010).

Views (sources) state facts; a fact is a claim ``(object, value)``. The values
of one object are mutually exclusive, so a source that gives value ``v`` for
an object votes *for* the fact ``(object, v)`` and *against* every other value
of that object that some source gives. Every fact thus has a set of voters
:math:`V(f)` (all sources speaking about its object) and every source a set
of facts it votes on :math:`F(v)` (all candidate values of its objects).

Normalisation
-------------
Without it both fixpoints collapse to trivial solutions, so after each step
the paper rescales every set of estimates (truth values, error rates) to
cover [0, 1]. As in the paper (and DAFNA's implementation of it), the
normalised value is a mix of an affine stretch and a rounding,

.. math::

    x \\mapsto \\lambda \\frac{x - \\min x}{\\max x - \\min x}
        + (1 - \\lambda) \\operatorname{round}(x),

with ``normalization_weight`` :math:`\\lambda`, where ``round`` maps a value
to 1 when it is at least 1/2 (to within 1e-9, so that exact ties are not
decided by rounding errors) and to 0 otherwise, and where the stretch is left
out (the identity is used) when all values are equal to within 1e-9. For the
same reason a stretched value within 1e-9 of 0 or 1 is taken as 0 or 1: two
facts with the same votes then get the same truth value whatever the order in
which their votes were added up.

``claim_probability`` is the normalised truth value :math:`T(f)` of each
fact, divided by the sum over its object's facts (uniform where they are all
0). ``reliability`` is :math:`1 - \\varepsilon(v)`, one minus the normalised
error rate of the source, in [0, 1].

References
----------
.. [1] A. Galland, S. Abiteboul, A. Marian and P. Senellart, "Corroborating
   information from disagreeing views", WSDM 2010.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

import attrs
import numpy as np

from credscore import _validators as _v
from credscore.kernels import segments as _kernels
from credscore.models.base import BaseState, FloatArray, IterativeModel, Stats
from credscore.models.hubs import _index
from credscore.models.registry import register_model
from credscore.table.table import Table

__all__ = ["ThreeEstimates", "TwoEstimates"]

_HALF = 0.5 - 1e-9  # values at or above round to 1
_FLAT = 1e-9  # relative spread below which a set counts as constant
_ZERO = 1e-12  # error rates at or below carry no information in 3-Estimates' divisions


class EstimatesState(BaseState, total=False):
    """The state of 2-Estimates and 3-Estimates: per-source arrays and scalars broadcast to every
    partition (:class:`~credscore.models.base.BaseState`)."""

    n_claims: FloatArray
    error: FloatArray
    prev_error: FloatArray
    facts: FloatArray
    t_lo: float
    t_hi: float
    f_lo: float
    f_hi: float


State = EstimatesState


def _round01(x: FloatArray) -> FloatArray:
    return (x >= _HALF).astype(np.float64)


def _is_flat(lo: float, hi: float) -> bool:
    return not (hi - lo > _FLAT * max(1.0, abs(lo), abs(hi)))


def _normalize(x: FloatArray, lo: float, hi: float, weight: float) -> FloatArray:
    """weight * (x - lo) / (hi - lo) + (1 - weight) * round(x), clipped to [0, 1]."""
    if _is_flat(lo, hi):
        stretched = x
    else:
        # Within 1e-9 of an extreme counts as the extreme, so that values tied
        # in exact arithmetic are not ordered by rounding errors.
        stretched = (x - lo) / (hi - lo)
        stretched = np.where(stretched <= _FLAT, 0.0, stretched)
        stretched = np.where(stretched >= 1.0 - _FLAT, 1.0, stretched)
    out: FloatArray = np.clip(weight * stretched + (1.0 - weight) * _round01(x), 0.0, 1.0)
    return out


@attrs.define(kw_only=True)
class _Estimates(IterativeModel[State]):
    kinds: ClassVar[frozenset[str]] = frozenset({"categorical", "numeric"})
    stat_reductions: ClassVar[dict[str, Literal["sum", "max", "min"]]] = {
        "t_lo": "min",
        "t_hi": "max",
        "f_lo": "min",
        "f_hi": "max",
    }

    normalization_weight: float = _v.number(0.5, low=0, high=1)
    initial_error: float = _v.number(0.2, low=0, high=1)

    def claim_scores(
        self, part: Table, state: State, local: dict[str, Any]
    ) -> tuple[FloatArray, np.ndarray[Any, Any] | None]:
        truth = self._final_truth(part, state, local)
        return _kernels.segment_normalize(truth, part.object_start), None

    def _final_truth(self, part: Table, state: State, local: dict[str, Any]) -> FloatArray:
        raise NotImplementedError


def _counts(part: Table, local: dict[str, Any]) -> tuple[FloatArray, FloatArray]:
    """Cached per partition: sources asserting each claim, and voters on each object."""
    cached: tuple[FloatArray, FloatArray] | None = local.get("counts")
    if cached is None:
        votes = np.bincount(part.claim, minlength=part.n_claims).astype(np.float64)
        voters = np.bincount(part.claim_object, weights=votes, minlength=part.n_objects)
        cached = (votes, voters.astype(np.float64))
        local["counts"] = cached
    return cached


def _raw_truth(part: Table, error: FloatArray, local: dict[str, Any]) -> FloatArray:
    """2-Estimates' T(f): mean over the voters of f's object of 1 - eps(v)
    (votes for f) or eps(v) (votes for a rival value)."""
    ix = _index(part, local)
    votes, voters = _counts(part, local)
    own = _kernels.gather_sum(ix.claim, error, ix.source, part.n_claims)
    per_object = np.bincount(part.claim_object, weights=own, minlength=part.n_objects)
    co = part.claim_object
    out: FloatArray = (votes - 2.0 * own + per_object[co]) / voters[co]
    return out


@attrs.define(kw_only=True)
class TwoEstimates(_Estimates):
    """2-Estimates: a truth value per fact and an error rate per source,
    each the mean of what the other implies, normalised after every step.

    .. math::

        T(f) &= \\frac{1}{|V(f)|} \\Big( \\sum_{v \\in V(f),\\, v \\models f}
            (1 - \\varepsilon(v)) + \\sum_{v \\in V(f),\\, v \\models \\neg f}
            \\varepsilon(v) \\Big), \\\\
        \\varepsilon(v) &= \\frac{1}{|F(v)|} \\Big( \\sum_{f \\in F(v),\\,
            v \\models f} (1 - T(f)) + \\sum_{f \\in F(v),\\, v \\models \\neg f}
            T(f) \\Big),

    where a source votes :math:`\\neg f` for every value of its object other
    than the one it gives. One iteration computes :math:`T` from
    :math:`\\varepsilon`, normalises it, computes :math:`\\varepsilon` from
    :math:`T` and normalises it (module notes).

    Parameters
    ----------
    normalization_weight : float, default 0.5
        :math:`\\lambda`, the weight of the affine stretch against rounding
        in the normalisation (1: stretch only; 0: round only).
    initial_error : float, default 0.2
        :math:`\\varepsilon(v)` of every source before the first iteration.
    max_iter, tol, seed, progress
        See :class:`~credscore.models.IterativeModel` (``seed`` is unused).

    Attributes
    ----------
    reliability_ : ndarray
        :math:`1 - \\varepsilon(v)`, in [0, 1].

    Notes
    -----
    The truth values are stretched with the extremes of the *current*
    iteration, as in the paper, in a single map-reduce pass: every term of
    :math:`\\varepsilon(v)` is affine in the stretched truth values, so each
    partition returns per-source sums of the raw values together with their
    minimum and maximum, and ``update_state`` applies the stretch to the sums.

    References
    ----------
    .. [1] A. Galland, S. Abiteboul, A. Marian and P. Senellart,
       "Corroborating information from disagreeing views", WSDM 2010.

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([("a", "x", "1"), ("b", "x", "1"), ("c", "x", "2"),
    ...                      ("a", "y", "5"), ("b", "y", "5"), ("c", "y", "6")])
    >>> r = TwoEstimates().fit_score(t)
    >>> r.truths()
    {'x': '1', 'y': '5'}
    >>> r.reliabilities()["a"] > r.reliabilities()["c"]
    True
    """

    name: ClassVar[str] = "two-estimates"

    def init_state(self, table: Table) -> State:
        error = np.full(table.n_sources, float(self.initial_error))
        n_claims = np.bincount(table.source, minlength=table.n_sources).astype(np.float64)
        return {
            "n_claims": n_claims,
            "error": error,
            "reliability": 1.0 - error,
            "prev_error": error,
            "t_lo": 0.0,
            "t_hi": 1.0,
        }

    def partition_stats(self, part: Table, state: State, local: dict[str, Any]) -> Stats:
        truth = _raw_truth(part, state["error"], local)
        rounded = _round01(truth)
        t_sum = _kernels.weighted_count(part.claim_object, truth, part.n_objects)
        r_sum = _kernels.weighted_count(part.claim_object, rounded, part.n_objects)
        # Source v's error terms on object o: 1 - T'(f_v) + sum of T'(g) over the
        # rival values g = (sum of T' over o) - 2 T'(f_v) + 1: affine in T'.
        ix = _index(part, local)
        c, o = ix.claim, ix.object
        n_sources = state["error"].shape[0]
        src = ix.source
        gather = _kernels.gather_sum  # bincount(i, x[g]), compiled with numba
        stats = {
            "lin": gather(src, t_sum, o, n_sources) - 2.0 * gather(src, truth, c, n_sources),
            "rnd": gather(src, r_sum, o, n_sources) - 2.0 * gather(src, rounded, c, n_sources),
            "t_lo": float(np.min(truth, initial=np.inf)),
            "t_hi": float(np.max(truth, initial=-np.inf)),
        }
        if "facts" not in state:
            # First pass: F(v), the number of facts each source votes on (all
            # the values of its objects), summed like any other statistic.
            k = np.diff(part.object_start).astype(np.float64)
            stats["facts"] = _kernels.gather_sum(ix.source, k, o, n_sources)
        return stats

    def update_state(self, state: State, stats: Stats) -> State:
        lo, hi = float(stats["t_lo"]), float(stats["t_hi"])
        lam = self.normalization_weight
        n = state["n_claims"]
        facts = state["facts"] if "facts" in state else stats["facts"]
        if _is_flat(lo, hi):
            scale, shift = lam, 0.0
        else:
            scale, shift = lam / (hi - lo), lo
        # sum over a source's objects of (2 - k_o) * shift, with 2n - F = sum (2 - k_o).
        lin = stats["lin"] + shift * (2.0 * n - facts)
        raw = (n + scale * lin + (1.0 - lam) * stats["rnd"]) / facts
        error = _normalize(raw, float(np.min(raw)), float(np.max(raw)), lam)
        return {
            **state,
            "facts": facts,
            "error": error,
            "reliability": 1.0 - error,
            "prev_error": state["error"],
            "t_lo": lo,
            "t_hi": hi,
        }

    def _final_truth(self, part: Table, state: State, local: dict[str, Any]) -> FloatArray:
        # T of the last iteration: from the error rates it started from,
        # stretched with the extremes it found.
        raw = _raw_truth(part, state["prev_error"], local)
        return _normalize(raw, state["t_lo"], state["t_hi"], self.normalization_weight)


@attrs.define(kw_only=True)
class ThreeEstimates(_Estimates):
    """3-Estimates: 2-Estimates with a difficulty :math:`\\varepsilon(f)` per
    fact, the probability that source :math:`v` errs on :math:`f` being
    :math:`\\varepsilon(v)\\,\\varepsilon(f)`.

    .. math::

        T(f) &= \\operatorname{mean}_{v \\in V(f)} \\big[\\, v \\models f:
            1 - \\varepsilon(f)\\varepsilon(v);\\ v \\models \\neg f:
            \\varepsilon(f)\\varepsilon(v) \\,\\big], \\\\
        \\varepsilon(f) &= \\operatorname{mean}_{v \\in V(f)} \\big[\\,
            v \\models f: \\tfrac{1 - T(f)}{\\varepsilon(v)};\\
            v \\models \\neg f: \\tfrac{T(f)}{\\varepsilon(v)} \\,\\big], \\\\
        \\varepsilon(v) &= \\operatorname{mean}_{f \\in F(v)} \\big[\\,
            v \\models f: \\tfrac{1 - T(f)}{\\varepsilon(f)};\\
            v \\models \\neg f: \\tfrac{T(f)}{\\varepsilon(f)} \\,\\big],

    computed in this order, each set normalised (module notes) and clipped
    to [0, 1] before the next is computed.

    Parameters
    ----------
    normalization_weight : float, default 0.5
        :math:`\\lambda` of the normalisation.
    initial_error : float, default 0.2
        :math:`\\varepsilon(v)` of every source before the first iteration.
    initial_difficulty : float, default 0.5
        :math:`\\varepsilon(f)` of every fact before the first iteration.
    max_iter, tol, seed, progress
        See :class:`~credscore.models.IterativeModel` (``seed`` is unused).

    Attributes
    ----------
    reliability_ : ndarray
        :math:`1 - \\varepsilon(v)`, in [0, 1].

    Notes
    -----
    *Normalisation with the previous extremes.* :math:`\\varepsilon(f)`
    depends on the normalised :math:`T` and :math:`\\varepsilon(v)` on the
    normalised :math:`\\varepsilon(f)`, and the extremes of a set over all
    facts are only known after a pass over the whole table. To keep one
    map-reduce pass per iteration, :math:`T` and :math:`\\varepsilon(f)` are
    stretched with the minimum and maximum of their raw values found in the
    *previous* iteration (the identity in the first) and clipped to [0, 1];
    :math:`\\varepsilon(v)` is normalised exactly. A fixpoint of this
    iteration is a fixpoint of the paper's, since there the extremes no
    longer change.

    *Zero error rates.* A source with :math:`\\varepsilon(v) \\le 10^{-12}`
    never errs, so its votes say nothing about a fact's difficulty and are
    left out of the mean for :math:`\\varepsilon(f)`; likewise facts with
    :math:`\\varepsilon(f) \\le 10^{-12}` are left out of the mean for
    :math:`\\varepsilon(v)`. An estimate with nothing left to average keeps
    its previous value.

    *Convergence.* On real tables (Books, Population, Flight, D_Product)
    this iteration keeps cycling instead of converging -- with the paper's
    normalisation applied exactly as well -- so the truths found depend on
    ``max_iter``; 2-Estimates converges in 8 to 13 iterations there.

    References
    ----------
    .. [1] A. Galland, S. Abiteboul, A. Marian and P. Senellart,
       "Corroborating information from disagreeing views", WSDM 2010.

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([("a", "x", "1"), ("b", "x", "1"), ("c", "x", "2"),
    ...                      ("a", "y", "5"), ("b", "y", "5"), ("c", "y", "6")])
    >>> ThreeEstimates().fit_score(t).truths()
    {'x': '1', 'y': '5'}
    """

    name: ClassVar[str] = "three-estimates"

    initial_difficulty: float = _v.number(0.5, low=0, high=1)

    def init_state(self, table: Table) -> State:
        error = np.full(table.n_sources, float(self.initial_error))
        return {
            "error": error,
            "reliability": 1.0 - error,
            "t_lo": 0.0,
            "t_hi": 1.0,
            "f_lo": 0.0,
            "f_hi": 1.0,
        }

    def partition_stats(self, part: Table, state: State, local: dict[str, Any]) -> Stats:
        lam = self.normalization_weight
        error: FloatArray = state["error"]
        ix = _index(part, local)
        co, c, o, src = part.claim_object, ix.claim, ix.object, ix.source
        nc, no = part.n_claims, part.n_objects
        hard: FloatArray = local.get("difficulty", np.full(nc, float(self.initial_difficulty)))

        # T(f) from eps(f) and eps(v).
        votes, voters = _counts(part, local)
        # (gather_sum(i, x, g, n) is bincount(i, x[g]), one compiled pass with numba)
        own = _kernels.gather_sum(c, error, src, nc)
        per_object = np.bincount(co, weights=own, minlength=no)
        raw_t = (votes - hard * own + hard * (per_object[co] - own)) / voters[co]
        truth = _normalize(raw_t, state["t_lo"], state["t_hi"], lam)

        # eps(f) from T and the informative voters' eps(v).
        informative = error > _ZERO
        inv = np.where(informative, 1.0 / np.where(informative, error, 1.0), 0.0)
        z = _kernels.gather_sum(c, inv, src, nc)
        z_obj = np.bincount(co, weights=z, minlength=no)
        nz = _kernels.gather_sum(c, informative.astype(np.float64), src, nc)
        nz_obj = np.bincount(co, weights=nz, minlength=no)[co]
        has = nz_obj > 0
        raw_f = ((1.0 - truth) * z + truth * (z_obj[co] - z)) / np.where(has, nz_obj, 1.0)
        hard = np.where(has, _normalize(raw_f, state["f_lo"], state["f_hi"], lam), hard)
        local["difficulty"] = hard
        local["truth"] = truth

        # eps(v) terms from T and the informative facts' eps(f).
        easy = hard <= _ZERO
        safe = np.where(easy, 1.0, hard)
        w = np.where(easy, 0.0, truth / safe)
        miss = np.where(easy, 0.0, (1.0 - truth) / safe)
        w_obj = _kernels.weighted_count(co, w, no)
        g_obj = _kernels.weighted_count(co, (~easy).astype(np.float64), no)
        n_sources = error.shape[0]
        return {
            "num": _kernels.gather_sum(src, miss - w, c, n_sources)
            + _kernels.gather_sum(src, w_obj, o, n_sources),
            "den": _kernels.gather_sum(src, g_obj, o, n_sources),
            "t_lo": float(np.min(raw_t, initial=np.inf)),
            "t_hi": float(np.max(raw_t, initial=-np.inf)),
            "f_lo": float(np.min(raw_f[has], initial=np.inf)),
            "f_hi": float(np.max(raw_f[has], initial=-np.inf)),
        }

    def update_state(self, state: State, stats: Stats) -> State:
        num, den = stats["num"], stats["den"]
        has = den > 0
        error = state["error"]
        if has.any():
            raw = num / np.where(has, den, 1.0)
            lo, hi = float(np.min(raw[has])), float(np.max(raw[has]))
            error = np.where(has, _normalize(raw, lo, hi, self.normalization_weight), error)
        new = state.copy()
        new["error"], new["reliability"] = error, 1.0 - error
        lo, hi = float(stats["t_lo"]), float(stats["t_hi"])
        if math.isfinite(lo) and math.isfinite(hi):
            new["t_lo"], new["t_hi"] = lo, hi
        lo, hi = float(stats["f_lo"]), float(stats["f_hi"])
        if math.isfinite(lo) and math.isfinite(hi):
            new["f_lo"], new["f_hi"] = lo, hi
        return new

    def _final_truth(self, part: Table, state: State, local: dict[str, Any]) -> FloatArray:
        truth: FloatArray = local["truth"]
        return truth


register_model(TwoEstimates)
register_model(ThreeEstimates)
