"""The evidence of one scoring run of the corroboration model, as arrays.

One entry per (report, claim it bears on): who spoke, where the source sits
in the pooling tree, the log-likelihood ratio after interest, and the inputs
it came from. :mod:`credscore.case.score` makes it; :mod:`credscore.case.explain`
reads it to say what each report did.
"""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt

from credscore.case.compile import CompiledCase
from credscore.case.pooling import PoolPlan, Tree
from credscore.semantics import llr

__all__ = ["Evidence"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@attrs.define(frozen=True, eq=False)
class Evidence:
    """The evidence of one scoring run: one entry per (report, claim it bears on).

    Everything :class:`~credscore.case.result.Scores` needs to explain a number.
    """

    compiled: CompiledCase
    tree: Tree
    plan: PoolPlan
    #: per kept report (after ``as_of``, supersession and retractions)
    kept: IntArray
    absorbed: BoolArray  # kept report that cites a source who reported itself
    origin: IntArray  # source the kept report's information comes from
    #: per entry
    claim: IntArray
    report: IntArray
    speaker: IntArray
    position: IntArray
    ell: FloatArray
    interested: BoolArray
    implied: BoolArray
    source_reliability: FloatArray
    sign: FloatArray
    rho: FloatArray
    unknown: BoolArray
    weight: FloatArray
    a: FloatArray
    lam: FloatArray
    propensity: float

    def neutral_ell(self, k: int) -> float:
        """Entry k's LLR as if its source had no interest in the claim."""
        return float(self.neutral_ells(np.array([k], dtype=np.int64))[0])

    def neutral_ells(self, entries: IntArray) -> FloatArray:
        """The LLRs of these entries as if their sources had no interest in
        the claims (what interest changed, for explanations)."""
        ell = llr(self.rho[entries], self.propensity, weight=self.weight[entries])
        out: FloatArray = self.sign[entries] * ell
        return out
