"""IBCC: independent Bayesian classifier combination, by variational Bayes.

Dawid and Skene's model with priors on everything: each worker's confusion
rows are Dirichlet, the class proportions too, and instead of point
estimates the fit keeps their posteriors (mean-field variational Bayes).
A worker who answered three items keeps a confusion matrix close to its
prior instead of a perfect or hopeless one, which is where Dawid-Skene
overfits sparse crowds.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
import numpy as np

from credscore import _validators as _v
from credscore.models import _bayes
from credscore.models._gold import Gold
from credscore.models.base import FloatArray, FusionResult, GoldFitModel, ProgressCallback
from credscore.models.registry import register_model
from credscore.table.table import Table

__all__ = ["IBCC"]


@attrs.define(kw_only=True)
class IBCC(GoldFitModel):
    """Independent Bayesian classifier combination (mean-field variational Bayes).

    The model: item ``i`` has true label ``t_i ~ Categorical(tau)``, with
    ``tau ~ Dirichlet(class_prior)``; worker ``j`` answers ``l`` with
    probability ``v_j[t_i, l]``, each row ``v_j[k] ~ Dirichlet(beta_k)`` with
    ``beta_k[l] = prior_diagonal`` if ``l == k`` and ``prior_off_diagonal``
    otherwise. The fit alternates (Kim & Ghahramani 2012, section 3)::

        N_j[k, l]   = sum over j's answers l of q(t_i = k)
        E ln v_j[k, l] = psi(beta_k[l] + N_j[k, l]) - psi(sum_l' (beta_k[l'] + N_j[k, l']))
        E ln tau_k  = psi(class_prior + sum_i q(t_i = k)) - psi(...)
        ln q(t_i = k) = E ln tau_k + sum over i's answers (j, l) of E ln v_j[k, l] + const

    starting from the majority-vote shares, until no ``q(t_i = k)`` moves by
    more than ``tol``.

    Parameters
    ----------
    prior_diagonal, prior_off_diagonal : float, default 4 and 1
        The Dirichlet prior of each confusion row: a worker is believed
        right with probability ``4 / (4 + (K - 1))`` before any answer, with
        the weight of ``4 + K - 1`` answers (the defaults of Li, Rubinstein
        and Cohn 2019).
    class_prior : float, default 1
        Symmetric Dirichlet prior of the class proportions.
    max_iter : int, default 500
    tol : float, default 1e-6
        0 runs exactly ``max_iter`` iterations (and does not warn).
    progress : callable, optional
        Called with a :class:`~credscore.models.Progress` after each
        iteration (``change``: the largest move of a posterior).

    Attributes
    ----------
    labels_ : ndarray of shape (K,)
        The label space: the sorted distinct values of the table.
    confusion_ : ndarray of shape (n_sources, K, K)
        Posterior mean confusion matrices, rows indexed by the true label.

    Notes
    -----
    A source's ``reliability`` is the mean probability of its answers' claims:
    the expected share of its answers that are right. Claim probabilities are
    the posterior over all ``K`` labels renormalised over the values claimed
    for each object, as in :class:`~credscore.models.DawidSkene`.

    References
    ----------
    H.-C. Kim and Z. Ghahramani, "Bayesian classifier combination", AISTATS
    2012, pp. 619-627.

    Y. Li, B. I. P. Rubinstein and T. Cohn, "Exploiting worker correlation
    for label aggregation in crowdsourcing", ICML 2019 (the variational
    updates and defaults used here, as their IBCC baseline).

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([
    ...     ("w1", "q1", "a"), ("w2", "q1", "a"), ("w3", "q1", "b"),
    ...     ("w1", "q2", "b"), ("w2", "q2", "b"), ("w3", "q2", "b"),
    ...     ("w1", "q3", "a"), ("w2", "q3", "a"), ("w3", "q3", "b"),
    ... ], numeric=False)
    >>> r = IBCC().fit_score(t)
    >>> r.truths()
    {'q1': 'a', 'q2': 'b', 'q3': 'a'}
    >>> bool(r.reliability[0] > r.reliability[2])
    True
    """

    name: ClassVar[str] = "ibcc"
    kinds: ClassVar[frozenset[str]] = frozenset({"categorical"})

    prior_diagonal: float = _v.number(4.0, low=0, open_low=True)
    prior_off_diagonal: float = _v.number(1.0, low=0, open_low=True)
    class_prior: float = _v.number(1.0, low=0, open_low=True)
    max_iter: int = _v.integer(500, low=1)
    tol: float = _v.number(1e-6, low=0)
    progress: ProgressCallback | None = _v.callback(
        what="a callable taking a Progress, or None", repr=False, eq=False
    )

    labels_: np.ndarray[Any, Any] | None = attrs.field(default=None, init=False, repr=False)
    confusion_: FloatArray | None = attrs.field(default=None, init=False, repr=False)

    def _fit(self, table: Table, gold: Gold | None) -> FusionResult:
        # the largest arrays, times how many of them live at once in an iteration
        coded = _bayes.code(
            table,
            model=self.name,
            cells=lambda k: max(4 * table.n_sources * k * k, 2 * table.n_assertions * k),
        )
        known = _bayes.known_labels(coded, table, gold, self.name)
        fit = _bayes.bcc_vb(
            coded,
            coded.vote_share()[:, :, None],
            class_prior=np.full(coded.k, float(self.class_prior)),
            subtype_prior=1.0,  # one subtype: its proportion is 1 whatever the prior
            diagonal=float(self.prior_diagonal),
            off_diagonal=float(self.prior_off_diagonal),
            max_iter=int(self.max_iter),
            tol=float(self.tol),
            report=_bayes.reporter(self.name, int(self.max_iter), self.progress),
            known=known,
        )
        prob = _bayes.claim_probability(table, coded, fit.log_post)
        self.labels_ = coded.labels
        mu = fit.confusion[:, :, 0, :]
        self.confusion_ = mu / mu.sum(axis=2, keepdims=True)
        return _bayes.finish(self, table, coded, prob, fit.n_iter, fit.converged)


register_model(IBCC)
