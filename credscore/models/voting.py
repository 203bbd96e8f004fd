"""Voting baselines: majority vote for categorical values, mean and median for numbers."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
import numpy as np

from credscore.models._base import FloatArray, FusionResult, TruthModel, _segment_argmax
from credscore.models._registry import register_model
from credscore.table import Table

__all__ = ["Majority"]


@attrs.define(kw_only=True)
class Majority(TruthModel):
    """Majority vote: each object's value is the one most sources give.

    The probability of a candidate is its share of the object's votes; a
    source's reliability is the share of its values that agree with the vote.

    Examples
    --------
    >>> from credscore.table import Table
    >>> t = Table.from_arrays(["s1", "s2", "s3"], ["x", "x", "x"], ["a", "a", "b"])
    >>> r = Majority().fit_score(t)
    >>> r.truths(), r.claim_probability.round(3).tolist()
    ({'x': 'a'}, [0.667, 0.333])
    """

    name: ClassVar[str] = "majority"

    def _fit(self, table: Table) -> FusionResult:
        votes = np.bincount(table.claim, minlength=table.n_claims).astype(np.float64)
        per_obj = np.bincount(table.claim_object, weights=votes, minlength=table.n_objects)
        prob: FloatArray = votes / per_obj[table.claim_object]
        best = _segment_argmax(prob, table.object_start)
        is_best = np.zeros(table.n_claims, dtype=bool)
        is_best[best] = True
        agree = np.bincount(
            table.source, weights=is_best[table.claim].astype(np.float64), minlength=table.n_sources
        )
        total = np.bincount(table.source, minlength=table.n_sources)
        value: np.ndarray[Any, Any] = table.claim_value[best]
        return FusionResult(
            table=table,
            claim_probability=prob,
            value=value,
            reliability=agree / total,
            model=self.name,
        )


register_model(Majority)
