"""Wawa: majority vote weighted by each worker's agreement with the majority.

"Worker Agreement With Aggregate": a first majority vote, then each source's
weight is the share of its answers that agree with it, then a second vote
weighted by those shares. One pass, no iterations; a strong baseline on
crowd sets where many workers answer few items (Ustalov, Pavlichenko and
Tseitlin, "Learning from Crowds with Crowd-Kit", JOSS 9(96), 2024, which
names it after the aggregation of the Appen platform).
"""

from __future__ import annotations

from typing import ClassVar

import attrs
import numpy as np

from credscore.kernels import segments as _kernels
from credscore.models.base import FloatArray, FusionResult, TruthModel
from credscore.models.registry import register_model
from credscore.models.voting import Majority
from credscore.table.table import Table

__all__ = ["Wawa"]


@attrs.define(kw_only=True)
class Wawa(TruthModel):
    """Majority vote weighted by each source's agreement with the plain vote.

    A source's reliability is the share of its values that agree with the
    plain majority vote (its first-most-voted value per object); the
    probability of a candidate is its share of the reliability-weighted votes
    of its object (equal shares when every voter of the object has weight 0).

    References
    ----------
    D. Ustalov, N. Pavlichenko and B. Tseitlin, "Learning from crowds with
    Crowd-Kit", Journal of Open Source Software 9(96), 2024 (the Wawa
    aggregation, "worker agreement with aggregate").

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_arrays(
    ...     ["a", "b", "c", "a", "b", "c"], ["x", "x", "x", "y", "y", "y"],
    ...     ["1", "1", "2", "1", "1", "1"])
    >>> r = Wawa().fit_score(t)
    >>> r.truths()
    {'x': '1', 'y': '1'}
    >>> r.reliability.round(3).tolist()  # c agreed with the vote once in two
    [1.0, 1.0, 0.5]
    >>> r.claim_probability.round(3).tolist()  # x: (1 + 1) against 0.5
    [0.8, 0.2, 1.0]
    """

    name: ClassVar[str] = "wawa"

    def estimate(self, table: Table) -> FusionResult:
        plain = Majority().estimate(table)
        skill: FloatArray = np.asarray(plain.reliability, dtype=np.float64)
        w = skill[table.source]
        score = np.bincount(table.claim, weights=w, minlength=table.n_claims).astype(np.float64)
        prob = _kernels.segment_normalize(score, table.object_start)  # uniform when all 0
        # the value: the most weighted votes, the first such claim on ties
        value = table.claim_value[_kernels.segment_argmax(score, table.object_start)]
        return FusionResult(
            table=table, claim_probability=prob, value=value, reliability=skill, model=self.name
        )


register_model(Wawa)
