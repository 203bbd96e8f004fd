"""The Accu family: Bayesian truth discovery from source accuracy.

* :class:`Accu` -- Dong, Berti-Equille & Srivastava (PVLDB 2009): a source
  of accuracy ``A`` votes ``ln(n A / (1 - A))`` for its value (``n`` false
  values per object, uniformly likely); the probability of a value is the
  softmax of the votes within its object; a source's accuracy is the mean
  probability of its values.
* :class:`PopAccu` -- Dong, Saha & Srivastava (PVLDB 2012): false values are
  not uniform but follow their observed popularity among the sources that
  got the object wrong.
* :class:`AccuCopy` -- the full model of Dong et al. (2009): the pairs of
  sources that copy each other are detected from shared false values
  (:mod:`credscore.models.copying`) and the votes of likely copiers are
  discounted.

All three are :class:`~credscore.models.base.IterativeModel` map-reduces
over object partitions: per-source sums of value probabilities (and, for
AccuCopy, per-pair soft counts of shared values) are the only statistics.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Literal

import attrs
import numpy as np
import numpy.typing as npt

from credscore import _validators as _v
from credscore.errors import NotFittedError
from credscore.kernels import segments as _kernels
from credscore.models import copying
from credscore.models._gold import Gold
from credscore.models.base import (
    BaseState,
    FloatArray,
    FusionResult,
    InitReads,
    IterativeModel,
    Stats,
)
from credscore.models.registry import register_model
from credscore.table.table import Table

__all__ = ["Accu", "AccuCopy", "PopAccu"]


IntArray = npt.NDArray[np.int64]


class AccuState(BaseState, total=False):
    """The state of Accu, PopAccu and AccuCopy (AccuCopy adds the copy detection): per-source arrays and scalars broadcast to every
    partition (:class:`~credscore.models.base.BaseState`)."""

    size: IntArray
    original: IntArray
    duplicate: npt.NDArray[np.bool_]
    pair_key: IntArray
    pair_i: IntArray
    pair_j: IntArray
    copy: FloatArray
    discount_ij: FloatArray
    discount_ji: FloatArray
    n_false: np.float64  # AccuCopy: the number of false values of this fit


State = AccuState


def _segment_log_sum_exp(score: FloatArray, part: Table) -> FloatArray:
    """``log sum exp(score)`` over the claims of each object."""
    top = np.maximum.reduceat(score, part.object_start[:-1])
    shifted = np.exp(score - top[part.claim_object])
    total = np.bincount(part.claim_object, weights=shifted, minlength=part.n_objects)
    out: FloatArray = top + np.log(total)
    return out


def _claims_per_object(part: Table) -> npt.NDArray[np.int64]:
    return np.diff(part.object_start)


@attrs.define(kw_only=True)
class Accu(IterativeModel[State]):
    """Accu: votes weighted by the log-odds of each source's accuracy.

    Parameters
    ----------
    n_false : float, default 100
        Number ``n`` of false values each object may take, uniformly likely.
    initial_accuracy : float, default 0.8
        Accuracy of every source before the first iteration.
    unobserved : bool, default False
        Include, as in the paper, the ``n + 1 - m`` values of the object's
        domain that no source gives (vote 0) when normalising the ``m``
        observed values' probabilities. Then a value given by a single
        source of accuracy ``A`` has probability close to ``A``, instead
        of 1. The reported :attr:`FusionResult.claim_probability` is
        always renormalised over the observed values.
    eps : float, default 1e-3
        Accuracies are kept in ``[eps, 1 - eps]``, so votes stay finite.
    prior_strength : float, default 2
        Pseudo-observations at ``initial_accuracy`` added to every source's
        record (a Beta prior, Gelman et al., *Bayesian Data Analysis*,
        section 2.4): a source seen once is not judged perfect or worthless
        after one agreement or disagreement. 0 gives the paper's plain mean.
    max_iter, tol, seed, progress
        See :class:`~credscore.models.base.IterativeModel`.

    Attributes
    ----------
    reliability_ : ndarray
        Learned accuracy of each source: the mean probability of its values.
    n_iter_, converged_ : int, bool

    Notes
    -----
    Each iteration computes, for each value ``v`` of an object, the vote
    count ``C(v) = sum ln(n A(S) / (1 - A(S)))`` over the sources giving
    ``v``, then ``P(v) = exp C(v) / sum exp C(v')`` over the object's
    observed values (over its whole domain with ``unobserved=True``), then
    ``A(S)`` as the mean of ``P`` over the values ``S`` gives (with
    ``prior_strength`` pseudo-values of probability ``initial_accuracy``
    among them). The first
    iteration, with equal accuracies, is a majority vote.

    This is the accuracy-only model of the paper ("AccuNoDep" in its
    experiments); the paper's full model, with source dependence, is
    :class:`AccuCopy` (registered as ``accu-copy``).

    References
    ----------
    .. [1] X. L. Dong, L. Berti-Equille and D. Srivastava. Integrating
       conflicting data: the role of source dependence. PVLDB 2(1),
       550-561, 2009.

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> rows = [("s1", "x", "a"), ("s2", "x", "a"), ("s3", "x", "b"),
    ...         ("s1", "y", "c"), ("s3", "y", "d")]
    >>> model = Accu(tol=1e-9).fit(Table.from_rows(rows))
    >>> model.result.truths()
    {'x': 'a', 'y': 'c'}
    >>> bool(model.reliability_[0] > model.reliability_[2])
    True
    """

    name: ClassVar[str] = "accu"
    init_reads: ClassVar[InitReads] = "labels"

    n_false: float = _v.number(100.0, low=0, open_low=True)
    initial_accuracy: float = _v.number(0.8, low=0, high=1, open_low=True, open_high=True)
    unobserved: bool = _v.flag(False)
    eps: float = _v.number(1e-3, low=0, high=0.5, open_low=True, open_high=True)
    prior_strength: float = _v.number(2.0, low=0)

    def init_state(self, table: Table) -> State:
        return {"reliability": np.full(table.n_sources, float(self.initial_accuracy))}

    def _vote_weight(self, state: State) -> FloatArray:
        """Vote of each source: ``ln n + logit A``."""
        acc = state["reliability"]
        out: FloatArray = np.log(self._n_false(state)) + np.log(acc) - np.log1p(-acc)
        return out

    def _n_false(self, state: State) -> float:
        """The number of false values per object used in this fit."""
        return float(self.n_false)

    def _votes(self, part: Table, state: State, local: dict[str, Any]) -> FloatArray:
        """Vote count of each claim."""
        return _kernels.gather_sum(
            part.claim, self._vote_weight(state), part.source, part.n_claims
        )

    def _over_domain(self) -> bool:
        """Whether probabilities are normalised over the object's whole domain."""
        return self.unobserved

    def _log_normaliser(self, part: Table, votes: FloatArray, n_false: float) -> FloatArray:
        """Log of the normaliser over the object's whole domain (the
        ``n + 1 - m`` unobserved values have vote 0)."""
        lse = _segment_log_sum_exp(votes, part)
        missing = n_false + 1.0 - _claims_per_object(part)
        has = missing > 0
        out: FloatArray = lse.copy()
        out[has] = np.logaddexp(lse[has], np.log(missing[has]))
        return out

    def _probabilities(self, part: Table, state: State, local: dict[str, Any]) -> FloatArray:
        """Probability of each claim, over the whole domain of its object."""
        votes = self._votes(part, state, local)
        if not self._over_domain():
            return _kernels.segment_softmax(votes, part.object_start)
        norm = self._log_normaliser(part, votes, self._n_false(state))
        out: FloatArray = np.exp(votes - norm[part.claim_object])
        return out

    def partition_stats(self, part: Table, state: State, local: dict[str, Any]) -> Stats:
        return self._accuracy_stats(part, state, local, self._probabilities(part, state, local))

    def gold_stats(self, part: Table, state: State, local: dict[str, Any], gold: Gold) -> Stats:
        """The statistics of known objects: each source right where it gave
        the known value, wrong elsewhere."""
        return self._accuracy_stats(part, state, local, gold.right_claims(part.n_claims))

    def _accuracy_stats(
        self, part: Table, state: State, local: dict[str, Any], prob: FloatArray
    ) -> Stats:
        n = state["reliability"].shape[0]
        if "count" not in local:
            local["count"] = _kernels.weighted_count(part.source, None, n)
        return {
            "correct": _kernels.gather_sum(part.source, prob, part.claim, n),
            "count": local["count"],
        }

    def update_state(self, state: State, stats: Stats) -> State:
        k = float(self.prior_strength)
        count = stats["count"] + k
        correct = stats["correct"] + k * float(self.initial_accuracy)
        mean = np.divide(correct, count, out=state["reliability"].copy(), where=count > 0)
        new = state.copy()
        new["reliability"] = np.clip(mean, self.eps, 1.0 - self.eps)
        return new

    def claim_scores(
        self, part: Table, state: State, local: dict[str, Any]
    ) -> tuple[FloatArray, np.ndarray[Any, Any] | None]:
        return _kernels.segment_softmax(self._votes(part, state, local), part.object_start), None


@attrs.define(kw_only=True)
class PopAccu(Accu):
    """PopAccu: Accu with false values distributed as they are observed.

    Parameters
    ----------
    initial_accuracy, eps, max_iter, tol, seed, progress
        As for :class:`Accu`. ``n_false`` and ``unobserved`` are not used:
        probabilities are over the observed values.

    Notes
    -----
    If ``v`` is true, a source that is wrong picks the false value ``v'``
    with probability ``Pop(v' | v) = m(v') / (M - m(v))``, where ``m(v)``
    sources give ``v`` and ``M`` sources give a value for the object
    (Dong, Saha & Srivastava 2012). Multiplying out the likelihood gives
    the vote count ``C(v) = sum logit A(S) - m(v) ln m(v) - (M - m(v))
    ln(M - m(v))`` (with ``0 ln 0 = 0``), up to a constant per object;
    ``P(v)`` is its softmax over the observed values.

    References
    ----------
    .. [1] X. L. Dong, B. Saha and D. Srivastava. Less is more: selecting
       sources wisely for integration. PVLDB 6(2), 37-48, 2012.
    .. [2] X. Li, X. L. Dong, K. Lyons, W. Meng and D. Srivastava. Truth
       finding on the deep web: is the problem solved? PVLDB 6(2), 97-108,
       2012.

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> rows = [("s1", "x", "a"), ("s2", "x", "a"), ("s3", "x", "b")]
    >>> PopAccu().fit_score(Table.from_rows(rows)).truths()
    {'x': 'a'}
    """

    name: ClassVar[str] = "pop-accu"
    init_reads: ClassVar[InitReads] = "labels"

    def _vote_weight(self, state: State) -> FloatArray:
        acc = state["reliability"]
        out: FloatArray = np.log(acc) - np.log1p(-acc)
        return out

    def _votes(self, part: Table, state: State, local: dict[str, Any]) -> FloatArray:
        if "popularity" not in local:
            m = np.bincount(part.claim, minlength=part.n_claims).astype(np.float64)
            total = np.bincount(part.claim_object, weights=m, minlength=part.n_objects)
            rest = total[part.claim_object] - m
            local["popularity"] = -_x_log_x(m) - _x_log_x(rest)
        votes: FloatArray = super()._votes(part, state, local) + local["popularity"]
        return votes

    def _over_domain(self) -> bool:
        return False


BINARY_N_FALSE = 100.0
"""``n_false`` of :class:`AccuCopy`'s copy model on a label set of two values
(the paper's default)."""


def _best_claims(prob: FloatArray, table: Table) -> npt.NDArray[np.intp]:
    """The most probable claim of each object (the first of a tie)."""
    start = table.object_start[:-1]
    top = np.maximum.reduceat(prob, start)
    is_top = prob >= top[table.claim_object]
    # the first top claim of each object
    first = np.flatnonzero(is_top)
    keep = np.r_[True, table.claim_object[first[1:]] != table.claim_object[first[:-1]]]
    out: npt.NDArray[np.intp] = first[keep]
    return out


def _x_log_x(x: FloatArray) -> FloatArray:
    out: FloatArray = x * np.log(np.where(x > 0, x, 1.0))
    return out


@attrs.define(kw_only=True)
class AccuCopy(Accu):
    """AccuCopy: Accu with detection of copying sources (Dong et al. 2009).

    Parameters
    ----------
    alpha : float, default 0.2
        Prior probability that two sources sharing objects are dependent.
    copy_rate : float or None, default None
        Probability ``c`` that a copier copies a given value. None (the
        default): estimated for each pair and direction by maximum
        likelihood (:func:`credscore.models.copying.estimate_copy_rate`);
        the paper fixes 0.8, with which, judged from agreement alone,
        honest pairs look as dependent as copiers.
    direction : bool, default True
        Discount a source's vote by the probability that *it* copies each
        other source giving the same value. With False, the dependence
        probability is split evenly between the two directions.
    initial_dependence : bool, default False
        Judge dependence once before the first iteration, from agreement
        alone (every observed value of an object equally likely). By
        default the first iteration is plain Accu, as in the paper.
    duplicate_min_claims : int or None, default 3
        A source whose whole table -- at least this many claims -- equals
        that of a source listed before it is an exact copy: it gets no vote
        and no pairs of its own, and is reported dependent, with
        probability 1, on every source with the same table. Adding exact
        copies of a source therefore changes no truth. None: no such rule.
    min_shared : int, default 3
        Judge dependence only for the *candidate pairs*, the pairs of
        sources that give values for at least this many common objects.
        Every other pair is taken as independent: its copy probability
        stays at the prior, its votes are not discounted, and it is not
        listed in :attr:`copy_pairs_`. 1 is the exact model of the paper
        (every pair sharing an object). See Notes.
    n_false : float or None, default None
        Number ``n`` of false values per object. None: the observed domain
        (:func:`credscore.models.copying.observed_false_values`: ``K - 1``
        on a closed label set of ``K`` values, else the mean number of
        candidates of the contested objects less one). On a label set of two
        values, None keeps the paper's 100 and its schedule: a shared false
        value is then the only other answer and no evidence of copying.
    schedule : {'rounds', 'paper'}, default 'rounds'
        ``'rounds'``: dependence is judged once before any truth, from
        agreement on the contested objects alone (each observed value
        equally likely, each source of accuracy 1/2, and the later source of
        a pair discounted by ``c`` times the whole probability of
        dependence, since no direction can be told); Accu then converges
        (``max_iter``, ``tol``) with the discounts held; dependence is
        judged again from the fused values, taken as decided, with each
        source's accuracy its share of fused values; and so on until the
        discounts move by less than 1e-4 or for ``copy_rounds`` rounds.
        ``'paper'``: the paper's schedule, dependence re-judged from the
        soft probabilities after every iteration. Started from plain Accu,
        copies that outnumber the honest sources first become the truth
        and then look like accurate independent sources
        (:doc:`/explanation/copiers` has the figures).
    copy_rounds : int, default 5
        See ``schedule``.
    adversarial : bool, default False
        Let a source's vote ``ln(n A / (1 - A))`` fall below 0 (accuracy
        below chance, ``A < 1 / (n + 1)``), so that its values count
        against themselves, as in the paper. By default a vote is clipped
        at 0: the source counts as noise. With the observed ``n`` (3 on a
        label set of four) crowd workers near chance are often estimated
        below it, and their negative votes cost relevance 3.1 points
        (48.52 against 51.60); no other shared set moves.
    initial_accuracy, unobserved, eps, max_iter, tol, seed, progress
        As for :class:`Accu`.

    Attributes
    ----------
    copy_pairs_ : dict
        ``{(source_id, source_id): probability of dependence}`` for every
        pair of sources sharing an object, most likely first.
    reliability_, n_iter_, converged_
        As for :class:`Accu`.

    Notes
    -----
    Each iteration (1) computes vote counts in which a source's vote for
    ``v`` is multiplied by ``prod (1 - c P(S copies S'))`` over the sources
    ``S'`` that give ``v`` and come before ``S`` in one order of the
    sources (most claims first, then most accurate, then by index), then
    value probabilities and accuracies
    as in Accu; (2) from the new probabilities, the soft numbers of shared
    true, shared false and different values of each pair of sources, and
    from them the posterior probability of each copying direction
    (:func:`credscore.models.copying.copy_probabilities`). The paper
    orders the sources greedily for each value; a fixed order is used here
    (see :mod:`credscore.models.copying`).

    Why ``min_shared``. A pair sharing one or two objects has at most one
    or two shared false values. False values are seldom uniform (a common
    misspelling, a popular wrong date), so among thousands of pairs many
    share a false value or two by chance; yet under the model (``n``
    uniform false values) each shared false value multiplies the odds of
    copying by ``1 - c + c n / (1 - A)``, about 400 for ``n = 100`` and
    ``A = 0.8``, so the exact model reads such coincidences as copying.
    Leaving the pair out changes the votes of at most ``min_shared - 1``
    objects. And it is what makes large tables tractable (pair counts on
    the speed benchmark's tables: ``docs/explanation/kernels.md``). On the real
    data sets (books, flights, population) accuracy is the same for
    ``min_shared`` from 1 to 5; on tables of a few sources that share
    only a handful of objects, use 1.

    Cost. The candidate pairs are found once, before the first iteration,
    block by block of sources (:func:`credscore.models.copying.candidate_cooccurrences`:
    time ``sum_o k_o**2`` for ``k_o`` sources on object ``o``, memory a
    block plus the co-occurrences of the candidate pairs; with numba and
    at most 2,048 sources, one compiled pass into a table of pair counts of
    at most 32 MB). An iteration then costs one of
    :class:`Accu` plus a pass over the co-occurrences of the candidate
    pairs.

    References
    ----------
    .. [1] X. L. Dong, L. Berti-Equille and D. Srivastava. Integrating
       conflicting data: the role of source dependence. PVLDB 2(1),
       550-561, 2009.
    .. [2] X. Li, X. L. Dong, K. B. Lyons, W. Meng and D. Srivastava.
       Scaling up copy detection. ICDE 2015, 89-100.

    Examples
    --------
    Three independent sources, and a careless one copied by another:

    >>> from credscore.table.table import Table
    >>> rows = []
    >>> for o in range(30):
    ...     rows += [(h, o, "t" if o % 5 != k else f"e{k}")
    ...              for k, h in enumerate(("h1", "h2", "h3"), 1)]
    ...     rows += [(s, o, "t" if o % 2 else f"lie{o}") for s in ("liar", "copier")]
    >>> model = AccuCopy(tol=1e-6).fit(Table.from_rows(rows))
    >>> set(model.result.truths().values())
    {'t'}
    >>> next(iter(model.copy_pairs_.items()))
    (('copier', 'liar'), 1.0)
    """

    name: ClassVar[str] = "accu-copy"
    init_reads: ClassVar[InitReads] = "table"  # the source pairs

    alpha: float = _v.number(0.2, low=0, high=1, open_low=True, open_high=True)
    copy_rate: float | None = _v.number(
        None, low=0, high=1, open_low=True, open_high=True, optional=True
    )
    direction: bool = _v.flag(True)
    initial_dependence: bool = _v.flag(False)
    duplicate_min_claims: int | None = _v.integer(3, low=1, optional=True)
    min_shared: int = _v.integer(3, low=1)
    n_false: float | None = _v.number(None, low=0, open_low=True, optional=True)  # type: ignore[assignment]
    schedule: Literal["rounds", "paper"] = _v.choice("rounds", ("rounds", "paper"))
    copy_rounds: int = _v.integer(5, low=1)
    adversarial: bool = _v.flag(False)

    _pairs: tuple[Any, Any, FloatArray] | None = attrs.field(default=None, init=False, repr=False)
    _hold: bool = attrs.field(default=False, init=False, repr=False)

    def estimate(self, table: Table) -> FusionResult:
        # As IterativeModel.estimate, but the co-occurrences found while choosing
        # the candidate pairs are kept for the iterations (not found twice).
        local: dict[str, Any] = {}
        state = self._start(table, local)
        state, n_iter, converged = self._converge_copy(
            table, state, local, lambda st: self.partition_stats(table, st, local), None
        )
        return self._result(table, state, local, n_iter, converged)

    def estimate_gold(self, table: Table, gold: Gold) -> FusionResult:
        """:meth:`estimate` with the known objects held at their values in
        every iteration and every judgement of dependence but the first
        (which judges agreement alone)."""
        stats, score = self._gold_split(table, gold)
        local: dict[str, Any] = {}
        state = self._start(table, local)
        return score(*self._converge_copy(table, state, local, stats, gold))

    def _converge_copy(
        self,
        table: Table,
        state: State,
        local: dict[str, Any],
        stats: Callable[[State], Stats],
        gold: Gold | None,
    ) -> tuple[State, int, bool]:
        """The iterations, by the ``schedule``, from the start ``state``."""
        if self.schedule == "paper" or self._binary(table):
            return self.iterate(state, stats)
        # Rounds: dependence judged before any truth, then held fixed while
        # Accu converges, then judged again from the fused values, until the
        # judgement no longer changes.
        state = self._judged(table, state, local, neutral=True)
        total = 0
        converged = False
        for k in range(self.copy_rounds):
            object.__setattr__(self, "_hold", True)
            try:
                state, n_iter, converged = self.iterate(state, stats)
            finally:
                object.__setattr__(self, "_hold", False)
            total += n_iter
            if k == self.copy_rounds - 1:
                break
            judged = self._judged(table, state, local, neutral=False, gold=gold)
            same = all(
                np.allclose(judged[key], state[key], rtol=0.0, atol=1e-4)
                for key in ("discount_ij", "discount_ji")
            )
            state = judged
            if same:
                break
        return state, total, converged

    def _judged(
        self,
        table: Table,
        state: State,
        local: dict[str, Any],
        *,
        neutral: bool,
        gold: Gold | None = None,
    ) -> State:
        """``state`` with the dependence of the candidate pairs judged anew.

        ``neutral``: before any truth, on the contested objects, with every
        observed value of an object equally likely and every source of
        accuracy 1/2 (agreement alone). Otherwise from the fused values,
        taken as decided (soft probabilities understate accuracies, which
        makes any agreement look like copying), with each source's accuracy
        its share of fused values; the objects of ``gold`` at their known
        values.
        """
        agree = self._agreements(table, state, local)
        n_pairs = state["pair_key"].shape[0]
        n = state["reliability"].shape[0]
        if "count" not in local:
            local["count"] = _kernels.weighted_count(table.source, None, n)
        m = np.diff(table.object_start).astype(np.float64)
        if neutral:
            # An object with one candidate says nothing: sources agree there by
            # being right as often as by copying.
            p_claim = np.where(m[table.claim_object] > 1, 1.0 / m[table.claim_object], 0.0)
            weight = (m[table.claim_object] > 1).astype(np.float64)
            acc = np.full(n, 0.5)
        else:
            prob = self._probabilities(table, state, local)
            p_claim = np.zeros(table.n_claims)
            p_claim[_best_claims(prob, table)] = 1.0
            if gold is not None:
                p_claim = gold.hold(table, p_claim)
            weight = np.ones(table.n_claims)
            correct = _kernels.weighted_count(table.source, p_claim[table.claim], n)
            acc = np.divide(correct, local["count"], out=np.full(n, 0.5), where=local["count"] > 0)
        acc = np.clip(acc, self.eps, 1.0 - self.eps)
        on = agree["agree_claim"]
        stats = {
            "shared_true": _kernels.weighted_count(agree["agree_pair"], p_claim[on], n_pairs),
            "shared_false": _kernels.weighted_count(
                agree["agree_pair"], weight[on] - p_claim[on], n_pairs
            ),
            "different": agree["different"],
        }
        judged = self._with_dependence({**state, "reliability": acc}, stats, split=not neutral)
        judged["reliability"] = state["reliability"]
        return judged

    def init_state(self, table: Table) -> State:
        return self._start(table, None)

    def _start(self, table: Table, local: dict[str, Any] | None) -> State:
        """The start state; with ``local``, also the co-occurrences of the
        candidate pairs in ``table`` (see :meth:`_agreements`)."""
        state = super().init_state(table)
        state["n_false"] = np.float64(self._resolved_n_false(table))
        # An exact copy of another source's whole table is the limit of
        # copying (every value copied): it is given no vote and no pairs.
        size = np.bincount(table.source, minlength=table.n_sources)
        state["size"] = size
        order = copying.source_order(table)
        original = copying.original_of(table, order)
        dup = original != np.arange(table.n_sources)
        if self.duplicate_min_claims is None:
            dup[:] = False
        else:
            dup &= size >= self.duplicate_min_claims
        state["original"] = np.where(dup, original, np.arange(table.n_sources))
        state["duplicate"] = dup
        keys, first, second, pair = copying.candidate_cooccurrences(
            table, self.min_shared, exclude=dup, order=order
        )
        del order
        n = np.int64(table.n_sources)
        state["pair_key"] = keys
        state["pair_i"], state["pair_j"] = keys // n, keys % n
        if local is None and not self.initial_dependence:
            agree: dict[str, Any] = {}  # the partitions find their own
        else:
            agree = self._agreement_arrays(table, first, second, pair, keys.shape[0])
        del first, second, pair
        if local is not None:
            local.update(agree)
        if not self.initial_dependence:
            state["copy"] = np.zeros(keys.shape[0])
            state["discount_ij"] = np.zeros(keys.shape[0])
            state["discount_ji"] = np.zeros(keys.shape[0])
            return state
        # Start from dependence judged before any truth: every observed value
        # of an object equally likely, every source of the initial accuracy.
        m = np.diff(table.object_start).astype(np.float64)
        p_shared = 1.0 / m[table.claim_object[agree["agree_claim"]]]
        n_pairs = keys.shape[0]
        return self._with_dependence(
            state,
            {
                "shared_true": _kernels.weighted_count(agree["agree_pair"], p_shared, n_pairs),
                "shared_false": _kernels.weighted_count(
                    agree["agree_pair"], 1.0 - p_shared, n_pairs
                ),
                "different": agree["different"],
            },
        )

    @staticmethod
    def _agreement_arrays(
        part: Table, first: Any, second: Any, pair: Any, n_pairs: int
    ) -> dict[str, Any]:
        """What the iterations need from the co-occurrences of the candidate
        pairs: those of two sources giving the same value, indexed into the
        (few) assertions they involve, and the count of differing values
        per pair."""
        same = part.claim[first] == part.claim[second]
        different = _kernels.weighted_count(pair[~same], None, n_pairs)
        first, second, pair = first[same], second[same], pair[same]
        # (np.unique with return_inverse sorts; without, numpy 2 hashes, slowly.)
        involved, position = np.unique(np.concatenate([first, second]), return_inverse=True)
        # Assertions are sorted by claim, so the claims of `involved` are too.
        claim = part.claim[involved]
        new_claim = np.concatenate([[True], claim[1:] != claim[:-1]])[: claim.shape[0]]
        claims = claim[new_claim]
        claim_of = np.cumsum(new_claim) - 1
        return {
            "agree_pair": pair,
            "agree_claim": part.claim[first],
            # Position, among the involved assertions, of each side.
            "agree_first": position[: first.shape[0]],
            "agree_second": position[first.shape[0] :],
            "involved_source": part.source[involved],
            "involved_claim": claim_of,  # position in `claims`
            "claims": claims,
            "different": different,
        }

    def _agreements(self, part: Table, state: State, local: dict[str, Any]) -> dict[str, Any]:
        """The co-occurrences of the candidate pairs in ``part`` (cached per
        partition), as :meth:`_agreement_arrays`."""
        if "agree_pair" not in local:
            first, second, pair = copying.cooccurrences_of(part, state["pair_key"])
            n_pairs = state["pair_key"].shape[0]
            local.update(self._agreement_arrays(part, first, second, pair, n_pairs))
        return local

    def _votes(self, part: Table, state: State, local: dict[str, Any]) -> FloatArray:
        agree = self._agreements(part, state, local)
        weight = self._vote_weight(state) * ~state["duplicate"]
        votes = _kernels.gather_sum(part.claim, weight, part.source, part.n_claims)
        n_involved = agree["involved_claim"].shape[0]
        if n_involved == 0:
            return votes
        # A vote w becomes w * prod(1 - c P(copy)) = w + w * expm1(sum log(...)):
        # only the assertions of candidate pairs that agree change.
        # Per pair: is j the later source in the order, and the log factor of
        # the later one (the first side of a co-occurrence is always i < j).
        rank = copying.source_rank(state["reliability"], state["size"])
        j_later = rank[state["pair_j"]] > rank[state["pair_i"]]
        log_keep = np.where(
            j_later, np.log1p(-state["discount_ji"]), np.log1p(-state["discount_ij"])
        )
        pair = agree["agree_pair"]
        who = np.where(j_later[pair], agree["agree_second"], agree["agree_first"])
        log_factor = log_keep[pair]
        log_indep = _kernels.weighted_count(who, log_factor, n_involved)
        change = weight[agree["involved_source"]] * np.expm1(log_indep)
        claims = agree["claims"]
        votes[claims] += _kernels.weighted_count(agree["involved_claim"], change, claims.shape[0])
        return votes

    def _accuracy_stats(
        self, part: Table, state: State, local: dict[str, Any], prob: FloatArray
    ) -> Stats:
        """Accu's sums, and per candidate pair the shared values weighted by
        their probability of being true and false, and the differing ones."""
        out = super()._accuracy_stats(part, state, local, prob)
        n_pairs = state["pair_key"].shape[0]
        agree = self._agreements(part, state, local)
        p_shared = prob[agree["agree_claim"]]
        out["shared_true"] = _kernels.weighted_count(agree["agree_pair"], p_shared, n_pairs)
        out["shared_false"] = _kernels.weighted_count(agree["agree_pair"], 1.0 - p_shared, n_pairs)
        out["different"] = agree["different"]
        return out

    def update_state(self, state: State, stats: Stats) -> State:
        if self._hold:
            return super().update_state(state, stats)
        return self._with_dependence(super().update_state(state, stats), stats)

    def _n_false(self, state: State) -> float:
        return float(state["n_false"])

    def _vote_weight(self, state: State) -> FloatArray:
        weight = super()._vote_weight(state)
        if self.adversarial:
            return weight
        out: FloatArray = np.maximum(weight, 0.0)
        return out

    def fits_whole_table(self, table: Table) -> bool:
        return self.schedule == "rounds" and not self._binary(table)

    def _binary(self, table: Table) -> bool:
        """Whether the table is a label set of two values and ``n_false`` is
        not given (see the ``n_false`` setting)."""
        return self.n_false is None and copying.closed_labels(table) == 2

    def _resolved_n_false(self, table: Table) -> float:
        if self.n_false is not None:
            return float(self.n_false)
        if self._binary(table):
            return BINARY_N_FALSE
        return copying.observed_false_values(table)

    def _with_dependence(self, state: State, stats: Stats, split: bool = True) -> State:
        new = state.copy()
        acc = new["reliability"]
        p_ij, p_ji, c_ij, c_ji = copying.directed_probabilities(
            stats["shared_true"],
            stats["shared_false"],
            stats["different"],
            acc[new["pair_i"]],
            acc[new["pair_j"]],
            alpha=self.alpha,
            copy_rate=self.copy_rate,
            n_false=float(new["n_false"]),
        )
        new["copy"] = np.minimum(p_ij + p_ji, 1.0)
        d_ij, d_ji = c_ij * p_ij, c_ji * p_ji
        if not split:
            # No direction can be told (agreement alone): the later source of
            # a pair is discounted by the whole probability of dependence.
            d_ij, d_ji = c_ij * new["copy"], c_ji * new["copy"]
        elif not self.direction:
            d_ij = d_ji = 0.5 * (d_ij + d_ji)
        new["discount_ij"], new["discount_ji"] = d_ij, d_ji
        return new

    def _result(
        self, table: Table, state: State, local: dict[str, Any], n_iter: int, converged: bool
    ) -> FusionResult:
        i, j, p = state["pair_i"], state["pair_j"], state["copy"]
        if state["duplicate"].any():
            # Every two sources with the same whole table are dependent.
            orig = state["original"]
            by_group = np.argsort(orig, kind="stable")
            sizes = np.bincount(orig)
            starts = np.cumsum(sizes) - sizes
            dup_i, dup_j = [], []
            for g in np.flatnonzero(sizes > 1).tolist():  # one step per copy group
                members = by_group[starts[g] : starts[g] + sizes[g]]
                a, b = np.triu_indices(members.shape[0], k=1)
                dup_i.append(members[a])
                dup_j.append(members[b])
            i = np.concatenate([*dup_i, i])
            j = np.concatenate([*dup_j, j])
            p = np.concatenate([np.ones(i.shape[0] - p.shape[0]), p])
        self._pairs = (table.source_ids[i], table.source_ids[j], p)
        return super()._result(table, state, local, n_iter, converged)

    @property
    def copy_pairs_(self) -> dict[tuple[Any, Any], float]:
        """``{(source_id, source_id): P(dependent)}``, most likely first."""
        if self._pairs is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted yet; call fit(table) first")
        ids_i, ids_j, p = self._pairs
        order = np.argsort(-p, kind="stable")
        return dict(zip(zip(ids_i[order].tolist(), ids_j[order].tolist()), p[order].tolist()))


register_model(Accu)
register_model(PopAccu)
register_model(AccuCopy)
