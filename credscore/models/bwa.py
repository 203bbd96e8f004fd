"""BWA: Bayesian weighted averaging (Li & Yu, "Truth inference at scale", WWW 2019).

Each label is its own yes/no question: every answer is a noisy reading of
whether the item has that label, a worker's readings have a precision with
a Gamma prior, and the items' values a Gaussian prior around the mean. The
fit alternates a precision-weighted average per item and a posterior mean
precision per worker, so a worker with few answers keeps a precision close
to the prior's instead of an extreme one. Each iteration is two passes over
the assertions, with no confusion matrices at all.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
import numpy as np

from credscore import _validators as _v
from credscore.kernels import segments as _kernels
from credscore.kernels.bayes import bwa_pass
from credscore.models import _bayes
from credscore.models._gold import Gold
from credscore.models.base import FloatArray, FusionResult, GoldFitModel, ProgressCallback
from credscore.models.registry import register_model
from credscore.table.table import Table

__all__ = ["BWA"]


@attrs.define(kw_only=True)
class BWA(GoldFitModel):
    """Bayesian weighted averaging of one-vs-rest label indicators.

    For each label ``k``, answer ``y_ij = 1`` if worker ``j`` gave item ``i``
    label ``k`` and 0 otherwise is modelled as ``y_ij ~ Normal(z_i, 1 / v_j)``,
    with item value ``z_i ~ Normal(mu, 1 / item_prior)`` and worker precision
    ``v_j`` with a Gamma prior of shape ``precision_prior / 2`` and rate
    ``b / 2``. The fit iterates, for every label at once::

        mu    = mean over items of z_i
        v_j   = (precision_prior + N_j) / (b + sum over j's items of (z_i - y_ij)^2)
        z_i   = (item_prior * mu + sum_j v_j y_ij) / (item_prior + sum_j v_j)

    (``v_j`` is the posterior mean of the precision given ``z``; ``z_i`` the
    posterior mean of the item given the precisions), starting from the
    share of each item's answers that give ``k``, until no ``z`` moves by
    more than ``tol``. A claim's probability is its label's ``z``, normalised
    over the labels claimed for the object.

    Parameters
    ----------
    precision_prior : float, default 15
        ``a`` above: the weight, in answers, of the prior on each worker's
        precision.
    item_prior : float, default 1
        ``lambda`` above: the weight, in answers of precision 1, of the
        prior mean on each item.
    prior_correction : bool, default True
        The prior's rate ``b`` is set from the data so that the prior mean
        precision matches the start's spread:
        ``b = a * c * sum_i W_i z_i (1 - z_i) / N`` with ``W_i`` the answers
        of item ``i``, ``N`` all answers, and ``c = 4 (1 - 1/K)`` (``c = 1``
        when ``False``), the empirical-Bayes choice of the paper.
    max_iter : int, default 500
    tol : float, default 1e-6
        0 runs exactly ``max_iter`` iterations (and does not warn).
    progress : callable, optional
        Called with a :class:`~credscore.models.Progress` after each
        iteration (``change``: the largest move of a posterior).

    Attributes
    ----------
    precision_ : ndarray of shape (n_sources, K)
        Each worker's posterior mean precision for each label's question.
    labels_ : ndarray of shape (K,)

    Notes
    -----
    A source's ``reliability`` is the mean probability of its answers'
    claims. Every label's rate ``b`` is computed once, from the start, and
    floored at ``1e-9 a`` (a label on which every item's answers agree would
    otherwise give a rate of 0).

    References
    ----------
    Y. Li and H. Yu (with B. I. P. Rubinstein and T. Cohn), "Truth inference
    at scale: a Bayesian model for adjudicating highly redundant crowd
    annotations", Proceedings of The Web Conference (WWW) 2019, pp. 1028-1038.

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([
    ...     ("w1", "q1", "a"), ("w2", "q1", "a"), ("w3", "q1", "b"),
    ...     ("w1", "q2", "b"), ("w2", "q2", "b"), ("w3", "q2", "b"),
    ...     ("w1", "q3", "a"), ("w2", "q3", "a"), ("w3", "q3", "b"),
    ... ], numeric=False)
    >>> r = BWA().fit_score(t)
    >>> r.truths()
    {'q1': 'a', 'q2': 'b', 'q3': 'a'}
    """

    name: ClassVar[str] = "bwa"
    kinds: ClassVar[frozenset[str]] = frozenset({"categorical"})

    precision_prior: float = _v.number(15.0, low=0, open_low=True)
    item_prior: float = _v.number(1.0, low=0, open_low=True)
    prior_correction: bool = _v.flag(True)
    max_iter: int = _v.integer(500, low=1)
    tol: float = _v.number(1e-6, low=0)
    progress: ProgressCallback | None = _v.callback(
        what="a callable taking a Progress, or None", repr=False, eq=False
    )

    precision_: FloatArray | None = attrs.field(default=None, init=False, repr=False)
    labels_: np.ndarray[Any, Any] | None = attrs.field(default=None, init=False, repr=False)

    def _fit(self, table: Table, gold: Gold | None) -> FusionResult:
        compiled = _bayes.fused_fit()

        def cells(k: int) -> int:
            # the largest arrays, times how many of them live at once in an iteration
            if compiled:  # the scores, and the start's squares a block at a time
                return 3 * table.n_objects * k + 2 * min(table.n_assertions, _START_BLOCK) * k
            return 3 * table.n_assertions * k

        coded = _bayes.code(table, model=self.name, cells=cells)
        k, n_s, n_o = coded.k, coded.n_sources, coded.n_objects
        src, obj, lab = coded.source, coded.object, coded.label
        n_a = src.shape[0]
        a, lam = float(self.precision_prior), float(self.item_prior)
        votes = coded.votes()
        per_item = votes.sum(axis=1)
        z = votes / per_item[:, None]
        known = _bayes.known_labels(coded, table, gold, self.name)
        rows = np.flatnonzero(known >= 0) if known is not None else None
        if rows is not None and known is not None:
            z[rows] = 0.0
            z[rows, known[rows]] = 1.0
        n_j = np.bincount(src, minlength=n_s).astype(np.float64)
        corr = 4.0 * (1.0 - 1.0 / k) if self.prior_correction else 1.0
        # floored so that a label every item agrees on cannot give 0 / 0
        b = np.maximum(a * (per_item @ (z * (1.0 - z))) / max(n_a, 1) * corr, 1e-9 * a)
        prec = np.zeros((n_s, k))
        report = _bayes.reporter(self.name, int(self.max_iter), self.progress)
        converged = False
        it = 0
        fused = compiled and n_o > 0
        if fused:
            # One compiled pass per iteration (credscore.kernels.bayes.bwa_pass).
            z = np.ascontiguousarray(z, dtype=np.float64).copy()
            ss_now: FloatArray = np.zeros((n_s, k))
            for lo in range(0, n_a, _START_BLOCK):  # no n_assertions x K array
                part = slice(lo, lo + _START_BLOCK)
                ss_now += _squared_errors(z, src[part], obj[part], lab[part], n_s)
            z_sum = z.sum(axis=0)
            bounds = np.r_[np.flatnonzero(np.r_[True, obj[1:] != obj[:-1]]), n_a].astype(np.int64)
            block_obj = np.ascontiguousarray(obj[bounds[:-1]], dtype=np.int64)
            known_c = np.full(n_o, -1, dtype=np.int64) if known is None else known.astype(np.int64)
            src_c = np.ascontiguousarray(src, dtype=np.int64)
            lab_c = np.ascontiguousarray(lab, dtype=np.int64)
        while fused and it < int(self.max_iter):
            it += 1
            mu = z_sum / n_o
            prec = (a + n_j[:, None]) / (b[None, :] + np.maximum(ss_now, 0.0))
            got = bwa_pass(
                src_c, lab_c, bounds, block_obj, known_c, prec, lam, mu, z, ss_now, z_sum
            )
            delta = float(got) if got is not None else 0.0
            if report is not None:
                report(it, delta)
            if self.tol > 0 and delta <= self.tol:
                converged = True
                break
        if not fused:
            ks = np.arange(k)[None, :]
            src_cell = (src[:, None] * k + ks).ravel()  # (source, label) of every answer and label
            obj_cell = (obj[:, None] * k + ks).ravel()
            row = obj * k + lab
        while not fused and it < int(self.max_iter):
            it += 1
            mu = z.mean(axis=0)
            ss = _squared_errors(z, src, obj, lab, n_s, src_cell)
            prec = (a + n_j[:, None]) / (b[None, :] + np.maximum(ss, 0.0))
            weight = np.bincount(obj_cell, weights=prec[src].ravel(), minlength=n_o * k)
            hit = np.bincount(row, weights=prec[src, lab], minlength=n_o * k)
            new = (lam * mu[None, :] + hit.reshape(n_o, k)) / (lam + weight.reshape(n_o, k))
            if rows is not None and known is not None:  # the known objects stay at their value
                new[rows] = 0.0
                new[rows, known[rows]] = 1.0
            delta = float(np.max(np.abs(new - z))) if n_o else 0.0
            z = new
            if report is not None:
                report(it, delta)
            if self.tol > 0 and delta <= self.tol:
                converged = True
                break
        score = z[table.claim_object, coded.claim_label]
        prob = _kernels.segment_normalize(score, table.object_start)
        self.precision_ = prec
        self.labels_ = coded.labels
        return _bayes.finish(self, table, coded, prob, it, converged)


register_model(BWA)


#: Assertions per block when the compiled fit computes its start's squared errors.
_START_BLOCK = 1 << 20


def _squared_errors(
    z: FloatArray, src: Any, obj: Any, lab: Any, n_s: int, cell: Any = None
) -> FloatArray:
    """``sum over j's answers of (z_i - y)^2`` per (source, label): ``z^2``
    everywhere, and ``(z - 1)^2 - z^2 = 1 - 2 z`` where the answer gives the
    label. ``cell``: the (source, label) of every answer and label, when
    already at hand."""
    k = z.shape[1]
    zo = z[obj]
    if cell is None:
        cell = (src[:, None] * k + np.arange(k)[None, :]).ravel()
    out = _kernels.weighted_count(cell, (zo * zo).ravel(), n_s * k)
    out += _kernels.weighted_count(
        src * k + lab, 1.0 - 2.0 * zo[np.arange(zo.shape[0]), lab], n_s * k
    )
    res: FloatArray = out.reshape(n_s, k)
    return res
