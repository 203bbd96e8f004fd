"""Corroboration on a table: the core's default model with reliabilities learned by EM.

The case-scale model (:mod:`credscore.case.score`, :doc:`/explanation/model`)
turns each report into a log-likelihood ratio and pools dependent reports
before adding independent ones. :class:`Corroboration` applies exactly those
semantics to a table of ``(source, object, value)`` assertions, where no
reliability is known in advance, and learns each source's reliability by
expectation-maximisation, so the case scale and the table scale are one
family of models: the reliabilities learned here can be fed back to a case.

Semantics
---------
An assertion ``(s, o, v)`` is source ``s`` confirming the claim "o = v"; the
candidate values of one object are mutually exclusive, so it is also evidence
against the others. A source of reliability ``rho`` either knows the truth
(probability ``rho``) and says it, or does not and says a given value with
probability ``a``. Its confirmation therefore has the log-likelihood ratio
of the core,

.. math:: \\ell = \\ln \\frac{\\rho + (1-\\rho)a}{(1-\\rho)a},

the posterior over an object's candidates is the softmax of
``log prior + sum of pooled ell``, and within a group of dependent sources
of dependence ``r`` the confirmations of one candidate are pooled as
``L = r max ell+ + (1 - r) sum ell+`` (and the mirror for negative ``ell``).

Choice of ``a``: for an object with ``K`` mutually exclusive candidates,
the uninformed default is ``a = 1/K`` (a source that does not know picks
uniformly); the model is then exactly the one-coin Dawid-Skene likelihood,
with accuracy ``q = rho + (1 - rho)/K`` and errors spread evenly over the
other ``K - 1`` values. ``K`` is the size of the label set for a closed set of
labels (crowd tasks, detected as a categorical table with at most
``max_closed_domain`` distinct values), and ``max(observed candidates, 2)``
for open-ended values (web sources).

Improvement (the default on a closed label set, ``guess="learned"``): ``a``
is what the source says when it does not know, so it is learned per source
and per label, ``a = g_s(v)``, as in MACE (Hovy et al. 2013). A worker who
answers "no match" whenever unsure then gives weak evidence with "no match"
and strong evidence with "match". For two labels this is the two-coin
Dawid-Skene model (sensitivity and specificity per source); it raises
accuracy by 1-2.5 points on the crowd data sets and keeps the semantics of
the core: only ``a`` differs from source to source.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Collection, Mapping
from typing import Any, ClassVar, Literal

import attrs
import numpy as np
import numpy.typing as npt

from credscore import _validators as _v
from credscore.errors import CredscoreWarning, InvalidTableError, outside_stacklevel
from credscore.kernels import corroboration as _ck
from credscore.kernels import segments as _kernels
from credscore.models._gold import Gold
from credscore.models._priors import (
    copied_llr,
    copier_rates,
    group_index,
    group_shrinkage,
    source_mapping_ids,
)
from credscore.models.base import (
    BaseState,
    FloatArray,
    FusionResult,
    IterativeModel,
    Stats,
)
from credscore.models.copying import (
    Cooccurrences,
    candidate_cooccurrences,
    closed_labels,
    judge_pairs,
    observed_false_values,
    within_objects,
)
from credscore.models.registry import register_model
from credscore.semantics import llr, pool_rule
from credscore.table.table import Table

__all__ = ["Corroboration", "confirmation_llr", "min_shared_for"]

IntArray = npt.NDArray[np.int64]

# Largest reliability: keeps 1 - rho > 0, so every ell is finite.
_RHO_MAX = 1.0 - 1e-9
#: Default ``class_prior``: chosen on held-out halves of the gold of the
#: crowd sets (``benchmarks/choose_defaults.py``, ``docs/howto/crowd-labels.md``).
CLASS_PRIOR = 1.0
# Largest |score| for which the E-step's softmax skips the shift by each
# object's largest score: exp(600) ~ 4e260 leaves room for sums of many claims,
# exp(-600) ~ 3e-261 is still a normal number, so no precision is lost.
_NO_SHIFT = 600.0
# Cells (source x column) kept as a dense matrix when there are at most this
# many, or this many per assertion; otherwise only the cells that occur.
_DENSE_CELLS = 1 << 16
_DENSE_PER_ASSERTION = 4
# Least pooled variance of a numeric table (precisions stay finite).
_MIN_VARIANCE = 1e-280


class CorroborationState(BaseState, total=False):
    """The state of the table-scale corroboration model: per-source arrays and scalars broadcast to every
    partition (:class:`~credscore.models.base.BaseState`)."""

    group: IntArray
    group_r: FloatArray
    grouped: bool
    k: int
    # None for an open domain of values (the code reads them only when closed):
    values: Any
    log_prior: Any
    guess: Any
    accuracy: FloatArray
    # None without prior groups / declared copiers:
    prior_group: Any
    prior_labels: Any
    prior_mean: FloatArray | None
    copy: Any
    v0: float
    variance: FloatArray


State = CorroborationState


def confirmation_llr(rho: FloatArray, a: FloatArray) -> FloatArray:
    """Log-likelihood ratio of a confirmation: ``ln[(rho + (1-rho) a) / ((1-rho) a)]``.

    Parameters
    ----------
    rho : ndarray
        Reliability of the confirming source, below 1. A negative ``rho``
        (a source worse than chance) is clipped so that its confirmation
        keeps a positive probability, and then gives a negative ratio.
    a : ndarray
        Probability, in (0, 1], that the source would say the value anyway
        if it were false.

    Returns
    -------
    ndarray
        The log-likelihood ratio, finite, 0 where ``rho = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> confirmation_llr(np.array([0.0, 0.5, 0.9]), np.array([0.5, 0.5, 0.5])).round(4)
    array([0.    , 1.0986, 2.9444])
    """
    return llr(np.minimum(rho, _RHO_MAX), a)


@attrs.define(kw_only=True)
class Corroboration(IterativeModel[State]):
    """Dependence-aware corroboration with source reliabilities learned by EM.

    The default model of the core (:doc:`/explanation/model`) applied to a table:
    each assertion confirms its value with the log-likelihood ratio
    ``ell = ln[(rho + (1-rho) a) / ((1-rho) a)]``, dependent sources are
    pooled before independent ones are added, the posterior over an object's
    candidate values is the softmax of ``log prior + sum of pooled ell``, and
    each source's reliability ``rho`` is re-estimated from its expected
    accuracy until it stops changing.

    Parameters
    ----------
    domain : 'auto', 'observed' or int, default 'auto'
        Number ``K`` of mutually exclusive values an uninformed source picks
        from, giving ``a = 1 / K``. An integer fixes ``K`` (at least the
        object's number of observed candidates); ``'observed'`` uses
        ``max(candidates of the object, 2)``; ``'auto'`` uses the number of
        distinct values of the table when it is categorical with at most
        ``max_closed_domain`` of them (a closed label set), else
        ``'observed'``.
    max_closed_domain : int, default 20
        See ``domain='auto'``.
    prior_reliability : float in (0, 1), default 0.5
        Prior mean of a source's reliability, and its starting value (the
        core counts a source it cannot judge as 0.5).
    prior_strength : float > 0, default 2.0
        Beta pseudo-counts of that prior, in units of informative answers
        (``1 - a`` each): a source with one answer stays near the prior.
    learn_prior : bool, default True
        With a closed label set, learn the prior probability of each value
        (a Dirichlet(1) posterior mean of the fused labels). Otherwise
        every candidate has the same prior.
    class_prior : float > 0, default 1.0
        Dirichlet pseudo-count of each value in that learned prior: the
        prior of value ``v`` is ``(m_v + class_prior) / (sum of m + K
        class_prior)``, ``m_v`` the posterior mass of ``v`` over the
        objects. The larger, the nearer the prior stays to uniform (the
        limit is ``learn_prior=False``). On held-out halves of the gold of
        the crowd sets, counts from 2 to 500 raise the mean accuracy by 0.1
        points at most and lower the log loss; but chosen on the other sets,
        a count costs product 0.75 points and relevance 0.31, so the default
        stays 1 (:doc:`/howto/crowd-labels`).
    guess : {'learned', 'uniform'}, default 'learned'
        On a closed label set, learn ``a`` per source and label (the
        source's guessing distribution, Dirichlet(1) prior) together with
        ``rho`` by the EM of MACE; ``'uniform'`` keeps ``a = 1/K``. Open-ended
        values always use ``a = 1/K``.
    adversarial : bool, default False
        Let a reliability fall below 0 (accuracy below chance), so that
        a systematically wrong source's confirmations count against a
        value, as in Dawid-Skene. By default it is clipped at 0 (ignored),
        which keeps the core's monotonicity: a confirmation never lowers
        a probability.
    dependence : {'auto', 'independent', 'learned'}, default 'auto'
        ``'learned'``: learn which sources depend on each other with the copy
        model of Dong et al. (2009, :mod:`credscore.models.copying`), each
        pair's copy rate estimated by maximum likelihood, the prior of
        dependence per pair ``min(0.2, 1 / (n_sources - 1))`` (a source
        copies about one other at most) and ``n_false`` from the observed
        domain (:func:`~credscore.models.copying.observed_false_values`).
        The pairs whose probability exceeds ``copy_threshold`` and whose copy
        rate reaches ``min_copy_rate`` are grouped (connected components)
        and each group is pooled with ``r`` = the mean over its pairs of
        ``P(dependent) x agreement``, the share of common objects on which
        the pair gives the same value (a dependent pair can have copied only
        those). The first round judges dependence before any truth, on the
        contested objects (every candidate equally likely, every source of
        accuracy ``prior_reliability``), so that a block of copies cannot
        first make itself the truth and then look like independent,
        accurate sources; each later round uses the fused values of the
        previous fit. EM runs afresh after each round, for at most
        ``copy_rounds`` rounds or until the groups are stable.
        ``'auto'`` (the default) learns dependence when the table can show
        it: categorical values forming a closed label set of 3 to
        :data:`~credscore.models.copying.CLOSED_DOMAIN` values, and no
        ``groups``. With two values a shared false value is also the only
        other answer, so copying cannot be told from two sources being
        accurate; on open domains (web sources with many values per object)
        the connected groups chain through the aggregators (measured on
        books and flights: 88 to 55 and 94 to 56 per cent), so there use
        :class:`~credscore.models.AccuCopy` or ``'learned'`` knowingly.
        :doc:`/explanation/copiers` has the figures.
    groups : mapping, optional
        Known dependence: ``{source_id: group label}``. Sources of one label
        are pooled with dependence ``group_dependence``; sources not in the
        mapping are independent. Not combined with ``dependence='learned'``.
    group_dependence : float in [0, 1], default 0.8
        Dependence ``r`` of the groups given by ``groups`` (the core's
        default for a group).
    copy_threshold : float in (0, 1), default 0.5
    copy_rounds : int, default 5
    min_copy_rate : float in [0, 1], default 0.75
        Least estimated copy rate of a pair grouped as dependent: crowd
        workers who are merely good agree often, but copiers copy nearly
        every value.
    copy_min_shared : int or "auto", default "auto"
        Judge dependence only for the pairs sharing at least this many
        objects (the pairs judged bound the memory, as ``min_shared`` of
        :class:`~credscore.models.AccuCopy`); the others are independent.
        ``"auto"``: ``ceil(log2(number of pairs of sources))``, kept within
        5-20 (:func:`~credscore.models.corroboration.min_shared_for`). The
        more pairs, the more of them look dependent by chance, and chance
        pairs chain into large groups: at 5,
        200 independent sources sharing about 10 objects a pair were mostly
        grouped and accuracy fell from 0.87 to 0.60
        (:doc:`/explanation/copiers`); at 20, eleven sources on 15 objects
        could not be judged at all (0.27 against 0.92).
    prior_groups : mapping, optional
        Kinds of sources known beforehand: ``{source_id: group label}``
        (say ``"anonymous"``, ``"registered"``, ``"bot"``). Each group's mean
        reliability is learned from its members (empirical Bayes), and each
        source's reliability is shrunk toward its group's mean by
        ``prior_strength`` pseudo-counts instead of toward
        ``prior_reliability``, so a source with few assertions gets the
        reliability of its kind; sources not in the mapping keep
        ``prior_reliability``. See :attr:`group_reliability_`.
    copiers : mapping or collection, optional
        Sources known to re-publish values they find (a bot that re-saves
        the page it edits, an aggregator): source ids, or ``{source_id:
        copy rate}``. Where another source gives the same value, a copier's
        confirmation counts as copied with probability ``copy_rate``
        (Dong et al. 2009): ``ln[(c + (1-c) P_t) / (c + (1-c) P_f)]``
        instead of ``ln(P_t / P_f)``. Its reliability is still learned from
        all its values. Categorical values only.
    copy_rate : float in [0, 1), default 0.8
        Copy rate ``c`` of the copiers given without one (the default of
        Dong et al. 2009).
    accelerate : bool, default False
        Converge with SQUAREM, as for :class:`~credscore.models.DawidSkene`.
    max_iter : int, default 1000
        EM with lone or rarely contested sources converges slowly.
    tol, seed, progress
        See :class:`~credscore.models.IterativeModel`.

    Attributes
    ----------
    reliability_ : ndarray of shape (n_sources,)
        Learned reliability ``rho`` of each source (for numeric tables, see
        Notes), on the core's scale: feed it to a case with
        :attr:`reliability_by_source_`.
    accuracy_ : ndarray of shape (n_sources,)
        Expected share of each source's assertions that are true (for
        numeric tables, the reliability).
    groups_ : ndarray of shape (n_sources,)
        Dependence group of each source (its own index when independent).
    dependence_ : ndarray of shape (n_groups,)
        Pooling dependence ``r`` of each group.

    Notes
    -----
    *M-step.* With ``a = 1/K`` fixed, the maximum-likelihood reliability matches
    the expected number of correct assertions: ``q = rho + (1 - rho) a``,
    so ``rho = (sum (P - a) + alpha) / (sum (1 - a) + alpha + beta)`` over
    the source's assertions, with ``P`` the posterior probability of the
    value it asserted and ``alpha, beta`` the Beta pseudo-counts. This is
    exact when ``a`` is the same on all of a source's objects (a closed
    label set) and a moment-matching step otherwise. With a learned ``a``
    the M-step is that of MACE: an assertion of a value with posterior
    ``P`` was known with probability ``P (1 - exp(-ell))`` and guessed
    otherwise; ``rho`` is the Beta-smoothed share of known assertions and
    ``g_s`` the Dirichlet-smoothed distribution of guessed labels. All statistics are sums
    over objects, so the model runs unchanged on object partitions
    (:mod:`credscore.dask`); learned dependence needs the whole table.

    *Values nobody asserted.* The E-step counts them: an object has ``K``
    possible values (the label set, or ``max(observed, 2)``), and a value
    no source gave keeps its prior weight. Without them a source alone on
    an object would be certain to be right there, and a source alone on
    many objects (a bot filling empty fields) would become infallible. With
    a uniform prior such an assertion's likelihood (``1/K``) does not depend
    on ``rho``, so it is left out of the M-step (the fixed point is the
    same, reached faster). The reported probabilities are renormalised over
    the asserted candidates, as :class:`~credscore.models.FusionResult`
    requires.

    *Numeric tables* use the Gaussian form of the same idea: source ``s``
    reports the truth plus noise of variance ``v_s``; the estimate is the
    precision-weighted mean, ``v_s`` is the expected squared error (with
    the posterior variance of the estimate) shrunk toward the table's pooled
    variance ``v0`` by ``prior_strength`` pseudo-observations, and the
    reliability is ``v0 / (v0 + v_s)`` (0.5 for an average source). The
    probability of a candidate value is its Gaussian likelihood given all
    reports, normalised over the object's candidates.

    *Known values.* ``fit(table, gold={object: value})`` holds the known
    objects at their value in every M-step: an assertion of the known value
    counts as right and every other as wrong, including an assertion alone
    on its object (its truth is given), and with a learned prior the known
    values count in it. On a closed label set a known value must be a label.
    With learned dependence, every judgement after the first takes the known
    objects as decided. The known objects are reported at their value.

    *Computation.* An assertion's ratio ``ell`` depends only on its source
    and on ``a`` (its value's guessing probability, or the object's ``K``),
    so ``ell`` and the M-step sums are computed per (source, column) cell
    and reached through one index per assertion, built once per table. An
    iteration is then two gathers and two ``bincount`` passes over the
    assertions plus per-claim work, or one compiled loop with the ``fast``
    extra (numba); both give the same fit to 1e-9 (``docs/explanation/kernels.md``;
    measured costs in ``docs/howto/speed.md``).

    References
    ----------
    A. P. Dawid and A. M. Skene, "Maximum likelihood estimation of observer
    error-rates using the EM algorithm", Applied Statistics 28(1), 1979.

    D. Hovy, T. Berg-Kirkpatrick, A. Vaswani and E. Hovy, "Learning whom to
    trust with MACE", NAACL-HLT 2013 (the knowing-or-guessing source).

    B. Zhao, B. I. P. Rubinstein, J. Gemmell and J. Han, "A Bayesian
    approach to discovering truth from conflicting sources for data
    integration", PVLDB 5(6), 2012 (Beta priors on source quality, here with
    their mean learned per group of sources).

    X. L. Dong, L. Berti-Equille and D. Srivastava, "Integrating conflicting
    data: the role of source dependence", PVLDB 2(1), 2009.

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([
    ...     ("s1", "x", "a"), ("s2", "x", "a"), ("s3", "x", "b"),
    ...     ("s1", "y", "c"), ("s2", "y", "c"), ("s3", "y", "c"),
    ... ])
    >>> m = Corroboration().fit(t)
    >>> m.result.truths()
    {'x': 'a', 'y': 'c'}
    >>> bool(m.reliability_[0] > m.reliability_[2])
    True
    >>> m.result.claim_probability.round(3).tolist()
    [0.967, 0.033, 1.0]

    Three honest sources against four copies of one careless source: blind
    to dependence, the copies win; with learned dependence (the default on
    this closed set of 21 values) they count once.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> rows = []
    >>> for o in range(100):
    ...     rows += [(f"h{h}", o, "t" if rng.random() < 0.9 else f"f{rng.integers(20)}")
    ...              for h in range(3)]
    ...     lie = "t" if rng.random() < 0.3 else f"f{rng.integers(20)}"
    ...     rows += [(f"c{c}", o, lie) for c in range(4)]
    >>> t = Table.from_rows(rows)
    >>> def right(result):
    ...     return sum(v == "t" for v in result.truths().values()) / 100
    >>> right(Corroboration(dependence="independent").fit_score(t)) < 0.5
    True
    >>> m = Corroboration().fit(t)
    >>> right(m.result) >= 0.95, m.groups_.tolist()
    (True, [0, 0, 0, 0, 1, 2, 3])
    """

    name: ClassVar[str] = "corroboration"
    kinds: ClassVar[frozenset[str]] = frozenset({"categorical", "numeric"})
    warm_keys: ClassVar[Mapping[str, Literal["source", "global", "same"]]] = {
        "k": "same",
        "values": "same",
        "reliability": "source",
        "accuracy": "source",
        "guess": "source",
        "variance": "source",
        "log_prior": "global",
    }
    signed_stats: ClassVar[frozenset[str]] = frozenset({"excess"})

    domain: int | Literal["auto", "observed"] = _v.choice(
        "auto",
        ("auto", "observed"),
        also=_v.is_integer_at_least(2),
        also_text="an integer >= 2",
    )
    max_closed_domain: int = _v.integer(20, low=0)
    prior_reliability: float = _v.number(0.5, low=0, high=1, open_low=True, open_high=True)
    prior_strength: float = _v.number(2.0, low=0, open_low=True)
    learn_prior: bool = _v.flag(True)
    class_prior: float = _v.number(CLASS_PRIOR, low=0, open_low=True)
    adversarial: bool = _v.flag(False)
    guess: Literal["learned", "uniform"] = _v.choice("learned", ("learned", "uniform"))
    max_iter: int = _v.integer(1000, low=1)
    dependence: Literal["auto", "independent", "learned"] = _v.choice(
        "auto", ("auto", "independent", "learned")
    )
    groups: Mapping[Any, Any] | None = _v.instance(
        None, (Mapping,), what="a mapping {source id: group}, or None", repr=False
    )
    group_dependence: float = _v.number(0.8, low=0, high=1)
    copy_threshold: float = _v.number(0.5, low=0, high=1, open_low=True, open_high=True)
    copy_rounds: int = _v.integer(5, low=1)
    min_copy_rate: float = _v.number(0.75, low=0, high=1)
    copy_min_shared: int | Literal["auto"] = _v.choice(
        "auto", ("auto",), also=_v.is_integer_at_least(1), also_text="an integer >= 1"
    )
    prior_groups: Mapping[Any, Any] | None = _v.instance(
        None, (Mapping,), what="a mapping {source id: group}, or None", repr=False
    )
    copiers: Mapping[Any, float] | Collection[Any] | None = _v.instance(
        None,
        (Mapping, Collection),
        what="a mapping {source id: copy rate} or a collection of source ids, or None",
        repr=False,
    )
    copy_rate: float = _v.number(0.8, low=0, high=1, open_high=True)
    accelerate: bool = _v.flag(False)

    _seed_groups: tuple[IntArray, FloatArray] | None = attrs.field(
        default=None, init=False, repr=False
    )

    # ------------------------------------------------------------------
    # learned state

    @property
    def accuracy_(self) -> FloatArray:
        """Expected share of each source's assertions that are true."""
        self._check_fitted()
        assert self._state is not None
        acc: FloatArray = self._state["accuracy"]
        return acc

    @property
    def groups_(self) -> IntArray:
        """Dependence group of each source."""
        self._check_fitted()
        assert self._state is not None
        g: IntArray = self._state["group"]
        return g

    @property
    def group_reliability_(self) -> dict[Any, float]:
        """``{group label: learned mean reliability}`` of the ``prior_groups``
        (for numeric tables, ``v0 / (v0 + group variance)``); empty without them.

        Examples
        --------
        >>> from credscore.table.table import Table
        >>> t = Table.from_rows([("ip1", "x", "a"), ("ann", "x", "b"), ("bob", "x", "b"),
        ...                      ("ann", "y", "c"), ("bob", "y", "c"), ("ip2", "y", "d")])
        >>> m = Corroboration(prior_groups={"ip1": "anon", "ip2": "anon"}).fit(t)
        >>> g = m.group_reliability_
        >>> list(g), g["anon"] < m.reliability_by_source_["ann"]
        (['anon'], True)
        """
        self._check_fitted()
        assert self._state is not None
        labels: list[Any] = self._state.get("prior_labels") or []
        means = self._state.get("prior_mean")
        if means is None:
            return {}
        if "v0" in self._state:
            means = self._state["v0"] / (self._state["v0"] + means)
        return dict(zip(labels, np.asarray(means, dtype=np.float64).tolist()))

    @property
    def dependence_(self) -> FloatArray:
        """Pooling dependence ``r`` of each group."""
        self._check_fitted()
        assert self._state is not None
        r: FloatArray = self._state["group_r"]
        return r

    @property
    def reliability_by_source_(self) -> dict[Any, float]:
        """``{source_id: reliability}``, each in the open interval (0, 1),
        ready to be used as a case's source reliabilities.

        Examples
        --------
        >>> from credscore.table.table import Table
        >>> t = Table.from_rows([("s1", "x", "a"), ("s2", "x", "a")])
        >>> sorted(Corroboration().fit(t).reliability_by_source_)
        ['s1', 's2']
        """
        rel = np.clip(self.reliability_, 1e-6, 1.0 - 1e-6)
        return dict(zip(self.result.table.source_ids.tolist(), rel.tolist()))

    def _check_fitted(self) -> None:
        self.result  # noqa: B018 -- raises NotFittedError when unfitted

    # ------------------------------------------------------------------
    # map-reduce protocol

    def init_state(self, table: Table) -> State:
        n_src = table.n_sources
        state: State = {
            "group": np.arange(n_src, dtype=np.int64),
            "group_r": np.zeros(n_src, dtype=np.float64),
            "grouped": False,
            "reliability": np.full(n_src, 0.5),
        }
        if table.numeric:
            values = np.asarray(table.claim_value, dtype=np.float64)[table.claim]
            cnt = np.bincount(table.object, minlength=table.n_objects)
            mean = np.bincount(table.object, weights=values, minlength=table.n_objects) / cnt
            dev = values - mean[table.object]
            v0 = float(np.mean(dev * dev))
            if not v0 > 0:
                v0 = 1.0
            # A spread near the smallest float would make precisions 1 / v
            # overflow; below 1e-280 it is taken as 1e-280.
            v0 = max(v0, _MIN_VARIANCE)
            state["v0"] = v0
            state["variance"] = np.full(n_src, v0)
            state["reliability"] = np.full(n_src, 0.5)
            state["accuracy"] = np.full(n_src, 0.5)
            self._known_sources(table, state)
            return state
        values = table.labels
        closed = self.domain == "auto" and values.shape[0] <= self.max_closed_domain
        if isinstance(self.domain, (int, np.integer)):
            k = int(self.domain)
        elif closed:
            k = int(values.shape[0])
        else:
            k = 2
        state["k"] = k
        state["values"] = values if closed else None
        state["log_prior"] = np.full(values.shape[0], -np.log(values.shape[0])) if closed else None
        state["reliability"] = np.full(n_src, self.prior_reliability)
        state["accuracy"] = np.full(n_src, np.nan)
        state["guess"] = (
            np.full((n_src, values.shape[0]), 1.0 / values.shape[0])
            if closed and self.guess == "learned"
            else None
        )
        if self._seed_groups is not None:
            state["group"], state["group_r"] = self._seed_groups
        elif self.groups is not None:
            state["group"], state["group_r"] = _declared_groups(
                table, self.groups, self.group_dependence
            )
        state["grouped"] = bool(np.any(state["group_r"] > 0))
        self._known_sources(table, state)
        return state

    def _known_sources(self, table: Table, state: State) -> None:
        """Add the prior groups and the copy rates given as settings to ``state``."""
        state["prior_group"] = None
        state["prior_labels"] = None
        state["prior_mean"] = None
        state["copy"] = None
        if self.prior_groups is not None:
            state["prior_group"], state["prior_labels"] = group_index(table, self.prior_groups)
        if self.copiers is not None:
            rates = copier_rates(table, self.copiers, self.copy_rate)
            state["copy"] = rates if np.any(rates > 0) else None

    def _layout(self, part: Table, state: State, local: dict[str, Any]) -> dict[str, Any]:
        """Arrays of one partition that depend only on its table and the label
        set, built on the first iteration and kept in ``local``.

        Every assertion's ratio depends only on its source and on one *column*:
        the value it asserts when the guessing probability ``a`` is learned
        per source and label, else the number ``K`` of possible values of its
        object (and, when lone assertions are left out of the M-step, whether
        it is alone). The ratios and the M-step sums are therefore computed
        per *cell* (source, column) and reached through one index per
        assertion, ``key``.
        """
        values = state["values"]
        learned = state["guess"] is not None
        prior_on = values is not None and self.learn_prior
        n_src = int(state["reliability"].shape[0])
        sig = (state["k"], None if values is None else int(values.shape[0]), learned, prior_on)
        lay: dict[str, Any] | None = local.get("layout")
        if lay is not None and lay["sig"] == (sig, n_src):
            return lay
        n_claims, n_obj = part.n_claims, part.n_objects
        object_start = np.ascontiguousarray(part.object_start, dtype=np.int64)
        k_obs = np.diff(object_start)
        k_dom = np.maximum(k_obs, state["k"])
        vc = None
        if values is not None:
            vc = np.searchsorted(values, part.claim_value).astype(np.intp, copy=False)
        skip: npt.NDArray[np.bool_] | None = None
        a_col: FloatArray | None = None
        if learned:
            assert vc is not None
            n_cols = int(values.shape[0])
            col_claim = vc
        else:
            # a = 1 / K: one column per distinct K of the partition's objects.
            k_vals, k_class = np.unique(k_dom, return_inverse=True)
            col_obj = k_class.reshape(-1).astype(np.intp)
            a_col = 1.0 / k_vals.astype(np.float64)
            if not prior_on:
                # With a uniform prior, assertions alone on their object are
                # left out of the M-step (see partition_stats): their own columns.
                per_claim = np.bincount(part.claim, minlength=n_claims)
                per_obj = np.add.reduceat(per_claim, object_start[:-1]) if n_obj else k_obs
                col_obj = col_obj + k_vals.shape[0] * (per_obj == 1)
                a_col = np.concatenate([a_col, a_col])
                skip = np.repeat(np.array([False, True]), k_vals.shape[0])
            n_cols = int(a_col.shape[0])
            col_claim = col_obj[part.claim_object]
        key = _cell_key(part.source, part.claim, col_claim, n_cols)
        if n_src * n_cols <= max(_DENSE_PER_ASSERTION * part.n_assertions, _DENSE_CELLS):
            dense = True
            cell_src = np.repeat(np.arange(n_src, dtype=np.intp), n_cols)
            cell_col = np.tile(np.arange(n_cols, dtype=np.intp), n_src)
        else:  # many columns: only the cells that occur
            dense = False
            cells, inverse = np.unique(key, return_inverse=True)
            key = inverse.reshape(-1).astype(np.intp)
            cell_src, cell_col = cells // n_cols, cells % n_cols
        n_cells = int(cell_src.shape[0])
        lay = {
            "sig": (sig, n_src),
            "n_src": n_src,
            "n_cols": n_cols,
            "n_cells": n_cells,
            "dense": dense,
            "object_start": object_start,
            "vc": vc,
            "key": key,
            "cell_src": cell_src,
            "cell_col": cell_col,
            "count": np.bincount(key, minlength=n_cells).astype(np.float64),
            "a_col": None if a_col is None else a_col[cell_col],
            "skip": None if skip is None else skip[cell_col],
            "prior_on": prior_on,
            "k_full": k_obs >= k_dom,
            "phantom": (k_dom - k_obs).astype(np.float64),
            "n_obj": n_obj,
        }
        local["layout"] = lay
        return lay

    @staticmethod
    def _numpy_layout(part: Table, state: State, lay: dict[str, Any]) -> None:
        """Add to ``lay`` the arrays only the numpy E-step reads (once)."""
        if "claim" in lay:
            return
        lay["claim"] = part.claim.astype(np.intp)
        lay["open"] = (~lay["k_full"]).astype(np.float64)
        lay["claim_object"] = part.claim_object.astype(np.intp)
        lay["value_sets"] = None
        if lay["prior_on"]:
            n_val = int(state["values"].shape[0])
            scratch = _scratch(lay, "buf_c", part.n_claims)
            sets = _value_sets(lay["vc"], lay["claim_object"], lay["object_start"], n_val, scratch)
            lay["value_sets"] = sets

    def _cell_ell(self, state: State, lay: dict[str, Any]) -> tuple[FloatArray, FloatArray]:
        """The confirmation ratio ``ell`` and the guessing probability ``a`` of each cell."""
        rho_c = state["reliability"][lay["cell_src"]]
        if state["guess"] is not None:
            guess = state["guess"]
            a = guess.reshape(-1) if lay["dense"] else guess[lay["cell_src"], lay["cell_col"]]
        else:
            a = lay["a_col"]
        return confirmation_llr(rho_c, a), a

    def _posterior(
        self,
        part: Table,
        state: State,
        local: dict[str, Any],
        *,
        stats: bool = True,
        shown: bool = False,
    ) -> dict[str, Any]:
        """E-step on one partition.

        Returns a dict with ``full``, the posterior of each claim counting
        the values nobody asserted (the E-step proper); ``unit``, the
        posterior of an unasserted value per unit of prior weight of each
        object (0 where every possible value was asserted); with ``shown``,
        ``shown``, the same renormalised over the asserted candidates (what
        is reported); with ``stats``, ``cell_p``, the posterior of the
        asserted value added up per cell, and (learned prior) ``mass``, the
        posterior mass of each value; and the layout and cell arrays.
        """
        lay = self._layout(part, state, local)
        ell, a = self._cell_ell(state, lay)
        out: dict[str, Any] = {"layout": lay, "ell": ell, "a": a}
        n_claims = part.n_claims
        score: FloatArray | None = None
        if state.get("copy") is not None:
            ell_a = _copied(part, state, ell, a, lay["key"], local)
            score = (
                _pool(part, ell_a, state, local)
                if state["grouped"]
                else _wsum(part.claim, ell_a, n_claims)
            )
        elif state["grouped"]:
            score = _pool(part, ell[lay["key"]], state, local)
        loops = _ck.loops()
        if loops is not None:
            return self._posterior_numba(
                loops, part, state, lay, score, out, stats=stats, shown=shown
            )
        return self._posterior_numpy(part, state, lay, score, out, stats=stats, shown=shown)

    def _posterior_numba(
        self,
        loops: dict[str, Any],
        part: Table,
        state: State,
        lay: dict[str, Any],
        score: FloatArray | None,
        out: dict[str, Any],
        *,
        stats: bool,
        shown: bool,
    ) -> dict[str, Any]:
        """The E-step of :meth:`_posterior` as one compiled loop."""
        ell = out["ell"]
        prior_on = lay["prior_on"]
        n_claims, n_obj = part.n_claims, lay["n_obj"]
        full = np.zeros(n_claims) if score is None else score
        unit = np.empty(n_obj)
        show = np.empty(n_claims if shown else 0)
        cell_p = np.zeros(lay["n_cells"] if stats else 0)
        n_val = state["values"].shape[0] if prior_on else 0
        mass_full = np.zeros(n_val)
        mass_unit = np.zeros(n_val)
        log_prior = state["log_prior"] if prior_on else np.zeros(0)
        loops["estep"](
            _ck.EStepLayout(
                lay["object_start"],
                part.claim,
                lay["key"],
                lay["vc"] if prior_on else np.zeros(0, dtype=np.intp),
                lay["k_full"],
                lay["phantom"],
            ),
            ell,
            _ck.EStepPrior(prior_on, log_prior, np.exp(log_prior)),
            _ck.EStepOut(
                full,
                score is not None,
                unit,
                show,
                shown,
                cell_p,
                stats,
                mass_full,
                mass_unit,
            ),
            _NO_SHIFT,
        )
        out.update(full=full, unit=unit, shown=show if shown else None)
        if stats:
            out["cell_p"] = cell_p
            if prior_on:
                missing = unit.sum() - mass_unit
                out["mass"] = mass_full + np.exp(log_prior) * missing
        return out

    def _posterior_numpy(
        self,
        part: Table,
        state: State,
        lay: dict[str, Any],
        score: FloatArray | None,
        out: dict[str, Any],
        *,
        stats: bool,
        shown: bool,
    ) -> dict[str, Any]:
        """The E-step of :meth:`_posterior` as numpy passes."""
        ell = out["ell"]
        prior_on = lay["prior_on"]
        n_claims, n_obj = part.n_claims, lay["n_obj"]
        self._numpy_layout(part, state, lay)
        co = lay["claim_object"]
        # Scratch arrays of the partition, reused from one iteration to the
        # next (fresh memory costs page faults at this size).
        buf_a = _scratch(lay, "buf_a", part.n_assertions)
        buf_c = _scratch(lay, "buf_c", n_claims)
        buf_o = _scratch(lay, "buf_o", n_obj)
        if score is None:
            score = _wsum(lay["claim"], _gather(ell, lay["key"], buf_a), n_claims)
        if prior_on:
            # Prior weight of the values no source gave ("phantom" candidates):
            # they carry no evidence, only their prior.
            vc = lay["vc"]
            log_prior = state["log_prior"]
            prior = np.exp(log_prior)
            score += _gather(log_prior, vc, buf_c)
            sets = lay["value_sets"]
            if sets is not None:
                # Prior weight of the values each object has, per distinct set
                # of values, not per claim.
                set_of, members = sets
                observed = _gather(members @ prior, set_of, buf_o)
            else:
                observed = _wsum(co, _gather(prior, vc, buf_c), n_obj)
            phantom = np.subtract(1.0, observed, out=buf_o)
            np.maximum(phantom, 0.0, out=phantom)
            phantom *= lay["open"]  # 0 where every possible value was asserted
        else:
            phantom = lay["phantom"]
        has = phantom > 0
        if n_claims and max(float(score.max()), -float(score.min())) <= _NO_SHIFT:
            # Every exp(score) is a normal number far from overflow: no shift
            # by the largest score of each object is needed.
            e = np.exp(score, out=score)
            asserted = _wsum(co, e, n_obj)
            if shown:
                out["shown"] = e / _gather(asserted, co, buf_c)
            asserted += phantom
            inv = np.divide(1.0, asserted, out=asserted)
            unit = np.multiply(inv, has, out=buf_o)
            full = np.multiply(e, _gather(inv, co, buf_c), out=e)
        else:
            log_phantom = np.full(n_obj, -np.inf)
            log_phantom[has] = np.log(phantom[has])
            top = np.maximum(np.maximum.reduceat(score, lay["object_start"][:-1]), log_phantom)
            e = np.exp(score - top[co])
            asserted = _wsum(co, e, n_obj)
            z = asserted + np.where(has, np.exp(log_phantom - top), 0.0)
            full = e / z[co]
            if shown:
                out["shown"] = e / asserted[co]
            unit = np.where(has, np.exp(-np.where(has, top, 0.0)) / z, 0.0)
        out.update(full=full, unit=unit)
        out.setdefault("shown", None)
        if stats:
            out["cell_p"] = _wsum(lay["key"], _gather(full, lay["claim"], buf_a), lay["n_cells"])
            if prior_on:
                # Posterior mass of each value, asserted or not (an unasserted
                # value v of object o has posterior prior_v * unit_o).
                n_val = state["values"].shape[0]
                sets = lay["value_sets"]
                if sets is not None:
                    set_of, members = sets
                    unit_in = _wsum(set_of, unit, members.shape[0]) @ members
                else:
                    unit_in = _wsum(vc, _gather(unit, co, buf_c), n_val)
                missing = unit.sum() - unit_in
                out["mass"] = _wsum(vc, full, n_val) + prior * missing
        return out

    def partition_stats(self, part: Table, state: State, local: dict[str, Any]) -> Stats:
        n_src = state["reliability"].shape[0]
        if part.numeric:
            est, total_w = _gaussian_estimate(part, state)
            x = np.asarray(part.claim_value, dtype=np.float64)[part.claim]
            err = x - est[part.object]
            sq = err * err + 1.0 / total_w[part.object]
            return {
                "sq": np.bincount(part.source, weights=sq, minlength=n_src),
                "n": np.bincount(part.source, minlength=n_src).astype(np.float64),
            }
        return self._source_stats(state, self._posterior(part, state, local), skip=True)

    def gold_stats(self, part: Table, state: State, local: dict[str, Any], gold: Gold) -> Stats:
        """:meth:`partition_stats` of a partition of known objects, each
        posterior certain of its known value: an assertion of that value is
        right, every other wrong. An assertion alone on its object counts
        here (with the truth known, its likelihood depends on ``rho``)."""
        n_src = state["reliability"].shape[0]
        if part.numeric:
            x = np.asarray(part.claim_value, dtype=np.float64)[part.claim]
            err = x - gold.numbers(part.n_objects)[part.object]
            return {
                "sq": np.bincount(part.source, weights=err * err, minlength=n_src),
                "n": np.bincount(part.source, minlength=n_src).astype(np.float64),
            }
        lay = self._layout(part, state, local)
        ell, a = self._cell_ell(state, lay)
        values = state["values"]
        # On a closed label set a known value must be a label (named error).
        codes = None if values is None else gold.labels(values, part, self.name)
        right = gold.right_claims(part.n_claims)
        post: dict[str, Any] = {
            "layout": lay,
            "ell": ell,
            "a": a,
            "cell_p": _wsum(lay["key"], right[part.claim], lay["n_cells"]),
        }
        if lay["prior_on"]:
            assert codes is not None and values is not None
            post["mass"] = _wsum(codes, np.ones(codes.shape[0]), int(values.shape[0]))
        return self._source_stats(state, post, skip=False)

    def _source_stats(self, state: State, post: dict[str, Any], *, skip: bool) -> Stats:
        """The M-step's sums per source from an E-step's ``post`` (see
        :meth:`_posterior`); ``skip`` leaves out the assertions alone on
        their object where the layout marks them."""
        n_src = state["reliability"].shape[0]
        lay = post["layout"]
        cell_p, count = post["cell_p"], lay["count"]

        def per_source(x: FloatArray) -> FloatArray:
            if lay["dense"]:
                out: FloatArray = x.reshape(n_src, lay["n_cols"]).sum(axis=1)
                return out
            return _wsum(lay["cell_src"], x, n_src)

        stats: Stats = {"hit": per_source(cell_p), "n": per_source(count)}
        if state["guess"] is not None:
            # MACE-style augmented EM: the source knew the value with probability
            # P * rho / (rho + (1 - rho) a) = P (1 - exp(-ell)), else it guessed.
            knew = -np.expm1(-post["ell"]) * cell_p
            n_val = state["values"].shape[0]
            stats["knew"] = per_source(knew)
            guessed = np.zeros(n_src * n_val)
            guessed[lay["cell_src"] * n_val + lay["cell_col"]] = count - knew
            stats["guessed"] = guessed.reshape(n_src, n_val)
        else:
            a = post["a"]
            excess = cell_p - a * count
            info = (1.0 - a) * count
            if skip and lay["skip"] is not None:
                # With a uniform prior, the likelihood of an assertion alone on
                # its object (1/K) does not depend on rho, and its term cancels
                # at the fixed point: leaving it out gives the same estimate,
                # faster.
                excess[lay["skip"]] = 0.0
                info[lay["skip"]] = 0.0
            stats["excess"] = per_source(excess)
            stats["info"] = per_source(info)
        if "mass" in post:
            stats["mass"] = post["mass"]
        return stats

    def update_state(self, state: State, stats: Stats) -> State:
        new = state.copy()
        s = self.prior_strength
        if "v0" in state:
            v0 = state["v0"]
            var = (stats["sq"] + s * v0) / (stats["n"] + s)
            if state.get("prior_group") is not None:
                var, new["prior_mean"] = group_shrinkage(
                    stats["sq"],
                    stats["n"],
                    state["prior_group"],
                    len(state["prior_labels"]),
                    v0,
                    s,
                )
            new["variance"] = var
            new["reliability"] = v0 / (v0 + var)
            new["accuracy"] = new["reliability"]
            return new
        alpha = s * self.prior_reliability
        if state["guess"] is not None:
            rho = (stats["knew"] + alpha) / (stats["n"] + s)
            g = stats["guessed"] + 1.0
            new["guess"] = g / g.sum(axis=1, keepdims=True)
        else:
            rho = (stats["excess"] + alpha) / (stats["info"] + s)
        if state.get("prior_group") is not None:
            # Shrink toward the learned mean of the source's group (empirical Bayes).
            num, den = (
                (stats["knew"], stats["n"])
                if state["guess"] is not None
                else (stats["excess"], stats["info"])
            )
            rho, new["prior_mean"] = group_shrinkage(
                num,
                den,
                state["prior_group"],
                len(state["prior_labels"]),
                self.prior_reliability,
                s,
            )
        lo = -1.0 if self.adversarial else 0.0
        new["reliability"] = np.clip(rho, lo, _RHO_MAX)
        n = stats["n"]
        with np.errstate(invalid="ignore", divide="ignore"):
            new["accuracy"] = np.where(n > 0, stats["hit"] / np.where(n > 0, n, 1.0), np.nan)
        if state["log_prior"] is not None and self.learn_prior:
            mass = stats["mass"]
            c = self.class_prior
            new["log_prior"] = np.log(mass + c) - np.log(mass.sum() + c * mass.shape[0])
        return new

    def claim_scores(
        self, part: Table, state: State, local: dict[str, Any]
    ) -> tuple[FloatArray, np.ndarray[Any, Any] | None]:
        if part.numeric:
            est, total_w = _gaussian_estimate(part, state)
            c = np.asarray(part.claim_value, dtype=np.float64)
            d = c - est[part.claim_object]
            score = -0.5 * total_w[part.claim_object] * d * d
            return _kernels.segment_softmax(score, part.object_start), est
        shown: FloatArray = self._posterior(part, state, local, stats=False, shown=True)["shown"]
        return shown, None

    # ------------------------------------------------------------------
    # fitting, with the optional outer loop over learned dependence

    def _check_settings(self, table: Table) -> None:
        if table.numeric and (self.dependence == "learned" or self.groups is not None):
            raise InvalidTableError(
                "value: dependence between sources (groups=, dependence='learned') "
                "needs categorical values"
            )
        if table.numeric and self.copiers is not None:
            raise InvalidTableError("value: copiers= needs categorical values")
        if self.dependence == "learned" and self.groups is not None:
            raise ValueError("groups: give either groups= or dependence='learned', not both")

    def estimate(self, table: Table) -> FusionResult:
        self._check_settings(table)
        if not self._learns_dependence(table):
            return super().estimate(table)
        n_src = table.n_sources
        return self._dependence_rounds(
            table,
            np.arange(n_src, dtype=np.int64),
            np.zeros(n_src),
            lambda: IterativeModel.estimate(self, table),
            first=None,
        )

    def estimate_gold(self, table: Table, gold: Gold) -> FusionResult:
        """:meth:`estimate` with the known objects held at their values in
        every iteration; with learned dependence, each judgement after the
        first also takes them as decided."""
        self._check_settings(table)
        if not self._learns_dependence(table):
            return super().estimate_gold(table, gold)
        n_src = table.n_sources
        return self._dependence_rounds(
            table,
            np.arange(n_src, dtype=np.int64),
            np.zeros(n_src),
            lambda: IterativeModel.estimate_gold(self, table, gold),
            first=None,
            gold=gold,
        )

    def estimate_warm(self, table: Table, previous: FusionResult) -> FusionResult:
        if not self._learns_dependence(table):
            return super().estimate_warm(table, previous)
        # Start from the dependence last judged: the old sources keep their
        # groups, new ones start alone; then judge again from the fused
        # values, as the later rounds of a fit do.
        old = self._state
        if old is None or len(old["group"]) != previous.table.n_sources:
            return self.estimate(table)  # pragma: no cover - a fitted model has a state
        at = np.searchsorted(table.source_ids, previous.table.source_ids)
        fresh = np.ones(table.n_sources, dtype=bool)
        fresh[at] = False
        n_old = int(old["group_r"].shape[0])
        group = np.empty(table.n_sources, dtype=np.int64)
        group[at] = old["group"]
        group[fresh] = n_old + np.arange(int(fresh.sum()))
        group, group_r = _canonical_groups(
            group, np.concatenate([old["group_r"], np.zeros(int(fresh.sum()))])
        )
        last = previous

        def fit() -> FusionResult:
            nonlocal last
            last = IterativeModel.estimate_warm(self, table, last)
            return last

        return self._dependence_rounds(table, group, group_r, fit, first=fit)

    def _dependence_rounds(
        self,
        table: Table,
        group: IntArray,
        group_r: FloatArray,
        fit: Callable[[], FusionResult],
        *,
        first: Callable[[], FusionResult] | None,
        gold: Gold | None = None,
    ) -> FusionResult:
        """The outer loop of learned dependence: judge which sources copy,
        fit with them pooled, judge again from the fused values, until the
        groups stop changing or ``copy_rounds`` rounds. ``first=None``
        starts from a judgement of agreement alone; else ``first`` fits with
        ``group``/``group_r`` before the first judgement. The objects of
        ``gold`` are judged at their known values."""
        n_src = table.n_sources
        # The copy model's chance that two independent wrong sources agree,
        # 1 / n_false, is this model's a: on a closed label set of K values,
        # n_false = K - 1; otherwise the observed domain. Each pair's copy rate
        # is estimated; a source is expected to copy at most about one other,
        # so the prior of dependence per pair is 1 / (n_sources - 1).
        min_shared = (
            min_shared_for(n_src) if self.copy_min_shared == "auto" else self.copy_min_shared
        )
        copy_settings: dict[str, Any] = {
            "copy_rate": None,
            "n_false": observed_false_values(table),
            "alpha": min(0.2, 1.0 / max(n_src - 1, 1)),
        }
        # The pairs sharing min_shared objects and their co-occurrences, found
        # once for every judgement of this table (the first judgement keeps
        # those on contested objects).
        found = candidate_cooccurrences(table, min_shared)

        def fit_with(g: IntArray, r: FloatArray, how: Callable[[], FusionResult]) -> FusionResult:
            self._seed_groups = (g, r)
            try:
                return how()
            finally:
                self._seed_groups = None

        result = None if first is None else fit_with(group, group_r, first)
        prob = np.zeros(0)
        accuracy = np.zeros(0)
        for _ in range(self.copy_rounds):
            if result is None:
                # First round: dependence judged from agreement alone (see
                # _neutral_copy_probabilities), so that a block of copies
                # cannot first make itself the truth and then look independent.
                i, j, p, c = _neutral_copy_probabilities(
                    table, found, min_shared, self.prior_reliability, copy_settings
                )
            else:
                # Later rounds compare sources with the fused values, taken
                # as decided: pooled posteriors are soft, and soft truths
                # understate accuracies, which makes any agreement look like
                # copying.
                prob = np.zeros(table.n_claims)
                prob[result.best_claim] = 1.0
                if gold is not None:
                    prob = gold.hold(table, prob)
                accuracy = _wsum(table.source, prob[table.claim], n_src) / np.bincount(
                    table.source, minlength=n_src
                )
                i, j, p, c = judge_pairs(table, prob, accuracy, found, **copy_settings)
            i = np.asarray(i, dtype=np.int64)
            j = np.asarray(j, dtype=np.int64)
            p = np.asarray(p, dtype=np.float64)
            keep = (p > self.copy_threshold) & (c >= self.min_copy_rate)
            i, j, p = i[keep], j[keep], p[keep]
            new_group, new_r = _dependence_groups(n_src, i, j, p * _agreement(table, i, j))
            if result is not None and (
                np.array_equal(new_group, group) and np.allclose(new_r, group_r)
            ):
                break
            group, group_r = new_group, new_r
            result = fit_with(group, group_r, fit)
        assert result is not None
        return result

    def fits_whole_table(self, table: Table) -> bool:
        return self._learns_dependence(table)

    def _learns_dependence(self, table: Table) -> bool:
        """Whether this fit learns dependence (see the ``dependence`` setting)."""
        if self.dependence != "auto":
            return self.dependence == "learned"
        if table.numeric or self.groups is not None:
            return False
        k = closed_labels(table)
        if k is None or k < 3:
            return False
        size = np.bincount(table.object, minlength=table.n_objects).astype(np.float64)
        pairs = float((size * (size - 1.0) / 2.0).sum())
        if pairs > AUTO_DEPENDENCE_PAIRS:
            warnings.warn(
                f"dependence: not learned: {pairs:,.0f} pairs of assertions share an object "
                f"(more than {AUTO_DEPENDENCE_PAIRS:,}); dependence='learned' judges them "
                "anyway, in time proportional to that number",
                CredscoreWarning,
                stacklevel=outside_stacklevel(),
            )
            return False
        return True


def min_shared_for(n_sources: int) -> int:
    """``copy_min_shared="auto"``: the least number of shared objects of a
    pair judged for dependence, ``ceil(log2(n (n - 1) / 2))`` within 5-20.

    Examples
    --------
    >>> [min_shared_for(n) for n in (3, 11, 200, 5000)]
    [5, 6, 15, 20]
    """
    pairs = max(n_sources * (n_sources - 1) / 2.0, 2.0)
    return int(min(20, max(5, math.ceil(math.log2(pairs)))))


AUTO_DEPENDENCE_PAIRS = 20_000_000
"""``dependence='auto'`` learns dependence only when at most this many pairs of
assertions share an object (the copy statistics take time in proportion to
them: some seconds at this bound)."""


def _declared_groups(
    table: Table, groups: Mapping[Any, Any], r: float
) -> tuple[IntArray, FloatArray]:
    """Group index of each source from ``{source_id: label}`` and each group's ``r``."""
    ids = source_mapping_ids(table, groups, "groups")
    # One label per source (per source, not per assertion); ungrouped sources
    # get a label of their own.
    labels = [("g", repr(groups[sid])) if sid in groups else ("s", k) for k, sid in enumerate(ids)]
    index = {lab: n for n, lab in enumerate(sorted(set(labels), key=repr))}
    group = np.array([index[lab] for lab in labels], dtype=np.int64)
    size = np.bincount(group, minlength=len(index))
    group_r: FloatArray = np.where(size > 1, float(r), 0.0)
    return group, group_r


def _cell_key(
    source: npt.NDArray[Any], claim: npt.NDArray[Any], col_claim: npt.NDArray[np.intp], n_cols: int
) -> npt.NDArray[np.intp]:
    """``source * n_cols + col_claim[claim]`` as intp, a block at a time (no
    temporary as large as the table: fresh memory costs page faults)."""
    n = source.shape[0]
    key = np.empty(n, dtype=np.intp)
    step = 1 << 20
    for lo in range(0, n, step):
        hi = min(lo + step, n)
        part = key[lo:hi]
        np.multiply(source[lo:hi], n_cols, out=part, dtype=np.intp)
        part += np.take(col_claim, claim[lo:hi])
    return key


def _value_sets(
    vc: npt.NDArray[np.intp],
    claim_object: npt.NDArray[np.intp],
    object_start: IntArray,
    n_val: int,
    scratch: FloatArray | None = None,
) -> tuple[npt.NDArray[np.intp], FloatArray] | None:
    """The distinct sets of values the objects have: the set of each object
    and a 0/1 matrix (sets x values) of their members; None for more than 52
    values (the sets are coded as bits of a float64). ``scratch``, of one
    float per claim, is used as working memory when given."""
    if n_val > 52 or vc.shape[0] == 0:
        return None
    # A claim's value as a bit; values are distinct within an object, so sums are sets.
    bits = _gather(np.ldexp(1.0, np.arange(n_val)), vc, scratch)
    code = np.bincount(claim_object, weights=bits, minlength=object_start.shape[0] - 1).astype(
        np.int64
    )
    if n_val <= 20:  # a table of every possible set is small: no sort
        seen = np.bincount(code, minlength=1 << n_val)
        sets = np.flatnonzero(seen)
        index = np.zeros(1 << n_val, dtype=np.intp)
        index[sets] = np.arange(sets.shape[0])
        set_of = index[code]
    else:
        sets, inverse = np.unique(code, return_inverse=True)
        set_of = inverse.reshape(-1).astype(np.intp)
    members = ((sets[:, None] >> np.arange(n_val)) & 1).astype(np.float64)
    return set_of, members


def _copied(
    part: Table,
    state: State,
    cell_ell: FloatArray,
    cell_a: FloatArray,
    key: npt.NDArray[np.intp],
    local: dict[str, Any],
) -> FloatArray:
    """The ratio of each assertion, a declared copier's discounted where
    another source gives the same value (see :func:`copied_llr`)."""
    cached = local.get("copied")
    if cached is None or cached[0] is not state["copy"]:
        rate = state["copy"][part.source]
        shared = np.bincount(part.claim, minlength=part.n_claims)[part.claim] > 1
        at = np.flatnonzero((rate > 0) & shared)
        cached = (state["copy"], at, rate[at])
        local["copied"] = cached
    _, at, rate = cached
    ell = cell_ell[key]
    if at.shape[0]:
        rho = state["reliability"][part.source[at]]
        ell[at] = copied_llr(rho, cell_a[key[at]], rate)
    return ell


def _pool(part: Table, ell: FloatArray, state: State, local: dict[str, Any]) -> FloatArray:
    """Sum over independent groups of the pooled ell of each claim."""
    n_claims = part.n_claims
    if not state["grouped"]:
        return _wsum(part.claim, ell, n_claims)
    group = state["group"]
    key_cache = local.get("pool_key")
    if key_cache is None or key_cache[0] is not group:
        g = group[part.source]
        order = np.lexsort((g, part.claim))
        cg = part.claim[order].astype(np.int64) * group.shape[0] + g[order]
        starts = np.flatnonzero(np.r_[True, cg[1:] != cg[:-1]])
        key_cache = (group, order, starts, part.claim[order][starts], g[order][starts])
        local["pool_key"] = key_cache
    _, order, starts, seg_claim, seg_group = key_cache
    r = state["group_r"][seg_group]
    e = ell[order]
    pos = np.maximum(e, 0.0)
    neg = np.minimum(e, 0.0)
    pooled = pool_rule(np.add.reduceat(pos, starts), np.maximum.reduceat(pos, starts), r)
    pooled += pool_rule(np.add.reduceat(neg, starts), np.minimum.reduceat(neg, starts), r)
    return _wsum(seg_claim, pooled, n_claims)


def _gaussian_estimate(part: Table, state: State) -> tuple[FloatArray, FloatArray]:
    """Precision-weighted mean of each object and its total precision."""
    w = 1.0 / state["variance"][part.source]
    x = np.asarray(part.claim_value, dtype=np.float64)[part.claim]
    total = _wsum(part.object, w, part.n_objects)
    est = _wsum(part.object, w * x, part.n_objects) / total
    return est, total


def _gather(
    table: FloatArray, index: npt.NDArray[np.intp], out: FloatArray | None = None
) -> FloatArray:
    """``table[index]``, into ``out`` when given (every index is valid, so
    ``mode="clip"`` changes nothing but lets numpy write ``out`` directly)."""
    got: FloatArray = np.take(table, index, out=out, mode="clip")
    return got


def _scratch(lay: dict[str, Any], name: str, n: int) -> FloatArray:
    """A float64 scratch array of length ``n`` kept in the layout ``lay``."""
    buf: FloatArray | None = lay.get(name)
    if buf is None or buf.shape[0] != n:
        buf = np.empty(n)
        lay[name] = buf
    return buf


def _wsum(index: npt.NDArray[Any], weights: FloatArray, n: int) -> FloatArray:
    """Sum of ``weights`` per value of ``index`` (``numpy.bincount``), as float64."""
    out: FloatArray = np.bincount(index, weights=weights, minlength=n).astype(
        np.float64, copy=False
    )
    return out


def _neutral_copy_probabilities(
    table: Table,
    found: Cooccurrences,
    min_shared: int,
    accuracy: float,
    settings: dict[str, Any],
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Copy probabilities judged before any truth, on the contested objects.

    Every candidate of an object is taken as equally likely and every source
    as equally accurate. Objects with a single candidate are left out: there
    sources agree by being right as often as by copying, so agreement says
    nothing; where sources disagree, copies still agree. The pairs judged are
    those sharing ``min_shared`` contested objects, among ``found`` (the
    co-occurrences of the pairs sharing ``min_shared`` objects).
    """
    m = np.diff(table.object_start)
    prob = np.where(m > 1, 1.0 / m, 1.0)[table.claim_object]
    contested = within_objects(table, found, m > 1, min_shared)
    return judge_pairs(table, prob, np.full(table.n_sources, accuracy), contested, **settings)


def _canonical_groups(group: IntArray, group_r: FloatArray) -> tuple[IntArray, FloatArray]:
    """The same groups numbered as :func:`_dependence_groups` numbers them:
    in the order of their first source.

    Examples
    --------
    >>> g, r = _canonical_groups(np.array([2, 0, 2, 1]), np.array([0.0, 0.0, 0.5]))
    >>> g.tolist(), r.tolist()
    ([0, 1, 0, 2], [0.5, 0.0, 0.0])
    """
    labels, first, inverse = np.unique(group, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(order.shape[0], dtype=np.int64)
    rank[order] = np.arange(order.shape[0])
    return rank[inverse.reshape(-1)], np.asarray(group_r, dtype=np.float64)[labels[order]]


def _dependence_groups(
    n: int, i: IntArray, j: IntArray, r: FloatArray
) -> tuple[IntArray, FloatArray]:
    """Connected components of the pairs ``(i, j)`` and, per group, the mean
    dependence ``r`` of its pairs (0 for a source on its own)."""
    label = np.arange(n, dtype=np.int64)
    if i.shape[0]:
        u = np.concatenate([i, j])
        v = np.concatenate([j, i])
        while True:
            # Each node takes the smallest label among itself and its
            # neighbours, then labels jump to their label's label.
            cand = label[v]
            order = np.lexsort((cand, u))
            uu, cc = u[order], cand[order]
            first = np.r_[True, uu[1:] != uu[:-1]]
            new = label.copy()
            new[uu[first]] = np.minimum(new[uu[first]], cc[first])
            new = new[new]
            if np.array_equal(new, label):
                break
            label = new
    _, group = np.unique(label, return_inverse=True)
    group = group.reshape(-1).astype(np.int64)
    n_groups = int(group.max()) + 1 if n else 0
    tot = _wsum(group[i], r, n_groups)
    cnt = np.bincount(group[i], minlength=n_groups)
    group_r: FloatArray = np.where(cnt > 0, tot / np.maximum(cnt, 1), 0.0)
    return group, group_r


def _agreement(table: Table, i: IntArray, j: IntArray) -> FloatArray:
    """For each pair, the share of the objects both sources cover on which
    they give the same value (a dependent pair can have copied only those)."""
    if i.shape[0] == 0:
        return np.zeros(0)
    n_obj = np.int64(table.n_objects)
    key = table.source.astype(np.int64) * n_obj + table.object
    order = np.argsort(key, kind="stable")
    skey, sclaim = key[order], table.claim[order]
    start = np.searchsorted(skey, np.arange(table.n_sources + 1, dtype=np.int64) * n_obj)
    counts = start[i + 1] - start[i]
    pair = np.repeat(np.arange(i.shape[0]), counts)
    offset = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    pos = np.repeat(start[i], counts) + offset  # the assertions of source i of each pair
    look = j[pair] * n_obj + (skey[pos] - i[pair] * n_obj)
    at = np.minimum(np.searchsorted(skey, look), skey.shape[0] - 1)
    found = skey[at] == look
    same = found & (sclaim[at] == sclaim[pos])
    shared = np.bincount(pair, weights=found, minlength=i.shape[0])
    agree = np.bincount(pair, weights=same, minlength=i.shape[0])
    out: FloatArray = np.where(shared > 0, agree / np.maximum(shared, 1.0), 0.0)
    return out


register_model(Corroboration)
