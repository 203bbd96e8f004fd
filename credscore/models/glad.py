"""GLAD: worker ability and item difficulty, learned jointly by EM."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import attrs
import numpy as np
import numpy.typing as npt

from credscore import _validators as _v
from credscore.kernels import segments as _kernels
from credscore.models._gold import Gold
from credscore.models.base import BaseState, FloatArray, InitReads, IterativeModel, Stats
from credscore.models.dawid_skene import (
    _candidate_counts,
    _claim_label,
    _labels,
    _open_domain,
    _row_softmax,
    candidate_log_joint,
    candidate_posterior,
)
from credscore.models.registry import register_model
from credscore.table.table import Table

__all__ = ["GLAD"]


class GLADState(BaseState, total=False):
    """The state of GLAD: per-source arrays and scalars broadcast to every
    partition (:class:`~credscore.models.base.BaseState`)."""

    labels: npt.NDArray[Any]
    per_object: bool
    alpha: FloatArray
    log_prior: FloatArray


State = GLADState


def _log_sigmoids(x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``ln sigmoid(x)`` and ``ln sigmoid(-x)``, sharing ``ln(1 + e^-|x|)``
    (four times faster than two ``numpy.logaddexp``, the same to 1e-15)."""
    t = np.log1p(np.exp(-np.abs(x)))
    return np.minimum(x, 0.0) - t, np.minimum(-x, 0.0) - t


def _sigmoid(x: FloatArray) -> FloatArray:
    e = np.exp(-np.abs(x))
    out: FloatArray = np.where(x >= 0, 1.0, e) / (1.0 + e)
    return out


@attrs.define(kw_only=True)
class GLAD(IterativeModel[State]):
    """GLAD: generative model of labels, abilities and difficulties.

    Worker ``j`` labels item ``i`` correctly with probability
    ``sigmoid(alpha_j * beta_i)``, where ``alpha_j`` is the worker's ability
    (negative for an adversarial worker) and ``beta_i = exp(b_i) > 0`` the
    item's inverse difficulty; a wrong answer is any of the other ``K - 1``
    labels with equal probability. EM alternates the posterior of each
    item's label with one ascent step on the expected log-likelihood plus
    Gaussian priors ``alpha ~ N(alpha_mean, 1/prior_precision)`` and
    ``b ~ N(log_beta_mean, 1/prior_precision)``.

    Parameters
    ----------
    alpha_mean : float, default 1.0
        Prior mean (and starting value) of every worker's ability.
    log_beta_mean : float, default 0.0
        Prior mean (and starting value) of every item's ``log beta``.
    prior_precision : float, default 1.0
        Precision of both Gaussian priors.
    max_step : float, default 1.0
        Largest change of an ``alpha`` or a ``b`` in one iteration.
    learn_prior : bool, default False
        Learn the label prior (smoothed by ``smoothing``); else uniform.
    smoothing : float, default 0.01
        Pseudo-count of the learned label prior.
    candidates : {'auto', 'labels', 'object'}, default 'auto'
        The label space, as for :class:`~credscore.models.OneCoin`: with
        ``'object'`` each object's candidates are its observed values (at
        least two) and a wrong answer picks each other one with probability
        ``1 / (K_o - 1)``, so open-ended values (books, population) fit in
        memory; ``'auto'`` takes ``'object'`` on more than 1,000 distinct
        values.
    max_iter, tol, seed, progress
        See :class:`~credscore.models.IterativeModel`; ``seed`` is unused.

    Attributes
    ----------
    reliability_ : ndarray of shape (n_sources,)
        ``sigmoid(alpha_j)``: the probability that the worker answers an item
        of inverse difficulty 1 correctly.
    ability_ : ndarray of shape (n_sources,)
        The abilities ``alpha_j``.
    labels_ : ndarray of shape (K,)

    Notes
    -----
    *M-step.* Whitehill et al. maximise over all ``alpha`` and ``b`` by
    gradient ascent in each M-step. Here each iteration takes one step
    (a generalised EM): with ``q`` the posterior probability that an answer
    is right, the expected log-likelihood of one answer is
    ``q log s(x) + (1 - q) log(1 - s(x))`` with ``x = alpha beta``, whose
    derivative in ``x`` is ``q - s(x)``. Each item first takes a Fisher
    scoring step in ``b`` (Fisher information ``sum s(1 - s) x**2``), then
    each worker a Newton step in ``alpha`` (the objective is concave in
    ``alpha``; curvature ``sum s(1 - s) beta**2``), both including their
    prior and clipped to ``max_step``.

    *Distribution.* Item difficulties ``b`` are object-level state: they
    live in the partition's ``local`` dict, and only the per-worker sums of
    the ``alpha`` gradient and curvature travel, so partitioned fits agree
    with in-memory ones.

    Label space and probabilities are as in
    :class:`~credscore.models.DawidSkene` (E-step over all labels,
    ``claim_probability`` renormalised over each object's claimed values).
    The label prior is uniform by default, as for
    :class:`~credscore.models.OneCoin`.

    References
    ----------
    J. Whitehill, P. Ruvolo, T. Wu, J. Bergsma and J. Movellan, "Whose vote
    should count more: optimal integration of labels from labelers of
    unknown expertise", Advances in Neural Information Processing Systems 22
    (NIPS 2009), pp. 2035-2043.

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([
    ...     ("w1", "q1", "y"), ("w2", "q1", "y"), ("w3", "q1", "n"),
    ...     ("w1", "q2", "n"), ("w2", "q2", "n"), ("w3", "q2", "y"),
    ...     ("w1", "q3", "y"), ("w2", "q3", "y"), ("w3", "q3", "y"),
    ... ])
    >>> m = GLAD(max_iter=30, tol=0).fit(t)
    >>> m.result.truths()
    {'q1': 'y', 'q2': 'n', 'q3': 'y'}
    >>> bool(m.ability_[0] > m.ability_[2])
    True
    """

    name: ClassVar[str] = "glad"
    init_reads: ClassVar[InitReads] = "labels"
    kinds: ClassVar[frozenset[str]] = frozenset({"categorical", "numeric"})

    alpha_mean: float = _v.number(1.0)
    log_beta_mean: float = _v.number(0.0)
    prior_precision: float = _v.number(1.0, low=0, open_low=True)
    max_step: float = _v.number(1.0, low=0, open_low=True)
    learn_prior: bool = _v.flag(False)
    smoothing: float = _v.number(0.01, low=0, open_low=True)
    candidates: Literal["auto", "labels", "object"] = _v.choice(
        "auto", ("auto", "labels", "object")
    )

    ability_: FloatArray | None = attrs.field(default=None, init=False, repr=False)
    labels_: np.ndarray[Any, Any] | None = attrs.field(default=None, init=False, repr=False)

    def init_state(self, table: Table) -> State:
        per_object = (
            _open_domain(table, confusion=False)
            if self.candidates == "auto"
            else self.candidates == "object"
        )
        labels = np.zeros(0) if per_object else _labels(table, confusion=False)
        alpha = np.full(table.n_sources, float(self.alpha_mean))
        self.labels_, self.ability_ = (None if per_object else labels), alpha
        return {
            "per_object": per_object,
            "labels": labels,
            "alpha": alpha,
            "log_prior": np.full(len(labels), -np.log(max(len(labels), 1))),
            "reliability": _sigmoid(alpha),
        }

    def _log_beta(self, part: Table, local: dict[str, Any]) -> FloatArray:
        b: FloatArray | None = local.get("log_beta")
        if b is None:
            b = np.full(part.n_objects, float(self.log_beta_mean))
            local["log_beta"] = b
        return b

    def _logits(self, part: Table, state: State, local: dict[str, Any]) -> FloatArray:
        """``alpha_j beta_i`` of every answer."""
        out: FloatArray = (
            state["alpha"][part.source] * np.exp(self._log_beta(part, local))[part.object]
        )
        return out

    def _log_joint(
        self, part: Table, state: State, local: dict[str, Any], logs: Any = None
    ) -> FloatArray:
        """``(n_objects, K)`` log of p(true label = k, the object's answers);
        ``logs``: ``_log_sigmoids`` of the answers' logits, when at hand."""
        k = len(state["labels"])
        lab = _claim_label(part, state["labels"], local)
        log_right, log_wrong = logs or _log_sigmoids(self._logits(part, state, local))
        log_wrong = log_wrong - np.log(max(k - 1, 1))
        base = np.bincount(part.object, weights=log_wrong, minlength=part.n_objects)
        bonus = np.bincount(part.claim, weights=log_right - log_wrong, minlength=part.n_claims)
        out: FloatArray = base[:, None] + state["log_prior"][None, :]
        out[part.claim_object, lab] += bonus
        return out

    def _candidate_posterior(
        self, part: Table, state: State, local: dict[str, Any], logs: Any = None
    ) -> FloatArray:
        """Per-object candidates: the posterior of each claim."""
        log_right, log_sig_neg = logs or _log_sigmoids(self._logits(part, state, local))
        log_wrong = log_sig_neg - np.log(_candidate_counts(part)[part.object] - 1.0)
        claim, unseen = candidate_log_joint(part, log_right, log_wrong)
        return candidate_posterior(part, claim, unseen)

    def partition_stats(self, part: Table, state: State, local: dict[str, Any]) -> Stats:
        x = self._logits(part, state, local)
        logs = _log_sigmoids(x)  # once, for the posterior and the step
        if state.get("per_object"):
            t = None
            q = self._candidate_posterior(part, state, local, logs)[part.claim]
        else:
            lab = _claim_label(part, state["labels"], local)
            t = _row_softmax(self._log_joint(part, state, local, logs))
            q = t[part.object, lab[part.claim]]  # posterior that each answer is right
        return self._step_stats(part, state, local, x, logs, q, t)

    def gold_stats(self, part: Table, state: State, local: dict[str, Any], gold: Gold) -> Stats:
        """:meth:`partition_stats` with each item certain of its known label:
        an answer is right exactly when it gives it."""
        x = self._logits(part, state, local)
        logs = _log_sigmoids(x)
        if state.get("per_object"):
            q = gold.right_claims(part.n_claims)[part.claim]
            return self._step_stats(part, state, local, x, logs, q, None)
        k = len(state["labels"])
        true = np.full(part.n_objects, -1, dtype=np.int64)
        true[gold.objects] = gold.labels(state["labels"], part, self.name)
        lab = _claim_label(part, state["labels"], local)
        q = (lab[part.claim] == true[part.object]).astype(np.float64)
        t = np.zeros((part.n_objects, k))
        t[np.arange(part.n_objects), true] = 1.0
        return self._step_stats(part, state, local, x, logs, q, t)

    def _step_stats(
        self,
        part: Table,
        state: State,
        local: dict[str, Any],
        x: FloatArray,
        logs: Any,
        q: FloatArray,
        t: FloatArray | None,
    ) -> Stats:
        """Each item's Fisher step in ``b`` (kept in ``local``), then the
        workers' sums for their step in ``alpha``, from the posterior ``q``
        that each answer is right (and ``t`` over the labels)."""
        b = self._log_beta(part, local)
        prec = float(self.prior_precision)
        step = float(self.max_step)

        # Fisher scoring step on each item's log beta (object-local).
        s = np.exp(logs[0])
        del logs
        grad_b: FloatArray = np.bincount(
            part.object, weights=(q - s) * x, minlength=part.n_objects
        ) - prec * (b - self.log_beta_mean)
        info_b = np.bincount(part.object, weights=s * (1 - s) * x * x, minlength=part.n_objects)
        b = b + np.clip(grad_b / (info_b + prec), -step, step)
        local["log_beta"] = b

        # Gradient and curvature in alpha at the new difficulties (summed over items).
        del x
        beta = np.exp(b)[part.object]
        s = _sigmoid(state["alpha"][part.source] * beta)
        n_src = state["alpha"].shape[0]
        return {
            "grad_alpha": np.bincount(part.source, weights=(q - s) * beta, minlength=n_src),
            "curv_alpha": np.bincount(
                part.source, weights=s * (1 - s) * beta * beta, minlength=n_src
            ),
            "label_total": np.zeros(0) if t is None else t.sum(axis=0),
        }

    def update_state(self, state: State, stats: Stats) -> State:
        prec = float(self.prior_precision)
        alpha: FloatArray = state["alpha"]
        grad = stats["grad_alpha"] - prec * (alpha - self.alpha_mean)
        alpha = alpha + np.clip(grad / (stats["curv_alpha"] + prec), -self.max_step, self.max_step)
        tot: FloatArray = stats["label_total"]
        k = tot.shape[0]
        if self.learn_prior and not state.get("per_object"):
            a = float(self.smoothing)
            log_prior = np.log(tot + a) - np.log(tot.sum() + k * a)
        else:
            log_prior = state["log_prior"]
        self.ability_ = alpha
        return {
            "per_object": state.get("per_object", False),
            "labels": state["labels"],
            "alpha": alpha,
            "log_prior": log_prior,
            "reliability": _sigmoid(alpha),
        }

    def claim_scores(
        self, part: Table, state: State, local: dict[str, Any]
    ) -> tuple[FloatArray, np.ndarray[Any, Any] | None]:
        if state.get("per_object"):
            post = self._candidate_posterior(part, state, local)
            return _kernels.segment_normalize(post, part.object_start), None
        lab = _claim_label(part, state["labels"], local)
        score = self._log_joint(part, state, local)[part.claim_object, lab]
        return _kernels.segment_softmax(score, part.object_start), None


register_model(GLAD)
