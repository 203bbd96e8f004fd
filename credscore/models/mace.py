"""MACE: multi-annotator competence estimation (Hovy et al., NAACL 2013).

Each source either knows the answer, and gives it, or "spams": with
probability ``theta_j`` it ignores the item and draws a value from its own
spam distribution ``xi_j``. Learned by EM; a source's reliability is its
competence ``1 - theta_j``. The spam distribution is kept only over the
values a source actually gave (its other values share the smoothing mass),
and each object's truth is one of the values claimed for it, so the model
runs on open-ended values (books, populations) within the table's memory.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
import numpy as np

from credscore import _validators as _v
from credscore.kernels import mace as _mace_kernels
from credscore.kernels import segments as _kernels
from credscore.models import _bayes
from credscore.models._gold import Gold
from credscore.models.base import (
    FloatArray,
    FusionResult,
    GoldFitModel,
    ProgressCallback,
    warn_not_converged,
)
from credscore.models.registry import register_model
from credscore.models.voting import Majority
from credscore.table.table import Table

__all__ = ["MACE"]


@attrs.define(kw_only=True)
class MACE(GoldFitModel):
    """Multi-annotator competence estimation by EM.

    Source ``j`` answers object ``i`` correctly with probability
    ``1 - theta_j``; otherwise (spamming) it gives value ``k`` with
    probability ``xi_j(k)``, whatever the truth. So::

        P(a_ij = k | T_i = t) = (1 - theta_j) [k = t] + theta_j xi_j(k)

    With the truth uniform over each object's claimed values, the E-step gives
    each candidate's posterior, and the chance that each answer was spam; the
    M-step sets ``theta_j`` and ``xi_j`` to the expected spam shares, with
    pseudo-counts. EM starts from the majority vote.

    Parameters
    ----------
    smoothing : float, default 0.5
        Pseudo-counts: ``theta_j = (spam_j + s) / (n_j + 2 s)`` and
        ``xi_j(k) = (spam_jk + s) / (spam_j + K s)``, with ``K`` the number of
        distinct values in the table (a Beta(s, s) and a symmetric
        Dirichlet(s) prior, the priors of the paper's Bayesian variant,
        used here as MAP pseudo-counts).
    max_iter : int, default 100
    tol : float, default 1e-6
        Stop when no claim probability moves by more than ``tol``; 0 runs
        exactly ``max_iter`` iterations (and does not warn).
    progress : callable, optional
        Called with a :class:`~credscore.models.Progress` after each
        iteration (``change``: the largest move of a claim probability).

    Attributes
    ----------
    competence_ : ndarray of shape (n_sources,)
        ``1 - theta_j``, also the result's ``reliability``.

    References
    ----------
    D. Hovy, T. Berg-Kirkpatrick, A. Vaswani and E. Hovy, "Learning whom to
    trust with MACE", Proceedings of NAACL-HLT 2013, pp. 1120-1130.

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([
    ...     ("w1", "q1", "a"), ("w2", "q1", "a"), ("w3", "q1", "b"),
    ...     ("w1", "q2", "b"), ("w2", "q2", "b"), ("w3", "q2", "b"),
    ...     ("w1", "q3", "a"), ("w2", "q3", "a"), ("w3", "q3", "b"),
    ... ], numeric=False)
    >>> m = MACE().fit(t)
    >>> m.result.truths()
    {'q1': 'a', 'q2': 'b', 'q3': 'a'}
    >>> bool(m.competence_[0] > m.competence_[2])
    True
    """

    name: ClassVar[str] = "mace"
    kinds: ClassVar[frozenset[str]] = frozenset({"categorical"})

    smoothing: float = _v.number(0.5, low=0, open_low=True)
    max_iter: int = _v.integer(100, low=1)
    tol: float = _v.number(1e-6, low=0)
    progress: ProgressCallback | None = _v.callback(
        what="a callable taking a Progress, or None", repr=False, eq=False
    )

    competence_: FloatArray | None = attrs.field(default=None, init=False, repr=False)

    def _fit(self, table: Table, gold: Gold | None) -> FusionResult:
        s = float(self.smoothing)
        src = table.source.astype(np.int64)
        clm = table.claim.astype(np.int64)
        n_s, n_c = table.n_sources, table.n_claims
        # a (source, value) pair for each assertion: the spam distribution's support
        values, label = _kernels.factorize(table.claim_value)
        k = max(int(values.shape[0]), 1)
        pair_key = src * k + label.astype(np.int64)[clm]
        pairs, pair = np.unique(pair_key, return_inverse=True)
        pair_src = pairs // k
        n_j = np.bincount(src, minlength=n_s).astype(np.float64)
        # start: spam is disagreement with the majority vote; xi the source's own shares
        plain = Majority().estimate(table)
        start = np.zeros(n_c)
        start[_kernels.segment_argmax(plain.claim_probability, table.object_start)] = 1.0
        fixed = None
        if gold is not None:
            # the known objects' claims: 1 for the known value, 0 for the rest (all 0
            # when no source gave it: every answer there was spam)
            fixed = gold.object_mask(table.n_objects)[table.claim_object]
            known_value = gold.right_claims(n_c)
            start = np.where(fixed, known_value, start)
        theta, xi = _m_step(1.0 - start[clm], src, pair, pair_src, n_j, n_s, k, s)
        prob = (
            plain.claim_probability
            if fixed is None
            else np.where(fixed, known_value, plain.claim_probability)
        )
        converged = False
        it = 0
        report = _bayes.reporter(self.name, int(self.max_iter), self.progress)
        # The compiled pass (credscore.kernels.mace) without known values:
        # each object's posteriors and the next spam counts in one loop.
        compiled = fixed is None and _mace_kernels.loops() is not None
        if compiled:
            claim_start = np.zeros(n_c + 1, dtype=np.int64)
            np.cumsum(np.bincount(clm, minlength=n_c), out=claim_start[1:])
            pair_c = np.ascontiguousarray(pair, dtype=np.int64)
            obj_start = np.ascontiguousarray(table.object_start, dtype=np.int64)
        while it < int(self.max_iter):
            it += 1
            # each answer's likelihood if spam, and if the truth is its value:
            # the same for every answer of a (source, value) pair
            spam_p = theta[pair_src] * xi
            comp_p = 1.0 - theta[pair_src]
            if compiled:
                got = _mace_kernels.mace_pass(
                    1.0 + comp_p / spam_p,
                    spam_p / (comp_p + spam_p),
                    pair_c,
                    src,
                    claim_start,
                    obj_start,
                    prob,
                    n_s,
                )
                assert got is not None
                new, spam_j, spam_jk, delta = got
                theta, xi = _from_spam(spam_j, spam_jk, pair_src, n_j, k, s)
            else:
                new = _posterior(np.log1p(comp_p / spam_p)[pair], clm, n_c, table.object_start)
                if fixed is not None:
                    new = np.where(fixed, known_value, new)
                # expected spam indicator of every answer: certain spam unless
                # its value is the truth, and then the spam share of its likelihood
                spam_if_true = (spam_p / (comp_p + spam_p))[pair]
                q = new[clm]
                theta, xi = _m_step(
                    q * spam_if_true + (1.0 - q), src, pair, pair_src, n_j, n_s, k, s
                )
                delta = float(np.max(np.abs(new - prob))) if n_c else 0.0
            prob = new
            if report is not None:
                report(it, delta)
            if self.tol > 0 and delta <= self.tol:
                converged = True
                break
        if not converged and self.tol > 0:
            warn_not_converged(self.name, self.max_iter, self.tol)
        if gold is not None and (gold.claims < 0).any():
            # a known value nobody gave: the result can only spread over the claims
            unclaimed = np.zeros(table.n_objects, dtype=bool)
            unclaimed[gold.objects[gold.claims < 0]] = True
            per_claim = unclaimed[table.claim_object]
            size = np.diff(table.object_start)[table.claim_object]
            prob = np.where(per_claim, 1.0 / size, prob)
        self.competence_ = 1.0 - theta
        best = _kernels.segment_argmax(prob, table.object_start)
        return FusionResult(
            table=table,
            claim_probability=prob,
            value=table.claim_value[best],
            reliability=self.competence_,
            model=self.name,
            n_iter=it,
            converged=converged,
        )


def _m_step(
    spam: FloatArray,
    src: Any,
    pair: Any,
    pair_src: Any,
    n_j: FloatArray,
    n_s: int,
    k: int,
    s: float,
) -> tuple[FloatArray, FloatArray]:
    """``theta`` per source and ``xi`` per (source, value) pair from the
    expected spam indicator of every answer."""
    spam_j = np.bincount(src, weights=spam, minlength=n_s)
    spam_jk = np.bincount(pair, weights=spam, minlength=pair_src.shape[0])
    return _from_spam(spam_j, spam_jk, pair_src, n_j, k, s)


def _from_spam(
    spam_j: Any, spam_jk: Any, pair_src: Any, n_j: FloatArray, k: int, s: float
) -> tuple[FloatArray, FloatArray]:
    """``theta`` and ``xi`` from the expected spam per source and per pair."""
    theta: FloatArray = (spam_j + s) / (n_j + 2.0 * s)
    xi: FloatArray = (spam_jk + s) / (spam_j[pair_src] + k * s)
    return theta, xi


def _posterior(gain: FloatArray, clm: Any, n_c: int, object_start: Any) -> FloatArray:
    """Each claim's posterior, the truth uniform over its object's claims:
    log P(t) = sum over the object's answers of log(theta xi), plus, for the
    answers that give t, ``gain = log((1 - theta + theta xi) / (theta xi))``."""
    score = np.bincount(clm, weights=gain, minlength=n_c).astype(np.float64)
    # the all-spam term is the same for every claim of an object: it cancels
    return _kernels.segment_softmax(score, object_start)


register_model(MACE)
