"""Dawid-Skene label aggregation: full confusion matrices and the one-coin form.

Both models learn, by expectation-maximisation, how each worker (source)
answers given the true label of an item (object), and a prior over labels.
The label space is the set of distinct values of the whole table; each
object's candidates are the values claimed for it.

One EM iteration is one pass over the assertions in object order
(:mod:`credscore.kernels.dawid_skene`): each object's posterior from its answers'
confusion rows, added at once into the expected counts of those answers.
Nothing of size ``n_assertions x K`` is kept between iterations.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
import numpy as np
import numpy.typing as npt

from credscore import _validators as _v
from credscore.errors import InvalidTableError
from credscore.kernels import dawid_skene as _ds_kernels
from credscore.kernels import segments as _kernels
from credscore.models._gold import Gold
from credscore.models.base import BaseState, FloatArray, InitReads, IterativeModel, Stats
from credscore.models.registry import register_model
from credscore.table.table import Table

__all__ = ["DawidSkene", "OneCoin"]

IntArray = npt.NDArray[np.int64]


# -- helpers shared by the crowd models (also used by credscore.models.glad) --


#: Largest dense matrix (cells of float64) the label-set models may build: 1 GB.
MAX_DENSE_CELLS = 125_000_000


class DSState(BaseState, total=False):
    """The state of Dawid-Skene and one-coin: per-source arrays and scalars broadcast to every
    partition (:class:`~credscore.models.base.BaseState`)."""

    labels: npt.NDArray[Any]
    conf: FloatArray | None
    prior: FloatArray | None
    accuracy: FloatArray | None


State = DSState


def _labels(table: Table, *, confusion: bool = True) -> np.ndarray[Any, Any]:
    """The global label space: sorted distinct values of the table.

    These models keep an (objects x labels) posterior and (unless
    ``confusion=False``, as for GLAD) a (sources x labels x labels) confusion
    array; on open-ended values (author lists, numbers)
    that is far beyond memory, so it is refused with a clear error instead.
    """
    value = table.claim_value
    # Integer codes: a presence table (linear) instead of a sort.
    labels = _kernels.factorize(value)[0] if value.dtype.kind in "iu" else np.unique(value)
    k = int(labels.shape[0])
    cells = max(table.n_objects * k, table.n_sources * k * k if confusion else 0)
    if cells > MAX_DENSE_CELLS:
        raise InvalidTableError(
            f"value: the table has {k:,} distinct values; label-set models (dawid-skene, "
            f"one-coin, glad) would need {cells * 8 / 1e9:,.1f} GB for their "
            "(objects x labels) and (sources x labels x labels) arrays. They are meant "
            "for closed label sets such as crowd labels; for open-ended values use "
            "corroboration, accu or truthfinder"
        )
    return labels


def _claim_label(part: Table, labels: np.ndarray[Any, Any], local: dict[str, Any]) -> IntArray:
    """Index in ``labels`` of each claim's value (cached in ``local``)."""
    lab: IntArray | None = local.get("claim_label")
    if lab is None:
        value = part.claim_value
        if value.dtype.kind in "iu" and labels.shape[0] and value.dtype == labels.dtype:
            # Integer labels (crowd label codes): a lookup table, not a search.
            lo, hi = int(labels[0]), int(labels[-1])
            if lo > -(2**62) and hi < 2**62 and hi - lo <= 4 * value.shape[0] + 65_536:
                lut = np.zeros(hi - lo + 1, dtype=np.int64)
                lut[labels.astype(np.int64) - lo] = np.arange(labels.shape[0])
                idx = value.astype(np.int64, copy=False)  # no wrap-around in small ints
                lab = lut[idx - lo] if lo else lut[idx]
        if lab is None:
            lab = np.searchsorted(labels, value).astype(np.int64)
        local["claim_label"] = lab
    return lab


def _assertion_end(part: Table, local: dict[str, Any]) -> IntArray:
    """CSR offsets of each object's assertions, with the end (cached).

    Assertions are sorted by claim, so by object.
    """
    out: IntArray | None = local.get("assertion_end")
    if out is None:
        out = np.zeros(part.n_objects + 1, dtype=np.int64)
        np.cumsum(np.bincount(part.object, minlength=part.n_objects), out=out[1:])
        local["assertion_end"] = out
    return out


def _plan(part: Table, state: State, local: dict[str, Any]) -> _ds_kernels.DSPlan:
    """The partition's assertions coded for the Dawid-Skene kernels (cached)."""
    got: _ds_kernels.DSPlan | None = local.get("ds_plan")
    if got is None:
        k = len(state["labels"])
        lab = _claim_label(part, state["labels"], local).astype(np.int8 if k <= 127 else np.int32)
        got = _ds_kernels.plan(
            part.source,
            lab[part.claim],
            _assertion_end(part, local),
            len(state["reliability"]),
            k,
        )
        local["ds_plan"] = got
    return got


def _gold_labels(
    part: Table, state: State, local: dict[str, Any], gold: Gold, model: str
) -> tuple[IntArray, IntArray]:
    """Each assertion's answer and each (known) object's true label, as
    indices in the label space (cached in ``local``)."""
    got: tuple[IntArray, IntArray] | None = local.get("gold_labels")
    if got is None:
        answer = _claim_label(part, state["labels"], local)[part.claim].astype(np.int64)
        got = (answer, gold.labels(state["labels"], part, model))
        local["gold_labels"] = got
    return got


def _vote_share(part: Table) -> FloatArray:
    """Majority-vote posterior: each claim's share of its object's votes."""
    votes = np.bincount(part.claim, minlength=part.n_claims).astype(np.float64)
    per_obj = np.bincount(part.claim_object, weights=votes, minlength=part.n_objects)
    out: FloatArray = votes / per_obj[part.claim_object]
    return out


def _row_softmax(score: FloatArray) -> FloatArray:
    """Each row of ``exp(score)`` normalised to sum 1, computed stably."""
    e = np.exp(score - score.max(axis=1, keepdims=True))
    out: FloatArray = e / e.sum(axis=1, keepdims=True)
    return out


@attrs.define(kw_only=True)
class DawidSkene(IterativeModel[State]):
    """Dawid-Skene: a full confusion matrix per worker, learned by EM.

    Each worker ``j`` answers label ``l`` on an item whose true label is
    ``k`` with probability ``pi_j[k, l]``; true labels follow a prior
    ``p[k]``. EM alternates the posterior of each item's label (E-step) and
    the confusion matrices and prior that maximise the expected likelihood
    (M-step).

    Parameters
    ----------
    smoothing : float, default 0.01
        Dirichlet pseudo-count added to every cell of every confusion matrix
        row and to every label of the prior in the M-step (see Notes).
    max_iter, tol, seed, progress
        See :class:`~credscore.models.IterativeModel`. ``seed`` is unused:
        the start is deterministic.

    Attributes
    ----------
    reliability_ : ndarray of shape (n_sources,)
        Expected share of each worker's answers that are correct under the
        final posteriors, ``sum_k counts[j, k, k] / n_j``.
    confusion_ : ndarray of shape (n_sources, K, K)
        Learned confusion matrices, rows indexed by the true label.
    prior_ : ndarray of shape (K,)
        Learned label prior.
    labels_ : ndarray of shape (K,)
        The label space: sorted distinct values of the table.
    n_iter_, converged_ : as for every iterative model.

    Notes
    -----
    *Label space.* Confusion matrices are indexed by the distinct values of
    the whole table, and the E-step that feeds the M-step is the usual one,
    over all ``K`` labels. Each object's candidates, though, are the values
    claimed for it, so the returned ``claim_probability`` is the posterior
    conditioned on the truth being one of them (renormalised over the
    object's claims; a value nobody gave cannot be returned). Restricting the
    E-step itself to the claimed values instead costs 0.2-0.3 points on
    D_Product and S_Rel.

    *Initialisation.* The first M-step uses majority-vote shares as the
    posteriors, as Dawid & Skene (1979) suggest.

    *Smoothing.* ``pi_j[k, l] = (c_jkl + a) / (sum_l c_jkl + K a)`` and
    ``p[k] = (n_k + a) / (n + K a)`` with ``a = smoothing``, i.e. a MAP
    estimate under a Dirichlet(1 + a) prior. It keeps every logarithm finite
    (a worker who never gave label ``l`` would otherwise rule out ``l`` for
    ever) and makes a worker with a single answer harmless. ``smoothing`` must
    be positive.

    *Iterations.* EM converges linearly and can be slow on large, sparse
    crowds: on S_Rel (20,232 items, 4 labels) it has not reached ``tol=1e-6``
    after the default 100 iterations, with 61.5% accuracy on the gold items;
    after 1,000 iterations accuracy is 61.0%. D_Product and D_PosSent are
    stable (93.9% and 96.0%). Pass ``tol=0`` to run exactly ``max_iter``
    iterations without a :class:`~credscore.errors.ConvergenceWarning`.

    *Numeric values* are accepted and treated as labels (each distinct
    number is one label), which suits crowd labels coded 0, 1, 2...

    Cost per iteration: one pass over the assertions in object order, each
    reading and updating one row of ``K`` numbers of its worker's confusion
    matrix (:mod:`credscore.kernels.dawid_skene`; measured costs in
    ``docs/howto/speed.md``). Memory: the confusion matrices hold ``n_sources x K x K``
    floats, which is what limits very large label spaces (numbers used as
    labels).

    References
    ----------
    A. P. Dawid and A. M. Skene, "Maximum likelihood estimation of observer
    error-rates using the EM algorithm", Journal of the Royal Statistical
    Society, Series C (Applied Statistics) 28(1):20-28, 1979.

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([
    ...     ("w1", "q1", "cat"), ("w2", "q1", "cat"), ("w3", "q1", "dog"),
    ...     ("w1", "q2", "dog"), ("w2", "q2", "dog"), ("w3", "q2", "dog"),
    ...     ("w1", "q3", "cat"), ("w2", "q3", "dog"), ("w3", "q3", "dog"),
    ... ])
    >>> r = DawidSkene(max_iter=20, tol=0).fit_score(t)
    >>> r.truths()
    {'q1': 'cat', 'q2': 'dog', 'q3': 'dog'}
    >>> bool(abs(r.claim_probability[:2].sum() - 1) < 1e-12)
    True
    """

    name: ClassVar[str] = "dawid-skene"
    init_reads: ClassVar[InitReads] = "labels"
    kinds: ClassVar[frozenset[str]] = frozenset({"categorical", "numeric"})

    smoothing: float = _v.number(0.01, low=0, open_low=True)

    labels_: np.ndarray[Any, Any] | None = attrs.field(default=None, init=False, repr=False)
    confusion_: FloatArray | None = attrs.field(default=None, init=False, repr=False)
    prior_: FloatArray | None = attrs.field(default=None, init=False, repr=False)

    def init_state(self, table: Table) -> State:
        self.labels_ = _labels(table)
        return {
            "labels": self.labels_,
            "conf": None,
            "prior": None,
            "reliability": np.zeros(table.n_sources),
        }

    def partition_stats(self, part: Table, state: State, local: dict[str, Any]) -> Stats:
        plan = _plan(part, state, local)
        conf, prior = state["conf"], state["prior"]
        if conf is None or prior is None:  # the start: majority vote
            counts, label_total = _ds_kernels.ds_vote_step(plan)
        else:
            # E-step and M-step in one pass over the assertions.
            counts, label_total = _ds_kernels.ds_step(plan, conf, prior)
        return {"counts": counts, "label_total": label_total}

    def gold_stats(self, part: Table, state: State, local: dict[str, Any], gold: Gold) -> Stats:
        k = len(state["labels"])
        n_s = len(state["reliability"])
        answer, true = _gold_labels(part, state, local, gold, self.name)
        cell = (part.source.astype(np.int64) * k + answer) * k + true[part.object]
        counts = np.bincount(cell, minlength=n_s * k * k).reshape(n_s, k, k).astype(np.float64)
        return {"counts": counts, "label_total": np.bincount(true, minlength=k).astype(np.float64)}

    def update_state(self, state: State, stats: Stats) -> State:
        # counts[j, l, k]: expected answers l of worker j on items of true label k.
        counts: FloatArray = stats["counts"]
        k = counts.shape[1]
        a = float(self.smoothing)
        conf = (counts + a) / (counts.sum(axis=1, keepdims=True) + k * a)
        tot: FloatArray = stats["label_total"]
        prior = (tot + a) / (tot.sum() + k * a)
        n = counts.sum(axis=(1, 2))
        correct = np.trace(counts, axis1=1, axis2=2)
        reliability = np.divide(correct, n, out=np.zeros_like(n), where=n > 0)
        self.confusion_ = conf.transpose(0, 2, 1)
        self.prior_ = prior
        return {
            "labels": state["labels"],
            "conf": conf,
            "prior": prior,
            "reliability": reliability,
        }

    def claim_scores(
        self, part: Table, state: State, local: dict[str, Any]
    ) -> tuple[FloatArray, np.ndarray[Any, Any] | None]:
        conf, prior = state["conf"], state["prior"]
        if conf is None or prior is None:
            return _vote_share(part), None
        lab = _claim_label(part, state["labels"], local)
        prob = _ds_kernels.ds_claim_probability(
            _plan(part, state, local), conf, prior, lab, part.object_start
        )
        return prob, None


register_model(DawidSkene)


@attrs.define(kw_only=True)
class OneCoin(IterativeModel[State]):
    """One-coin Dawid-Skene: one accuracy per worker, errors spread evenly.

    Worker ``j`` gives the true label with probability ``p_j`` and each of
    the ``K - 1`` other labels with probability ``(1 - p_j) / (K - 1)``;
    true labels follow a learned prior. Learned by EM like
    :class:`DawidSkene`, of which it is the constrained form.

    Parameters
    ----------
    smoothing : float, default 0.01
        Pseudo-count: ``p_j = (c_j + a) / (n_j + 2 a)``, where ``c_j`` is the
        expected number of correct answers among the worker's ``n_j``; a
        learned label prior is smoothed as in :class:`DawidSkene`.
    learn_prior : bool, default False
        Learn the label prior by EM. By default it stays uniform (see Notes).
    max_iter, tol, seed, progress
        See :class:`~credscore.models.IterativeModel`; ``seed`` is unused.

    Attributes
    ----------
    reliability_ : ndarray of shape (n_sources,)
        The learned accuracy ``p_j`` of each worker.
    prior_ : ndarray of shape (K,)
    labels_ : ndarray of shape (K,)

    Notes
    -----
    Label space, the E-step over all labels with probabilities reported over
    each object's claimed values, initialisation from majority vote and the treatment of numeric
    values are as in :class:`DawidSkene`. With a single label in the whole
    table (``K = 1``) every posterior is 1.

    The label prior is uniform unless ``learn_prior=True``, as in the
    one-coin models compared by Zheng et al. (2017). With one accuracy per
    worker a learned prior easily runs away to the most frequent label: on
    the S_Rel relevance data (4 labels) it drops accuracy on the gold items
    from 52% to 36%, while the uniform prior also does better on every
    binary crowd data set we tried.

    References
    ----------
    A. P. Dawid and A. M. Skene, "Maximum likelihood estimation of observer
    error-rates using the EM algorithm", Journal of the Royal Statistical
    Society, Series C 28(1):20-28, 1979 (the one-coin special case, as in
    the survey of Zheng, Li, Li, Shan and Cheng, "Truth inference in
    crowdsourcing: is the problem solved?", PVLDB 10(5), 2017).

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([
    ...     ("w1", "q1", 1), ("w2", "q1", 1), ("w3", "q1", 0),
    ...     ("w1", "q2", 0), ("w2", "q2", 0), ("w3", "q2", 0),
    ... ], numeric=False)
    >>> m = OneCoin(max_iter=20, tol=0).fit(t)
    >>> m.result.truths()
    {'q1': 1, 'q2': 0}
    >>> bool(m.reliability_[0] > m.reliability_[2])
    True
    """

    name: ClassVar[str] = "one-coin"
    init_reads: ClassVar[InitReads] = "labels"
    kinds: ClassVar[frozenset[str]] = frozenset({"categorical", "numeric"})

    smoothing: float = _v.number(0.01, low=0, open_low=True)
    learn_prior: bool = _v.flag(False)

    labels_: np.ndarray[Any, Any] | None = attrs.field(default=None, init=False, repr=False)
    prior_: FloatArray | None = attrs.field(default=None, init=False, repr=False)

    def init_state(self, table: Table) -> State:
        self.labels_ = _labels(table)
        return {
            "labels": self.labels_,
            "accuracy": None,
            "prior": None,
            "reliability": np.zeros(table.n_sources),
        }

    def partition_stats(self, part: Table, state: State, local: dict[str, Any]) -> Stats:
        n_src = len(state["reliability"])
        total: FloatArray | None = local.get("source_total")
        if total is None:
            total = np.bincount(part.source, minlength=n_src).astype(np.float64)
            local["source_total"] = total
        correct, label_total = _ds_kernels.oc_step(
            _plan(part, state, local), state["accuracy"], state["prior"]
        )
        return {"correct": correct, "total": total, "label_total": label_total}

    def gold_stats(self, part: Table, state: State, local: dict[str, Any], gold: Gold) -> Stats:
        k = len(state["labels"])
        n_s = len(state["reliability"])
        answer, true = _gold_labels(part, state, local, gold, self.name)
        right = (answer == true[part.object]).astype(np.float64)
        return {
            "correct": np.bincount(part.source, weights=right, minlength=n_s),
            "total": np.bincount(part.source, minlength=n_s).astype(np.float64),
            "label_total": np.bincount(true, minlength=k).astype(np.float64),
        }

    def update_state(self, state: State, stats: Stats) -> State:
        a = float(self.smoothing)
        acc = (stats["correct"] + a) / (stats["total"] + 2 * a)
        tot: FloatArray = stats["label_total"]
        k = tot.shape[0]
        learned = (tot + a) / (tot.sum() + k * a)
        prior = learned if self.learn_prior else np.full(k, 1.0 / k)
        self.prior_ = prior
        return {
            "labels": state["labels"],
            "accuracy": acc,
            "prior": prior,
            "reliability": acc,
        }

    def claim_scores(
        self, part: Table, state: State, local: dict[str, Any]
    ) -> tuple[FloatArray, np.ndarray[Any, Any] | None]:
        accuracy, prior = state["accuracy"], state["prior"]
        if accuracy is None or prior is None:
            return _vote_share(part), None
        lab = _claim_label(part, state["labels"], local)
        prob = _ds_kernels.oc_claim_probability(
            _plan(part, state, local), accuracy, prior, lab, part.object_start
        )
        return prob, None


register_model(OneCoin)
