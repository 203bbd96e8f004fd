"""Fact-finders of the hubs-and-authorities kind: Sums, Average-Log, Investment
and PooledInvestment.

Each alternates between a *trust* score per source and a *belief* score per
claim (a distinct ``(object, value)`` pair). One iteration of the
:class:`~credscore.models.IterativeModel` map-reduce computes, from the
broadcast trust, the beliefs of the claims of a partition and returns per
source the sums over its claims; the new trust is formed in ``update_state``.

Scales and normalisation (common to the four models)
----------------------------------------------------
Trust and belief have no natural scale; following Pasternack & Roth (2010),
trust is divided by its largest value after every iteration, so that
``reliability`` is the trust *scaled into [0, 1]* (the most trusted source has
1). Each update is positively homogeneous in the trust (Sums and Average-Log
of degree 1, Investment of degree ``g``, PooledInvestment of degree 1), so
dividing the beliefs by their maximum as well, as the paper does, would only
multiply the next trust by a common factor that the division of the trust
removes again: it is skipped, and no global reduction over claims is needed.

Numeric values are accepted and treated as distinct candidates (two claims
agree only when their values are equal). Beliefs are non-negative;
``claim_probability`` is each claim's belief divided by the sum of the beliefs
of its object's claims (uniform over the object's claims when they are all
zero, which happens only when every source asserting them has zero trust).
These are ranking scores turned into shares, not calibrated probabilities.

Known values (``fit(table, gold=...)``, Sums and Average-Log): before every
trust update a known object's whole belief (the sum over its claims) goes to
its known value and none to its other claims, which keeps it on the scale of
the unknown objects' beliefs.

References
----------
.. [1] J. M. Kleinberg, "Authoritative sources in a hyperlinked environment",
   Journal of the ACM 46(5), 1999.
.. [2] J. Pasternack and D. Roth, "Knowing what to believe (when you already
   know something)", COLING 2010.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
import numpy as np
import numpy.typing as npt

from credscore import _validators as _v
from credscore.kernels import backend as _backend
from credscore.kernels import segments as _kernels
from credscore.models._gold import Gold
from credscore.models.base import (
    BaseState,
    FloatArray,
    InitReads,
    IterativeModel,
    Stats,
)
from credscore.models.registry import register_model
from credscore.table.table import Table

__all__ = ["AverageLog", "Investment", "PooledInvestment", "Sums"]

_PRIORS = ("voted", "uniform")


class HubState(BaseState, total=False):
    """The state of the Sums family and Investment: per-source arrays and scalars broadcast to every
    partition (:class:`~credscore.models.base.BaseState`)."""

    n_claims: FloatArray
    first: bool


State = HubState


def _scale_by_max(x: FloatArray) -> FloatArray:
    """``x / max(x)``; all zeros stay zeros."""
    top = float(np.max(x, initial=0.0))
    if top > 0.0:
        return x / top
    return np.zeros_like(x)


@attrs.frozen
class _Index:
    """A partition's index arrays in numpy's native integer type.

    ``numpy.bincount`` and ``numpy.take`` convert int32 indices to ``intp`` on
    every call; converting once per fit halves the time of an iteration.
    """

    source: npt.NDArray[np.intp]
    claim: npt.NDArray[np.intp]
    object: npt.NDArray[np.intp]


def _index(part: Table, local: dict[str, Any]) -> _Index:
    """The cached :class:`_Index` of ``part`` (made on first use)."""
    idx = local.get("index")
    if not isinstance(idx, _Index):
        idx = _Index(
            source=part.source.astype(np.intp),
            claim=part.claim.astype(np.intp),
            object=part.object.astype(np.intp),
        )
        local["index"] = idx
    return idx


def _prior(part: Table, prior: str) -> FloatArray:
    """The prior belief B0 of each claim: its share of the object's sources, or 1."""
    if prior == "uniform":
        return np.ones(part.n_claims)
    votes = np.bincount(part.claim, minlength=part.n_claims).astype(np.float64)
    per_object = np.bincount(part.claim_object, weights=votes, minlength=part.n_objects)
    out: FloatArray = votes / per_object[part.claim_object]
    return out


@attrs.define(kw_only=True)
class _SumsFamily(IterativeModel[State]):
    """Sums and Average-Log: belief = sum of the trust of the claim's sources."""

    kinds: ClassVar[frozenset[str]] = frozenset({"categorical", "numeric"})

    prior: str = _v.choice("voted", _PRIORS)

    def _trust_from(self, belief_sum: FloatArray, n_claims: FloatArray) -> FloatArray:
        raise NotImplementedError

    def init_state(self, table: Table) -> State:
        n_claims = np.bincount(table.source, minlength=table.n_sources).astype(np.float64)
        return {"reliability": np.ones(table.n_sources), "n_claims": n_claims, "first": True}

    def _beliefs(self, part: Table, state: State, local: dict[str, Any]) -> FloatArray:
        ix = _index(part, local)
        trust: FloatArray = state["reliability"]
        out: FloatArray = np.bincount(
            ix.claim, weights=np.take(trust, ix.source), minlength=part.n_claims
        ).astype(np.float64)
        return out

    def partition_stats(self, part: Table, state: State, local: dict[str, Any]) -> Stats:
        first = state["first"]
        ix = _index(part, local)
        n_sources = state["reliability"].shape[0]
        if not first:
            # belief = A trust, then A^T belief: one pass with numba.
            trust: FloatArray = state["reliability"]
            # The compiled loop reads the table's int32 arrays (half the
            # memory traffic); numpy's bincount wants its native intp.
            src, claim = (
                (part.source, part.claim)
                if _backend.backend() == "numba"
                else (ix.source, ix.claim)
            )
            return {
                "belief_sum": _kernels.sums_step(
                    src, claim, trust, part.n_claims, n_sources, cache=local
                )
            }
        return self._belief_sums(part, state, local, _prior(part, self.prior))

    def gold_stats(self, part: Table, state: State, local: dict[str, Any], gold: Gold) -> Stats:
        """The statistics of known objects: each object's whole belief (the
        sum over its claims, from the prior in the first iteration, else
        from the trust) goes to its known value and none to the others, so
        that its claims keep the scale of the unknown ones and its
        probabilities are 1 and 0 (Pasternack & Roth's prior knowledge,
        on the unnormalised beliefs of the module notes)."""
        belief = _prior(part, self.prior) if state["first"] else self._beliefs(part, state, local)
        total = np.bincount(part.claim_object, weights=belief, minlength=part.n_objects)
        held = gold.right_claims(part.n_claims) * total[part.claim_object]
        return self._belief_sums(part, state, local, held)

    def _belief_sums(
        self, part: Table, state: State, local: dict[str, Any], belief: FloatArray
    ) -> Stats:
        """Each source's sum of the beliefs of its claims."""
        ix = _index(part, local)
        n_sources = state["reliability"].shape[0]
        return {
            "belief_sum": np.bincount(
                ix.source, weights=np.take(belief, ix.claim), minlength=n_sources
            )
        }

    def update_state(self, state: State, stats: Stats) -> State:
        trust = _scale_by_max(self._trust_from(stats["belief_sum"], state["n_claims"]))
        return {**state, "reliability": trust, "first": False}

    def claim_scores(
        self, part: Table, state: State, local: dict[str, Any]
    ) -> tuple[FloatArray, np.ndarray[Any, Any] | None]:
        belief = self._beliefs(part, state, local)
        return _kernels.segment_normalize(belief, part.object_start), None


@attrs.define(kw_only=True)
class Sums(_SumsFamily):
    """Sums: hubs and authorities (HITS) applied to sources and claims.

    The trust of a source is the sum of the beliefs of its claims; the
    belief of a claim is the sum of the trust of the sources asserting it:

    .. math::

        T^i(s) = \\sum_{c \\in C_s} B^{i-1}(c), \\qquad
        B^i(c) = \\sum_{s \\in S_c} T^i(s),

    starting from the prior belief :math:`B^0` (see ``prior``), with the trust
    divided by its maximum after every iteration (see the module notes).

    Parameters
    ----------
    prior : {"voted", "uniform"}, default "voted"
        Prior belief :math:`B^0(c)` of each claim: the share of its object's
        sources that assert it, or 1 for every claim. With the uniform prior
        the first Investment step pays a lone source the whole belief of its
        claim, which rewards sources that disagree with everyone.
    max_iter, tol, seed, progress
        See :class:`~credscore.models.IterativeModel` (``seed`` is unused:
        the model is deterministic).

    Attributes
    ----------
    reliability_ : ndarray
        Trust of each source divided by the largest trust: in [0, 1].

    Notes
    -----
    ``claim_probability`` is the belief normalised within each object. A
    source that asserts many claims gains trust from their number as well as
    from their quality, which is why Pasternack & Roth introduced
    Average-Log.

    References
    ----------
    .. [1] J. M. Kleinberg, "Authoritative sources in a hyperlinked
       environment", Journal of the ACM 46(5), 1999.
    .. [2] J. Pasternack and D. Roth, "Knowing what to believe (when you
       already know something)", COLING 2010.

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([("a", "x", "1"), ("b", "x", "1"), ("c", "x", "2"),
    ...                      ("a", "y", "5"), ("c", "y", "6")])
    >>> r = Sums(max_iter=20, tol=0).fit_score(t)
    >>> r.truths()
    {'x': '1', 'y': '5'}
    >>> r.reliabilities()["a"]
    1.0
    """

    name: ClassVar[str] = "sums"
    init_reads: ClassVar[InitReads] = "source_counts"

    def _trust_from(self, belief_sum: FloatArray, n_claims: FloatArray) -> FloatArray:
        return belief_sum


@attrs.define(kw_only=True)
class AverageLog(_SumsFamily):
    """Average-Log: Sums with the trust of a source averaged over its claims
    and weighted by the logarithm of their number.

    .. math::

        T^i(s) = \\log|C_s| \\cdot \\frac{\\sum_{c \\in C_s} B^{i-1}(c)}{|C_s|},
        \\qquad B^i(c) = \\sum_{s \\in S_c} T^i(s),

    from the prior belief :math:`B^0` (see ``prior``), trust divided by its
    maximum after every iteration.

    Parameters
    ----------
    prior : {"voted", "uniform"}, default "voted"
        Prior belief :math:`B^0(c)` of each claim: the share of its object's
        sources that assert it, or 1 for every claim. With the uniform prior
        the first Investment step pays a lone source the whole belief of its
        claim, which rewards sources that disagree with everyone.
    max_iter, tol, seed, progress
        See :class:`~credscore.models.IterativeModel` (``seed`` is unused).

    Attributes
    ----------
    reliability_ : ndarray
        Trust divided by the largest trust, in [0, 1].

    Notes
    -----
    A source asserting a single claim has :math:`\\log 1 = 0` and so zero
    trust: its assertions do not count. When *every* source asserts one
    claim, all trust is zero and every candidate of an object gets the same
    probability; use majority vote on such tables.

    References
    ----------
    .. [1] J. Pasternack and D. Roth, "Knowing what to believe (when you
       already know something)", COLING 2010.

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([("a", "x", "1"), ("b", "x", "1"), ("c", "x", "2"),
    ...                      ("a", "y", "5"), ("b", "y", "5"), ("c", "y", "6")])
    >>> r = AverageLog(max_iter=20, tol=0).fit_score(t)
    >>> r.truths()
    {'x': '1', 'y': '5'}
    """

    name: ClassVar[str] = "average-log"
    init_reads: ClassVar[InitReads] = "source_counts"

    def _trust_from(self, belief_sum: FloatArray, n_claims: FloatArray) -> FloatArray:
        out: FloatArray = np.log(n_claims) * belief_sum / n_claims
        return out


@attrs.define(kw_only=True)
class Investment(IterativeModel[State]):
    """Investment: sources invest their trust evenly in their claims and are
    paid back in proportion to their share of each claim's belief.

    .. math::

        H^i(c) &= \\sum_{r \\in S_c} T^i(r) / |C_r|, \\\\
        T^{i+1}(s) &= \\sum_{c \\in C_s} B^i(c)
            \\frac{T^i(s) / |C_s|}{H^i(c)}, \\qquad
        B^i(c) = G(H^i(c)) = H^i(c)^g,

    from :math:`T^0 = 1` and the prior belief :math:`B^0` (see ``prior``),
    the trust divided by its maximum after every iteration (the update is
    homogeneous of degree ``g`` in the trust, so this changes only the scale).

    Parameters
    ----------
    g : float, default 1.2
        Exponent of the belief function :math:`G(x) = x^g`, 1.2 in the paper.
    prior : {"voted", "uniform"}, default "voted"
        Prior belief :math:`B^0(c)` of each claim: the share of its object's
        sources that assert it, or 1 for every claim. With the uniform prior
        the first Investment step pays a lone source the whole belief of its
        claim, which rewards sources that disagree with everyone.
    max_iter, tol, seed, progress
        See :class:`~credscore.models.IterativeModel` (``seed`` is unused).

    Attributes
    ----------
    reliability_ : ndarray
        Trust divided by the largest trust, in [0, 1].

    Notes
    -----
    ``claim_probability`` is :math:`H(c)^g` normalised within each object.
    With ``g > 1`` the trust of weak sources shrinks geometrically and may
    reach 0 after many iterations; their claims then get belief 0.

    References
    ----------
    .. [1] J. Pasternack and D. Roth, "Knowing what to believe (when you
       already know something)", COLING 2010.

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([("a", "x", "1"), ("b", "x", "1"), ("c", "x", "2"),
    ...                      ("a", "y", "5"), ("b", "y", "5"), ("c", "y", "6")])
    >>> r = Investment(max_iter=20, tol=0).fit_score(t)
    >>> r.truths()
    {'x': '1', 'y': '5'}
    >>> r.reliabilities()["c"] < r.reliabilities()["a"]
    True
    """

    name: ClassVar[str] = "investment"
    init_reads: ClassVar[InitReads] = "source_counts"
    kinds: ClassVar[frozenset[str]] = frozenset({"categorical", "numeric"})

    g: float = _v.number(1.2, low=0, high=10, open_low=True)
    prior: str = _v.choice("voted", _PRIORS)

    def init_state(self, table: Table) -> State:
        n_claims = np.bincount(table.source, minlength=table.n_sources).astype(np.float64)
        return {
            "reliability": np.ones(table.n_sources),
            "n_claims": n_claims,
            "first": True,
        }

    def _invested(self, part: Table, state: State, local: dict[str, Any]) -> FloatArray:
        """H(c): the trust invested in each claim of the partition."""
        ix = _index(part, local)
        share: FloatArray = state["reliability"] / state["n_claims"]
        out: FloatArray = np.bincount(
            ix.claim, weights=np.take(share, ix.source), minlength=part.n_claims
        ).astype(np.float64)
        return out

    def _return_rate(self, part: Table, invested: FloatArray) -> FloatArray:
        """B(c) / H(c): what each unit of trust invested in a claim earns."""
        out = np.zeros_like(invested)
        np.power(invested, self.g - 1.0, out=out, where=invested > 0)
        return out

    def partition_stats(self, part: Table, state: State, local: dict[str, Any]) -> Stats:
        invested = self._invested(part, state, local)
        if state["first"]:
            # Prior belief B0; H > 0 on every asserted claim because every
            # source starts with trust 1 (a claim nobody made earns nothing).
            rate = np.divide(
                _prior(part, self.prior),
                invested,
                out=np.zeros_like(invested),
                where=invested > 0,
            )
        else:
            rate = self._return_rate(part, invested)
        ix = _index(part, local)
        n_sources = state["reliability"].shape[0]
        return {
            "earned": np.bincount(ix.source, weights=np.take(rate, ix.claim), minlength=n_sources)
        }

    def update_state(self, state: State, stats: Stats) -> State:
        trust = state["reliability"] / state["n_claims"] * stats["earned"]
        return {**state, "reliability": _scale_by_max(trust), "first": False}

    def _beliefs(self, part: Table, state: State, local: dict[str, Any]) -> FloatArray:
        invested = self._invested(part, state, local)
        return invested * self._return_rate(part, invested)

    def claim_scores(
        self, part: Table, state: State, local: dict[str, Any]
    ) -> tuple[FloatArray, np.ndarray[Any, Any] | None]:
        belief = self._beliefs(part, state, local)
        return _kernels.segment_normalize(belief, part.object_start), None


@attrs.define(kw_only=True)
class PooledInvestment(Investment):
    """PooledInvestment: Investment with the belief of each claim pooled
    linearly among the mutually exclusive claims of its object.

    .. math::

        B^i(c) = H^i(c) \\frac{G(H^i(c))}{\\sum_{d \\in M_c} G(H^i(d))},
        \\qquad G(x) = x^g,

    where :math:`M_c` are the claims of the same object as :math:`c` and
    :math:`H` and the trust update are those of :class:`Investment`.

    Parameters
    ----------
    g : float, default 1.4
        Exponent of :math:`G`, 1.4 in the paper.
    prior : {"voted", "uniform"}, default "voted"
        Prior belief :math:`B^0(c)` of each claim: the share of its object's
        sources that assert it, or 1 for every claim. With the uniform prior
        the first Investment step pays a lone source the whole belief of its
        claim, which rewards sources that disagree with everyone.
    max_iter, tol, seed, progress
        See :class:`~credscore.models.IterativeModel` (``seed`` is unused).

    Attributes
    ----------
    reliability_ : ndarray
        Trust divided by the largest trust, in [0, 1].

    Notes
    -----
    ``claim_probability`` is the belief normalised within each object,
    i.e. proportional to :math:`H(c)^{1+g}`. Where all the claims of an
    object have :math:`H = 0` the pooling weights are taken uniform.

    The trust converges slowly (on the Books and Flight data its largest
    change shrinks by about 0.5% per iteration, so ``tol=1e-6`` is not
    reached within the default ``max_iter``), but the truths settle early:
    they are the same after 30 and after 1,000 iterations on those data.

    References
    ----------
    .. [1] J. Pasternack and D. Roth, "Knowing what to believe (when you
       already know something)", COLING 2010.

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([("a", "x", "1"), ("b", "x", "1"), ("c", "x", "2"),
    ...                      ("a", "y", "5"), ("b", "y", "5"), ("c", "y", "6")])
    >>> r = PooledInvestment(max_iter=20, tol=0).fit_score(t)
    >>> r.truths()
    {'x': '1', 'y': '5'}
    """

    name: ClassVar[str] = "pooled-investment"
    init_reads: ClassVar[InitReads] = "source_counts"

    g: float = _v.number(1.4, low=0, high=10, open_low=True)

    def _return_rate(self, part: Table, invested: FloatArray) -> FloatArray:
        # B / H = G(H) / sum of G(H) over the object's claims.
        return _kernels.segment_normalize(invested**self.g, part.object_start)


register_model(Sums)
register_model(AverageLog)
register_model(Investment)
register_model(PooledInvestment)
