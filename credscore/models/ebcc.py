"""EBCC: enhanced Bayesian classifier combination (Li, Rubinstein & Cohn, ICML 2019).

IBCC with subtypes: the items of each true class fall into ``M`` latent
subtypes, and every worker has a confusion row per (class, subtype). Workers
who err on the same hard items therefore share a subtype's error pattern,
which is how EBCC captures correlation between workers while each keeps few
parameters; fitted by mean-field variational Bayes.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
import numpy as np

from credscore import _validators as _v
from credscore.models import _bayes
from credscore.models._gold import Gold
from credscore.models.base import (
    FloatArray,
    FusionResult,
    GoldFitModel,
    ProgressCallback,
    check_seed,
)
from credscore.models.registry import register_model
from credscore.table.table import Table

__all__ = ["EBCC"]


@attrs.define(kw_only=True)
class EBCC(GoldFitModel):
    """Enhanced Bayesian classifier combination, by mean-field variational Bayes.

    The model: item ``i`` has a true label ``t_i ~ Categorical(tau)`` and,
    given it, a subtype ``g_i ~ Categorical(pi_t)`` among ``n_subtypes``;
    worker ``j`` answers ``l`` with probability ``v_j[t, g, l]``. Priors:
    ``tau ~ Dirichlet(class_prior)``, ``pi_k ~ Dirichlet(subtype_prior / M)``
    and ``v_j[k, m] ~ Dirichlet(beta_k)`` with ``beta_k[l] = prior_diagonal``
    if ``l == k`` else ``prior_off_diagonal``. The variational posterior
    ``q(t_i = k, g_i = m)`` is updated jointly::

        ln q(k, m) = E ln tau_k + E ln pi_k[m]
                     + sum over i's answers (j, l) of E ln v_j[k, m, l] + const

    with each ``E ln`` from the Dirichlet posteriors (digamma differences) of
    the expected counts, until no ``q(t_i = k)`` moves by more than ``tol``.
    The start: the majority-vote shares, split over subtypes at random
    (Dirichlet(1), from ``seed``), as in the authors' algorithm.

    Parameters
    ----------
    n_subtypes : int, default 10
        ``M``, the subtypes per class.
    subtype_prior : float, default 0.1
        Total concentration of the Dirichlet prior over a class's subtypes.
    class_prior : float, default 1
    prior_diagonal, prior_off_diagonal : float, default 4 and 1
        The Dirichlet prior of every confusion row, as in :class:`IBCC`.
    max_iter : int, default 500
    tol : float, default 1e-6
        0 runs exactly ``max_iter`` iterations (and does not warn).
    progress : callable, optional
        Called with a :class:`~credscore.models.Progress` after each
        iteration (``change``: the largest move of a posterior).
    seed : int, numpy.random.Generator or None, default 0
        The random split of the start over subtypes.

    Attributes
    ----------
    labels_ : ndarray of shape (K,)

    Notes
    -----
    Claim probabilities are ``q(t_i = k)`` (summed over subtypes),
    renormalised over the values claimed for each object; a source's
    ``reliability`` is the mean probability of its answers' claims. With
    ``n_subtypes=1`` EBCC is :class:`IBCC` (same updates, up to the prior on
    the single subtype, which cancels).

    Memory: ``n_sources x K x M x K`` floats for the confusion rows. With
    numba the start is drawn a block of objects at a time and
    the passes keep only each object's class posteriors, ``n_objects x K``;
    once the sparse subtype prior has emptied most subtypes they skip those
    (with a bound on what they could hold:
    :func:`credscore.kernels.bayes.vb_pass`). In numpy the fit holds
    ``n_assertions x K x M`` floats.

    References
    ----------
    Y. Li, B. I. P. Rubinstein and T. Cohn, "Exploiting worker correlation
    for label aggregation in crowdsourcing", Proceedings of ICML 2019,
    PMLR 97:3886-3895.

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([
    ...     ("w1", "q1", "a"), ("w2", "q1", "a"), ("w3", "q1", "b"),
    ...     ("w1", "q2", "b"), ("w2", "q2", "b"), ("w3", "q2", "b"),
    ...     ("w1", "q3", "a"), ("w2", "q3", "a"), ("w3", "q3", "b"),
    ... ], numeric=False)
    >>> r = EBCC(n_subtypes=2).fit_score(t)
    >>> r.truths()
    {'q1': 'a', 'q2': 'b', 'q3': 'a'}
    """

    name: ClassVar[str] = "ebcc"
    kinds: ClassVar[frozenset[str]] = frozenset({"categorical"})

    n_subtypes: int = _v.integer(10, low=1)
    subtype_prior: float = _v.number(0.1, low=0, open_low=True)
    class_prior: float = _v.number(1.0, low=0, open_low=True)
    prior_diagonal: float = _v.number(4.0, low=0, open_low=True)
    prior_off_diagonal: float = _v.number(1.0, low=0, open_low=True)
    max_iter: int = _v.integer(500, low=1)
    tol: float = _v.number(1e-6, low=0)
    progress: ProgressCallback | None = _v.callback(
        what="a callable taking a Progress, or None", repr=False, eq=False
    )
    empirical_prior: bool = _v.flag(True)
    n_restarts: int = _v.integer(1, low=1)
    seed: int | np.random.Generator | None = _v.seed(default=0)

    labels_: np.ndarray[Any, Any] | None = attrs.field(default=None, init=False, repr=False)
    elbo_: float | None = attrs.field(default=None, init=False, repr=False)

    def _fit(self, table: Table, gold: Gold | None) -> FusionResult:
        m = int(self.n_subtypes)
        compiled = _bayes.fused_fit()

        def cells(k: int) -> int:
            # the largest arrays, times how many of them live at once in an iteration
            rows = 4 * table.n_sources * k * m * k
            if compiled:  # the start, a block at a time, and the class posteriors
                block = min(table.n_objects, _bayes.START_BLOCK)
                return max(rows, 3 * block * k * m + 2 * table.n_objects * k)
            return max(rows, 2 * table.n_assertions * k * m)

        coded = _bayes.code(table, model=self.name, cells=cells)
        k = coded.k
        known = _bayes.known_labels(coded, table, gold, self.name)
        z = coded.vote_share()
        prior = z.sum(axis=0) if self.empirical_prior else np.full(k, float(self.class_prior))
        rng = check_seed(self.seed)
        best: _bayes.VBFit | None = None
        for _ in range(int(self.n_restarts)):

            def zg(lo: int, hi: int) -> FloatArray:
                # drawn block by block: the same numbers as one draw of all rows
                out: FloatArray = start_split(rng, hi - lo, k, m) * z[lo:hi, :, None]
                return out

            fit = _bayes.bcc_vb(
                coded,
                zg,
                n_subtypes=m,
                class_prior=prior,
                subtype_prior=float(self.subtype_prior),
                diagonal=float(self.prior_diagonal),
                off_diagonal=float(self.prior_off_diagonal),
                max_iter=int(self.max_iter),
                tol=float(self.tol),
                report=_bayes.reporter(self.name, int(self.max_iter), self.progress),
                known=known,
            )
            if best is None or fit.elbo > best.elbo:
                best = fit
        assert best is not None
        prob = _bayes.claim_probability(table, coded, best.log_post)
        self.labels_ = coded.labels
        self.elbo_ = best.elbo
        return _bayes.finish(self, table, coded, prob, best.n_iter, best.converged)


def start_split(
    seed: int | np.random.Generator | None, n_objects: int, k: int, m: int
) -> FloatArray:
    """The random start: each (object, class) mass split over ``m`` subtypes
    by a Dirichlet(1) draw, shape ``(n_objects, k, m)``."""
    out: FloatArray = check_seed(seed).dirichlet(np.ones(m), size=(n_objects, k))
    return out


register_model(EBCC)
