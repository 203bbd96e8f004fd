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

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import attrs
import numpy as np
import numpy.typing as npt

from credscore import _validators as _v
from credscore.errors import InvalidTableError
from credscore.kernels import dawid_skene as _ds_kernels
from credscore.kernels import segments as _kernels
from credscore.models._gold import Gold
from credscore.models._priors import source_mapping_ids
from credscore.models.base import BaseState, FloatArray, InitReads, IterativeModel, Stats
from credscore.models.registry import register_model
from credscore.table.table import Table

__all__ = ["DawidSkene", "OneCoin"]

IntArray = npt.NDArray[np.int64]


# -- helpers shared by the crowd models (also used by credscore.models.glad) --


def _confusion_pseudo(
    table: Table,
    labels: npt.NDArray[Any],
    strength: float,
    accuracy: float,
    per_source: Mapping[Any, Any] | None,
) -> FloatArray | None:
    """Dirichlet pseudo-counts of every worker's confusion rows, laid out as
    the counts (source, answer, true label); None when there are none.

    Every worker gets ``strength`` pseudo-answers per true label, a share
    ``accuracy`` of them correct and the rest spread evenly over the other
    labels; a worker in ``per_source`` gets its own matrix instead (rows the
    true label, columns the answer, in the order of ``labels``).
    """
    if strength == 0 and not per_source:
        return None
    k = labels.shape[0]
    n_s = table.n_sources
    if k * k * n_s > MAX_DENSE_CELLS:
        raise MemoryError(
            f"prior_strength: the prior pseudo-counts would need {n_s:,} x {k} x {k} floats"
        )
    off = (1.0 - accuracy) / (k - 1) if k > 1 else 0.0
    base = np.full((k, k), strength * off)
    np.fill_diagonal(base, strength * accuracy if k > 1 else strength)
    out = np.broadcast_to(base, (n_s, k, k)).copy()
    if per_source:
        ids = source_mapping_ids(table, per_source, "prior_confusion")
        index = {sid: i for i, sid in enumerate(ids)}
        for sid, matrix in per_source.items():
            m = np.asarray(matrix, dtype=np.float64) if _is_numeric_array(matrix) else None
            if m is None or m.shape != (k, k) or not np.all(np.isfinite(m)) or np.any(m < 0):
                raise ValueError(
                    f"prior_confusion: source {sid!r}: expected a {k} x {k} matrix of "
                    f"pseudo-counts >= 0 (rows the true label, columns the answer, labels "
                    f"{labels.tolist()!r}), got {matrix!r}"
                )
            out[index[sid]] = m.T
    return out


def _source_prior_means(
    table: Table, accuracy: float, per_source: Mapping[Any, Any] | None
) -> FloatArray:
    """Prior mean accuracy of every worker: ``per_source`` where given."""
    out = np.full(table.n_sources, float(accuracy))
    if per_source:
        ids = source_mapping_ids(table, per_source, "prior_accuracies")
        index = {sid: i for i, sid in enumerate(ids)}
        for sid, value in per_source.items():
            problem = _v.number_problem(value, low=0, high=1)
            if problem is not None:
                raise ValueError(f"prior_accuracies: source {sid!r}: {problem}")
            out[index[sid]] = float(value)
    return out


def _is_numeric_array(x: Any) -> bool:
    try:
        return bool(np.asarray(x).dtype.kind in "biuf")
    except (TypeError, ValueError):
        return False


#: Largest dense matrix (cells of float64) the label-set models may build: 1 GB.
MAX_DENSE_CELLS = 125_000_000


class DSState(BaseState, total=False):
    """The state of Dawid-Skene and one-coin: per-source arrays and scalars broadcast to every
    partition (:class:`~credscore.models.base.BaseState`)."""

    labels: npt.NDArray[Any]
    conf: FloatArray | None
    prior: FloatArray | None
    accuracy: FloatArray | None
    #: Prior pseudo-counts: DS (sources, answer, true), one-coin (2, sources).
    pseudo: FloatArray | None
    per_object: bool  #: one-coin and GLAD with per-object candidate sets


State = DSState


def _labels(table: Table, *, confusion: bool = True) -> np.ndarray[Any, Any]:
    """The global label space: sorted distinct values of the table.

    These models keep an (objects x labels) posterior and (unless
    ``confusion=False``, as for GLAD) a (sources x labels x labels) confusion
    array; on open-ended values (author lists, numbers)
    that is far beyond memory, so it is refused with a clear error instead.
    """
    labels = table.labels
    k = int(labels.shape[0])
    cells = max(table.n_objects * k, table.n_sources * k * k if confusion else 0)
    if cells > MAX_DENSE_CELLS:
        raise InvalidTableError(
            f"value: the table has {k:,} distinct values; label-set models (dawid-skene, "
            f"one-coin, glad) would need {cells * 8 / 1e9:,.1f} GB for their "
            "(objects x labels) and (sources x labels x labels) arrays. They are meant "
            "for closed label sets such as crowd labels; for open-ended values use "
            "one-coin or glad with candidates='object' (their default when the arrays "
            "do not fit), corroboration, accu or truthfinder"
        )
    return labels


def _claim_label(part: Table, labels: np.ndarray[Any, Any], local: dict[str, Any]) -> IntArray:
    """Index in ``labels`` (the whole table's, so a superset of the part's)
    of each claim's value, cached in ``local``: the part's few distinct
    values are placed in ``labels``, then gathered."""
    lab: IntArray | None = local.get("claim_label")
    if lab is None:
        lab = np.searchsorted(labels, part.labels).astype(np.int64)[part.claim_label]
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


#: More distinct values than this: an open domain, where one-coin and GLAD
#: (``candidates='auto'``) use per-object candidate sets.
MAX_AUTO_LABELS = 1000


def _open_domain(table: Table, *, confusion: bool) -> bool:
    """``candidates='auto'``: whether the table's values are an open domain
    (more than :data:`MAX_AUTO_LABELS` of them, or a confusion array that
    would not fit). Decided from the distinct values and the sources only,
    so that a distributed fit's start (:func:`~credscore.models.base.start_stub`)
    decides as the whole table does."""
    k = int(table.labels.shape[0])
    return k > MAX_AUTO_LABELS or (confusion and table.n_sources * k * k > MAX_DENSE_CELLS)


def _candidate_counts(part: Table) -> FloatArray:
    """Number ``K_o = max(m_o, 2)`` of candidate values of each object: its
    ``m_o`` observed values, and one value nobody gave when only one was."""
    m = np.diff(part.object_start).astype(np.float64)
    out: FloatArray = np.maximum(m, 2.0)
    return out


def candidate_log_joint(
    part: Table, log_right: FloatArray, log_wrong_total: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Per-object candidate sets: the log joint of each claim being the truth
    with the object's answers, and that of a value nobody gave.

    ``log_right`` and ``log_wrong_total`` are per assertion: the log chance of
    its answer when its claim is true, and when another one is (the wrong
    answer's ``1 / (K_o - 1)`` share included). Returns ``(claim, unseen)``:
    ``claim[c]`` and, per object, ``unseen[o]`` (every answer wrong).
    """
    unseen: FloatArray = np.bincount(
        part.object, weights=log_wrong_total, minlength=part.n_objects
    ).astype(np.float64)
    bonus = np.bincount(part.claim, weights=log_right - log_wrong_total, minlength=part.n_claims)
    claim: FloatArray = unseen[part.claim_object] + bonus
    return claim, unseen


def candidate_posterior(part: Table, claim: FloatArray, unseen: FloatArray) -> FloatArray:
    """Posterior of each claim over its object's ``K_o`` candidates (the
    ``K_o - m_o`` unobserved ones having log joint ``unseen``)."""
    n_unseen = _candidate_counts(part) - np.diff(part.object_start)
    top = np.maximum(np.maximum.reduceat(claim, part.object_start[:-1]), unseen)
    e = np.exp(claim - top[part.claim_object])
    total = np.bincount(part.claim_object, weights=e, minlength=part.n_objects).astype(np.float64)
    total += n_unseen * np.exp(unseen - top)
    out: FloatArray = e / total[part.claim_object]
    return out


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
    prior_strength : float >= 0, default 0
        Pseudo-answers per true label added to every worker's confusion
        row, a share ``prior_accuracy`` of them correct and the rest spread
        evenly over the other labels: a Dirichlet prior centred on a
        one-coin worker, so that a worker with few answers keeps a matrix
        near it (MAP estimate). 0: none (the default, chosen by
        cross-validation, see :doc:`/howto/crowd-labels`).
    prior_accuracy : float in (0, 1), default 0.7
        See ``prior_strength``.
    prior_confusion : mapping, optional
        ``{source_id: K x K matrix}`` of pseudo-counts for known workers
        (rows the true label, columns the answer, in the order of
        :attr:`labels_`), replacing the ``prior_strength`` prior for them,
        as crowd-kit's ``initial_error``. A worker known to confuse two
        labels keeps doing so until its answers say otherwise.
    accelerate : bool, default False
        Converge with SQUAREM
        (:meth:`~credscore.models.IterativeModel.iterate_accelerated`): the
        same fixed points, stopped by the same rule, in fewer passes over the
        table. Off by default, so that the fits of the accuracy tables stay
        the plain algorithm's; see :doc:`/howto/crowd-labels` for figures.
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
    warm_keys: ClassVar[Mapping[str, Literal["source", "global", "same"]]] = {
        "labels": "same",
        "conf": "source",
        "prior": "global",
        "reliability": "source",
    }
    kinds: ClassVar[frozenset[str]] = frozenset({"categorical", "numeric"})

    smoothing: float = _v.number(0.01, low=0, open_low=True)
    prior_strength: float = _v.number(0.0, low=0)
    prior_accuracy: float = _v.number(0.7, low=0, high=1, open_low=True, open_high=True)
    prior_confusion: Mapping[Any, Any] | None = _v.instance(
        None, (Mapping,), what="a mapping {source id: K x K matrix}, or None", repr=False
    )
    accelerate: bool = _v.flag(False)

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
            "pseudo": _confusion_pseudo(
                table,
                self.labels_,
                float(self.prior_strength),
                float(self.prior_accuracy),
                self.prior_confusion,
            ),
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
        pseudo = state.get("pseudo")
        counts_p = counts + pseudo if pseudo is not None else counts
        conf = (counts_p + a) / (counts_p.sum(axis=1, keepdims=True) + k * a)
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
            "pseudo": pseudo,
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
    prior_strength : float >= 0, default 0
        Beta pseudo-answers added to every worker's record, a share
        ``prior_accuracy`` of them correct: ``p_j = (c_j + s mu_j + a) /
        (n_j + s + 2 a)``. 0: none (the default, chosen by
        cross-validation, see :doc:`/howto/crowd-labels`).
    prior_accuracy : float in (0, 1), default 0.7
        Prior mean ``mu_j`` of every worker's accuracy.
    prior_accuracies : mapping, optional
        ``{source_id: accuracy}``: the prior mean of known workers, in place
        of ``prior_accuracy`` (with ``prior_strength`` pseudo-answers).
    candidates : {'auto', 'labels', 'object'}, default 'auto'
        ``'labels'``: the label space is the table's distinct values, shared
        by every object (crowd labels). ``'object'``: each object's own
        candidates, its ``m_o`` observed values (and one value nobody gave
        when only one was: ``K_o = max(m_o, 2)``), a wrong answer picking
        each other candidate with probability ``(1 - p_j) / (K_o - 1)`` and
        every candidate equally likely a priori; memory is one number per
        claim, so open-ended values (books' author lists, population
        counts) fit. ``'auto'``: ``'object'`` on an open domain (more than
        1,000 distinct values, or a confusion array beyond 1 GB), else
        ``'labels'``. On a closed label set
        keep ``'labels'``: with only the observed values as candidates,
        workers near chance drift below it (on ``web``, 84.0 against 10.7).
    accelerate : bool, default False
        Converge with SQUAREM, as for :class:`~credscore.models.DawidSkene`.
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
    warm_keys: ClassVar[Mapping[str, Literal["source", "global", "same"]]] = {
        "labels": "same",
        "per_object": "same",
        "accuracy": "source",
        "prior": "global",
        "reliability": "source",
    }

    smoothing: float = _v.number(0.01, low=0, open_low=True)
    learn_prior: bool = _v.flag(False)
    prior_strength: float = _v.number(0.0, low=0)
    prior_accuracy: float = _v.number(0.7, low=0, high=1, open_low=True, open_high=True)
    prior_accuracies: Mapping[Any, float] | None = _v.instance(
        None, (Mapping,), what="a mapping {source id: accuracy}, or None", repr=False
    )
    candidates: Literal["auto", "labels", "object"] = _v.choice(
        "auto", ("auto", "labels", "object")
    )
    accelerate: bool = _v.flag(False)

    labels_: np.ndarray[Any, Any] | None = attrs.field(default=None, init=False, repr=False)
    prior_: FloatArray | None = attrs.field(default=None, init=False, repr=False)

    def _per_object(self, table: Table) -> bool:
        if self.candidates == "auto":
            return _open_domain(table, confusion=True)
        return self.candidates == "object"

    def init_state(self, table: Table) -> State:
        per_object = self._per_object(table)
        self.labels_ = None if per_object else _labels(table)
        mean = _source_prior_means(table, float(self.prior_accuracy), self.prior_accuracies)
        strength = float(self.prior_strength)
        return {
            "labels": np.zeros(0) if self.labels_ is None else self.labels_,
            "per_object": per_object,
            "accuracy": None,
            "prior": None,
            "reliability": np.zeros(table.n_sources),
            # Beta pseudo-counts: (correct, total) per worker.
            "pseudo": np.stack([strength * mean, np.full(table.n_sources, strength)]),
        }

    def partition_stats(self, part: Table, state: State, local: dict[str, Any]) -> Stats:
        n_src = len(state["reliability"])
        total: FloatArray | None = local.get("source_total")
        if total is None:
            total = np.bincount(part.source, minlength=n_src).astype(np.float64)
            local["source_total"] = total
        if state.get("per_object"):
            q = self._candidate_posterior(part, state["accuracy"])[part.claim]
            correct = np.bincount(part.source, weights=q, minlength=n_src).astype(np.float64)
            return {"correct": correct, "total": total, "label_total": np.zeros(0)}
        correct, label_total = _ds_kernels.oc_step(
            _plan(part, state, local), state["accuracy"], state["prior"]
        )
        return {"correct": correct, "total": total, "label_total": label_total}

    def project_stats(self, stats: Stats) -> Stats:
        out = super().project_stats(stats)
        out["correct"] = np.minimum(out["correct"], out["total"])
        return out

    def _candidate_posterior(self, part: Table, accuracy: FloatArray | None) -> FloatArray:
        """Per-object candidates: the posterior of each claim (majority-vote
        shares at the start)."""
        if accuracy is None:
            return _vote_share(part)
        acc = accuracy[part.source]
        log_wrong = np.log1p(-acc) - np.log(_candidate_counts(part)[part.object] - 1.0)
        claim, unseen = candidate_log_joint(part, np.log(acc), log_wrong)
        return candidate_posterior(part, claim, unseen)

    def gold_stats(self, part: Table, state: State, local: dict[str, Any], gold: Gold) -> Stats:
        n_s = len(state["reliability"])
        if state.get("per_object"):
            right = gold.right_claims(part.n_claims)[part.claim]
            return {
                "correct": np.bincount(part.source, weights=right, minlength=n_s),
                "total": np.bincount(part.source, minlength=n_s).astype(np.float64),
                "label_total": np.zeros(0),
            }
        k = len(state["labels"])
        answer, true = _gold_labels(part, state, local, gold, self.name)
        right = (answer == true[part.object]).astype(np.float64)
        return {
            "correct": np.bincount(part.source, weights=right, minlength=n_s),
            "total": np.bincount(part.source, minlength=n_s).astype(np.float64),
            "label_total": np.bincount(true, minlength=k).astype(np.float64),
        }

    def update_state(self, state: State, stats: Stats) -> State:
        a = float(self.smoothing)
        pseudo = state.get("pseudo")
        extra_c, extra_n = (0.0, 0.0) if pseudo is None else (pseudo[0], pseudo[1])
        acc = (stats["correct"] + extra_c + a) / (stats["total"] + extra_n + 2 * a)
        tot: FloatArray = stats["label_total"]
        k = tot.shape[0]
        if state.get("per_object"):
            prior = None  # candidates equally likely a priori
        else:
            learned = (tot + a) / (tot.sum() + k * a)
            prior = learned if self.learn_prior else np.full(k, 1.0 / k)
        self.prior_ = prior
        return {
            "labels": state["labels"],
            "per_object": state.get("per_object", False),
            "accuracy": acc,
            "prior": prior,
            "reliability": acc,
            "pseudo": pseudo,
        }

    def claim_scores(
        self, part: Table, state: State, local: dict[str, Any]
    ) -> tuple[FloatArray, np.ndarray[Any, Any] | None]:
        accuracy, prior = state["accuracy"], state["prior"]
        if state.get("per_object"):
            # Renormalised over the observed candidates, as FusionResult requires.
            post = self._candidate_posterior(part, accuracy)
            return _kernels.segment_normalize(post, part.object_start), None
        if accuracy is None or prior is None:
            return _vote_share(part), None
        lab = _claim_label(part, state["labels"], local)
        prob = _ds_kernels.oc_claim_probability(
            _plan(part, state, local), accuracy, prior, lab, part.object_start
        )
        return prob, None


register_model(OneCoin)
