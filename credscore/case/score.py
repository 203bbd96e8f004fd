"""The default model: dependence-aware corroboration (:doc:`/explanation/model`).

Every report becomes a log-likelihood ratio (LLR); reports of dependent
sources are pooled before independent clusters are added; the sum moves the
claim's prior log-odds. See ``docs/explanation`` for the derivation and for
what changed from the design document.

The likelihood of a report, for a source of reliability rho (the chance it
knows the truth), a propensity ``a`` to assert the claim anyway when it does
not know, and a bias ``lam`` (the chance that, knowing the claim false, it
asserts it all the same because the claim serves it)::

    P(confirms | true)  = rho + (1 - rho) a
    P(confirms | false) = rho lam + (1 - rho) a
    ell = w ln[(rho + (1 - rho) a) / (rho lam + (1 - rho) a)]

With ``lam = 0`` this is the formula of :doc:`/explanation/model`; with ``lam > 0`` (a
self-serving statement) the ratio is at most ``1 / lam`` however reliable the
source, which is what keeps a single self-serving confirmation below 0.8.
The two-component "knows or guesses" likelihood follows the one-coin model
of Dawid & Skene (1979); discounting interested testimony follows Schum,
*The Evidential Foundations of Probabilistic Reasoning* (1994), ch. 3.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Mapping
from datetime import datetime
from statistics import NormalDist
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from credscore import _validators as _v
from credscore.case.compile import CompiledCase, compile_case, csr_gather, timestamp
from credscore.case.evidence import Evidence
from credscore.case.explain import EvidenceBreakdown
from credscore.case.model import ADMIRALTY_RELIABILITY, Case, Claim, Source, loose_ends
from credscore.case.pooling import Tree, build_tree, make_plan, pool
from credscore.case.result import Breakdown, Scores
from credscore.errors import CredscoreWarning, InvalidCaseError
from credscore.semantics import (
    CONFIRMS,
    CROWD_DEPENDENCE,
    DENIES,
    NESTED_DEPENDENCE,
    NO_COMMENT,
    OBSERVES,
    RETRACTS,
    TOP_LEVEL_DEPENDENCE,
    expit,
    llr,
    logit,
)

__all__ = ["CROWD_LABEL", "CorroborationModel"]

#: How explanations name the crowd of unaffiliated sources of unknown reliability.
CROWD_LABEL = "the crowd of unaffiliated sources of unknown reliability"

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

ReliabilitySpec = Mapping[str, "float | str"] | Callable[[Source, Claim], "float | None"] | None
DependenceFn = Callable[[Source, Source], float]


@attrs.define(kw_only=True)
class CorroborationModel:
    """Dependence-aware corroboration: the default scoring model.

    Parameters
    ----------
    prior : float
        Prior probability of a claim that sets none.
    unknown_reliability : float
        Reliability of a source that cannot be judged (Admiralty F or none).
    reliability : mapping, callable or None
        Custom source weights: a mapping from source id, or from source
        ``kind``, to a probability or Admiralty letter (ids win over kinds), or
        a callable ``(source, claim) -> float``. Sources it does not cover keep
        the case's reliability.
    crowd_dependence : float
        Dependence of the crowd: the sources with no affiliation and a
        reliability that cannot be judged (anonymous accounts, unnamed
        sources) are pooled as one group, so that many of them do not count
        as that many independent witnesses. 0 counts each as independent.
    dependence : callable, optional
        ``(source_a, source_b) -> float`` in [0, 1], called for pairs of
        sources that report on a common claim; a positive value joins them as
        a ``depends`` link would.
    nested_dependence, top_level_dependence : float
        Dependence of an undeclared group two or more levels deep (one
        government, one newspaper group) and of a top-level group (a country).
    propensity, self_serving_propensity, against_interest_propensity : float
        Chance a source asserts (or denies) a claim it knows nothing about:
        for a neutral claim, one that serves it, one that hurts it.
    self_serving_bias : float
        Chance a source that knows a self-serving claim is false asserts it
        anyway. Caps the LLR of one self-serving confirmation at
        ``-ln(self_serving_bias)``.
    self_serving_denial_bias : float
        The same for a party denying a claim that hurts it (close to 1: such a
        denial says little).
    observes_weight : float
        Weight of an ``observes`` report ("reports say") relative to a
        confirmation; 0 by default (it is not an endorsement).
    threshold : float
        An LLR at least this large is "clear": it counts as an independent
        confirmation, or as a credible denial.
    interval : float
        Coverage of the interval around each probability.
    reliability_spread, unknown_reliability_spread, dependence_spread : float
        Uncertainty behind the interval: the logit-scale half-width of a known
        and of an unknown reliability, and the half-width of a group's
        dependence, at 80% coverage (scaled for other coverages).

    Examples
    --------
    >>> from credscore.examples import kursk
    >>> scores = CorroborationModel().score(kursk())
    >>> round(scores["nk-casualties"].probability, 3), scores["nk-casualties"].grade
    (0.953, 1)

    Custom source weights: by source id, by source ``kind``, or a function of
    the source and the claim (here: unnamed sources count for little on any
    claim about numbers).

    >>> by_kind = CorroborationModel(reliability={"anonymous": 0.3, "pentagon": "A"})
    >>> by_kind.score(kursk()).sources["intel-sources"]
    0.3
    >>> def weigh(source, claim):
    ...     if source.kind == "anonymous" and any(ch.isdigit() for ch in claim.text):
    ...         return 0.2
    ...     return None  # keep the case's own reliability
    >>> s = CorroborationModel(reliability=weigh).score(kursk())["nk-11000"]
    >>> s.probability < CorroborationModel().score(kursk())["nk-11000"].probability
    True

    A custom dependence function: treat every two governments as sharing a
    third of their information.

    >>> def dep(a, b):
    ...     return 1 / 3 if a.kind == b.kind == "government" else 0.0
    >>> s = CorroborationModel(dependence=dep).score(kursk())["nk-casualties"]
    >>> s.independent_confirmations
    2
    """

    prior: float = _v.number(0.5, low=0, high=1, open_low=True, open_high=True)
    unknown_reliability: float = _v.number(0.3, low=0, high=1, open_low=True, open_high=True)
    reliability: ReliabilitySpec = attrs.field(default=None)
    dependence: DependenceFn | None = _v.callback(
        what="a callable (source, source) -> [0, 1], or None"
    )
    nested_dependence: float = _v.number(NESTED_DEPENDENCE, low=0, high=1)
    top_level_dependence: float = _v.number(TOP_LEVEL_DEPENDENCE, low=0, high=1)
    propensity: float = _v.number(0.5, low=0, high=1, open_low=True, open_high=True)
    self_serving_propensity: float = _v.number(0.7, low=0, high=1, open_low=True, open_high=True)
    against_interest_propensity: float = _v.number(
        0.1, low=0, high=1, open_low=True, open_high=True
    )
    self_serving_bias: float = _v.number(0.35, low=0, high=1, open_high=True)
    self_serving_denial_bias: float = _v.number(0.9, low=0, high=1, open_high=True)
    observes_weight: float = _v.number(0.0, low=0, high=1)
    threshold: float = _v.number(0.4, low=0)
    interval: float = _v.number(0.8, low=0, high=1, open_low=True, open_high=True)
    reliability_spread: float = _v.number(0.5, low=0)
    unknown_reliability_spread: float = _v.number(1.0, low=0)
    dependence_spread: float = _v.number(0.15, low=0)
    crowd_dependence: float = _v.number(CROWD_DEPENDENCE, low=0, high=1)

    name = "corroboration"

    @reliability.validator
    def _check_reliability(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None or callable(value):
            return
        if not isinstance(value, Mapping):
            raise TypeError(
                "reliability: expected a mapping, a callable (source, claim) -> float or None, "
                f"got {type(value).__name__}"
            )
        for key, v in value.items():
            _resolve_value(v, str(key))

    # -- public -----------------------------------------------------------------

    def score(self, case: Case | CompiledCase, *, as_of: str | datetime | None = None) -> Scores:
        """Score every claim of a case.

        Parameters
        ----------
        case : Case or CompiledCase
        as_of : ISO 8601 string or datetime, optional
            Ignore reports made after this time. A bare date means the end of
            that day; reports without a time are left out (with a
            :class:`~credscore.errors.CredscoreWarning`).

        Returns
        -------
        Scores
        """
        cc = case if isinstance(case, CompiledCase) else compile_case(case)
        self._warn_loose(cc)
        return self.scores(self.evidence(cc, as_of=as_of))

    def _warn_loose(self, cc: CompiledCase) -> None:
        """Warn of references that match nothing (see :func:`loose_ends`), and
        of custom weights keyed by an id or kind no source has."""
        problems = loose_ends(cc.case)
        spec = self.reliability
        if isinstance(spec, Mapping):
            known = set(cc.source_ids) | {s.kind for s in cc.case.sources if s.kind}
            for key in spec:
                if key not in known:
                    problems.append(
                        InvalidCaseError("reliability", str(key), "no source has this id or kind")
                    )
        for p in problems:
            warnings.warn(f"{p}; it changes no probability", CredscoreWarning, stacklevel=4)

    def scores(self, ev: Evidence, *, breakdown: Breakdown | None = None) -> Scores:
        """The scores of a run's evidence: pooled log-odds and interval,
        independent confirmations, flags, and the breakdown for explanations
        (default :class:`~credscore.case.explain.EvidenceBreakdown`)."""
        model = self
        cc = ev.compiled
        n_c, n_s = cc.n_claims, cc.n_sources
        nominal, lo, hi, captured = model.passes(ev)
        prior = model.priors(cc)
        base = logit(prior)
        log_odds = base + nominal
        clear = captured > model.threshold
        indep = np.bincount(ev.plan.capture_claim[clear], minlength=n_c).astype(np.int64)
        # (an entry whose learned or configured strength is 0 carries nothing)
        has_ev = np.bincount(ev.claim[ev.ell != 0], minlength=n_c) > 0

        conf = ev.ell > 0
        n_conf = np.bincount(ev.claim[conf], minlength=n_c)
        # Every entry's origin is its position (the speaker, or the absent source
        # it stands in for), so distinct origins are the plan's leaf segments.
        plan = ev.plan
        if plan.n_entries:
            conf_sorted = conf if plan.in_order else conf[plan.order]
            seg_conf = np.maximum.reduceat(conf_sorted, plan.leaf_starts)
            origins = np.bincount(plan.leaf_claim[seg_conf], minlength=n_c)
        else:
            origins = np.zeros(n_c, dtype=np.int64)
        speakers = origins.copy()
        standin = conf & (ev.speaker != ev.position)
        if standin.any():
            touched = np.zeros(n_c, dtype=bool)
            touched[ev.claim[standin]] = True
            sel = conf & touched[ev.claim]
            speakers[touched] = _count_distinct(ev.claim[sel], ev.speaker[sel], n_c, n_s)[touched]
        # Self-serving is the claim's own flag: whether the claim itself serves
        # the confirming source, not the claim a report came through.
        serves_here, _ = cc.interest(ev.position[conf], ev.claim[conf])
        not_interested = np.bincount(ev.claim[conf][~serves_here], minlength=n_c)
        contested = (
            np.bincount(ev.claim[(ev.ell < -model.threshold) & ~ev.interested], minlength=n_c) > 0
        )
        _, hurts = cc.interest(ev.speaker[conf], ev.claim[conf])
        acknowledged = np.bincount(ev.claim[conf][hurts], minlength=n_c) > 0
        flags = np.stack(
            [
                (speakers == 1) & (origins == 1),
                (speakers >= 2) & (origins == 1),
                (n_conf > 0) & (not_interested == 0),
                contested,
                cc.claim_has_harms & ~acknowledged,
            ],
            axis=1,
        )
        return Scores.build(
            cc,
            log_odds=log_odds,
            prior=prior,
            lower=expit(base + lo),
            upper=expit(base + hi),
            interval=self.interval,
            independent_confirmations=indep,
            contested=contested,
            has_evidence=has_ev,
            flags=flags,
            source_reliability=ev.source_reliability,
            breakdown=EvidenceBreakdown(ev) if breakdown is None else breakdown,
            counted=ev.kept,
            group_dependence=self._group_dependence(cc),
        )

    # -- the pipeline ----------------------------------------------------------

    def source_reliability(self, cc: CompiledCase) -> FloatArray:
        """Reliability of every source before claim-specific adjustments."""
        rel = cc.source_reliability.copy()
        spec = self.reliability
        if isinstance(spec, Mapping):
            for i, s in enumerate(cc.case.sources):
                key = s.id if s.id in spec else s.kind
                if key is not None and key in spec:
                    v = _resolve_value(spec[key], s.id)
                    rel[i] = np.nan if v is None else v
        rel[np.isnan(rel)] = self.unknown_reliability
        return rel

    def _known(self, cc: CompiledCase) -> BoolArray:
        """Which sources have a reliability that can be judged."""
        known = ~np.isnan(cc.source_reliability)
        spec = self.reliability
        if isinstance(spec, Mapping):
            for i, s in enumerate(cc.case.sources):
                key = s.id if s.id in spec else s.kind
                if key is not None and key in spec:
                    known[i] = _resolve_value(spec[key], s.id) is not None
        return known

    def _group_dependence(self, cc: CompiledCase) -> FloatArray:
        """Each group's dependence: declared, else the default for its depth."""
        dep = cc.group_dependence.copy()
        undeclared = np.isnan(dep)
        dep[undeclared] = np.where(
            cc.group_depth[undeclared] >= 2, self.nested_dependence, self.top_level_dependence
        )
        return dep

    def tree(self, cc: CompiledCase) -> Tree:
        """The pooling tree for a compiled case (groups, declared and custom links)."""
        dep = self._group_dependence(cc)
        links = [
            (int(a), int(b), float(r))
            for a, b, r in zip(cc.link_a.tolist(), cc.link_b.tolist(), cc.link_r.tolist())
        ]
        if self.dependence is not None:
            links += self._custom_links(cc)
        source_group, group_parent, group_ids = cc.source_group, cc.group_parent, cc.group_ids
        crowd = self._crowd(cc)
        if crowd.any():
            # The crowd is one more top-level group, after the case's own.
            source_group = np.where(crowd, cc.n_groups, source_group)
            group_parent = np.append(group_parent, -1)
            group_ids = [*group_ids, CROWD_LABEL]  # type: ignore[assignment]
            dep = np.append(dep, self.crowd_dependence)
        return build_tree(cc.source_ids, source_group, group_parent, group_ids, dep, links)

    def _crowd(self, cc: CompiledCase) -> BoolArray:
        """The sources pooled as one crowd: no affiliation, reliability unknown."""
        if self.crowd_dependence == 0:
            return np.zeros(cc.n_sources, dtype=bool)
        crowd: BoolArray = (cc.source_group < 0) & ~self._known(cc)
        return crowd

    def _custom_links(self, cc: CompiledCase) -> list[tuple[int, int, float]]:
        assert self.dependence is not None
        by_claim: dict[int, set[int]] = {}
        for s, c in zip(cc.report_source.tolist(), cc.report_claim.tolist()):
            by_claim.setdefault(c, set()).add(s)
        pairs = {(a, b) for ss in by_claim.values() for a in ss for b in ss if a < b}
        out = []
        for a, b in sorted(pairs):
            sa, sb = cc.case.sources[a], cc.case.sources[b]
            r = self.dependence(sa, sb)
            if isinstance(r, bool) or not isinstance(r, (int, float)) or not 0 <= r <= 1:
                raise InvalidCaseError(
                    "dependence", f"{sa.id}+{sb.id}", f"must lie in [0, 1], got {r!r}"
                )
            if r > 0:
                out.append((a, b, float(r)))
        return out

    def evidence(self, cc: CompiledCase, *, as_of: str | datetime | None = None) -> Evidence:
        """Turn the compiled reports into pooled-ready evidence entries."""
        tree = self.tree(cc)
        # 1. as_of, then a source's latest report on a claim supersedes the others.
        kept, kept_pair = _latest_reports(cc, tree, as_of)
        # 2. Citations: absorbed, or standing in for the cited source.
        absorbed, standin, position, origin = _resolve_citations(
            cc, tree, kept, kept_pair, self.observes_weight
        )
        src = cc.report_source[kept]
        clm = cc.report_claim[kept]

        # 3. Evidence-carrying reports.
        stance = cc.report_stance[kept]
        carries = (stance == CONFIRMS) | (stance == DENIES)
        if self.observes_weight > 0:
            carries |= stance == OBSERVES
        ev = np.flatnonzero(carries & ~absorbed)
        e_report = kept[ev]
        e_speaker = src[ev]
        e_pos = position[ev]
        e_claim = clm[ev]
        e_stance = stance[ev]
        e_standin = standin[ev]
        weight = cc.report_weight[e_report].copy()
        weight[e_stance == OBSERVES] *= self.observes_weight

        base = self.source_reliability(cc)
        known = self._known(cc)
        rho = base[e_pos].copy()
        if callable(self.reliability):
            rho = self._call_reliability(cc, e_pos, e_claim)
            spk = self._call_reliability(cc, e_speaker, e_claim)
        else:
            spk = base[e_speaker]
        rho = np.where(e_standin, rho * spk, rho)
        unknown = ~known[e_pos] | (e_standin & ~known[e_speaker])

        serves, hurts = cc.interest(e_pos, e_claim)
        deny = e_stance == DENIES
        # Propensity a and bias lam by (stance, interest), looked up in one go:
        # code = 3 * deny + (1 if the claim serves the source, 2 if it hurts it).
        # A confirmation that serves the source is self-serving; a denial of a
        # claim that hurts the denier is too; the opposite cases are against
        # interest (low propensity, no bias).
        code = 3 * deny + serves + 2 * hurts
        a_of = np.array(
            [
                self.propensity,
                self.self_serving_propensity,
                self.against_interest_propensity,
                self.propensity,
                self.against_interest_propensity,
                self.self_serving_propensity,
            ]
        )
        lam_of = np.array(
            [0.0, self.self_serving_bias, 0.0, 0.0, 0.0, self.self_serving_denial_bias]
        )
        interested_of = np.array([False, True, False, False, False, True])
        a = a_of[code]
        lam = lam_of[code]
        interested = interested_of[code]
        sign = np.where(deny, -1.0, 1.0)

        # 4. Implication and contradiction: which claims each entry bears on.
        ent, tgt, e_sign, implied = _spread_over_links(cc, e_claim, sign)

        plan = make_plan(tree, tgt, e_pos[ent], cc.n_claims)
        rho_e, w_e, a_e, lam_e = rho[ent], weight[ent], a[ent], lam[ent]
        ell = e_sign * llr(rho_e, a_e, lam=lam_e, weight=w_e)
        return Evidence(
            compiled=cc,
            tree=tree,
            plan=plan,
            kept=kept,
            absorbed=absorbed,
            origin=origin,
            claim=tgt,
            report=e_report[ent],
            speaker=e_speaker[ent],
            position=e_pos[ent],
            ell=ell,
            interested=interested[ent],
            implied=implied,
            source_reliability=base,
            sign=e_sign,
            rho=rho_e,
            unknown=unknown[ent],
            weight=w_e,
            a=a_e,
            lam=lam_e,
            propensity=self.propensity,
        )

    def _call_reliability(self, cc: CompiledCase, source: IntArray, claim: IntArray) -> FloatArray:
        fn = self.reliability
        assert callable(fn)
        out = np.empty(source.shape[0])
        cache: dict[tuple[int, int], float] = {}
        for k, (s, c) in enumerate(zip(source.tolist(), claim.tolist())):
            v = cache.get((s, c))
            if v is None:
                src, clm = cc.case.sources[s], cc.case.claims[c]
                v = fn(src, clm)
                if v is None:
                    v = (
                        src.probability
                        if src.probability is not None
                        else self.unknown_reliability
                    )
                v = _resolve_value(v, src.id)
                if v is None:
                    v = self.unknown_reliability
                cache[(s, c)] = v
            out[k] = v
        return out

    def passes(self, ev: Evidence) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Pooled LLR per claim at nominal, pessimistic and optimistic inputs,
        and the net LLR of every (claim, cluster) at nominal inputs."""
        n_c = ev.compiled.n_claims
        r = ev.tree.dependence
        nominal, captured = pool(ev.plan, ev.ell, r, r, n_c, capture=True)
        z = NormalDist().inv_cdf(0.5 + self.interval / 2) / NormalDist().inv_cdf(0.9)
        spread = np.where(ev.unknown, self.unknown_reliability_spread, self.reliability_spread) * z
        with np.errstate(divide="ignore"):  # rho = 0 (underflow): logit -inf, the limit
            lr = np.log(ev.rho) - np.log1p(-ev.rho)
        rho_lo = expit(lr - spread)
        rho_hi = expit(lr + spread)
        ds = self.dependence_spread * z
        r_up = np.where(ev.tree.uncertain, np.clip(r + ds, 0.0, 1.0), r)
        r_dn = np.where(ev.tree.uncertain, np.clip(r - ds, 0.0, 1.0), r)
        pos = ev.sign > 0
        pess = ev.sign * llr(np.where(pos, rho_lo, rho_hi), ev.a, lam=ev.lam, weight=ev.weight)
        opt = ev.sign * llr(np.where(pos, rho_hi, rho_lo), ev.a, lam=ev.lam, weight=ev.weight)
        lo, _ = pool(ev.plan, pess, r_up, r_dn, n_c)
        hi, _ = pool(ev.plan, opt, r_dn, r_up, n_c)
        return nominal, lo, hi, captured

    def priors(self, cc: CompiledCase) -> FloatArray:
        """Prior of every claim, raised to at least the prior of any claim
        implying it (so that A implies B can never start with p(A) > p(B))."""
        prior = np.where(np.isnan(cc.claim_prior), self._default_prior(cc), cc.claim_prior)
        if cc.implies_order.shape[0] and not np.all(prior == prior[0]):
            # One pass in topological order: each claim takes the largest
            # prior of the claims implying it directly, which already hold
            # the largest of theirs.
            best = prior.tolist()
            ptr = cc.implied_by_ptr.tolist()
            up = cc.implied_by.tolist()
            for c in cc.implies_order.tolist():
                for p in up[ptr[c] : ptr[c + 1]]:
                    if best[p] > best[c]:
                        best[c] = best[p]
            prior = np.asarray(best, dtype=np.float64)
        return prior

    def _default_prior(self, cc: CompiledCase) -> float | FloatArray:
        """The prior of a claim that sets none (one number, or one per claim)."""
        return self.prior


def _as_of_timestamp(as_of: str | datetime) -> float:
    """``as_of`` in seconds; a bare date means the end of that day, so every
    report made on it counts."""
    try:
        t = timestamp(as_of)
    except InvalidCaseError as exc:
        raise InvalidCaseError("as_of", None, exc.problem) from None
    if isinstance(as_of, str) and _BARE_DATE.fullmatch(as_of.strip()):
        t += 86400.0 - 1e-3
    return t


_BARE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _resolve_value(v: Any, id: str) -> float | None:
    if isinstance(v, str):
        letter = v.strip().upper()
        if letter not in ADMIRALTY_RELIABILITY:
            raise InvalidCaseError(
                "reliability", id, f"must be a letter A-F or a probability, got {v!r}"
            )
        return ADMIRALTY_RELIABILITY[letter]
    if (
        isinstance(v, bool)
        or not isinstance(v, (int, float))
        or not math.isfinite(v)
        or not 0 < v < 1
    ):
        raise InvalidCaseError("reliability", id, f"must lie in (0, 1), got {v!r}")
    return float(v)


def _count_distinct(
    claim: npt.NDArray[np.int64], other: npt.NDArray[np.int64], n: int, m: int
) -> Any:
    if claim.shape[0] == 0:
        return np.zeros(n, dtype=np.int64)
    u = np.unique(claim * max(m, 1) + other)
    return np.bincount(u // max(m, 1), minlength=n)


def _latest_reports(
    cc: CompiledCase, tree: Tree, as_of: str | datetime | None
) -> tuple[IntArray, IntArray]:
    """The reports that count: made by ``as_of``, and of several reports of one
    source on one claim only the one that supersedes the others. Returns them
    with their (claim, tree position) keys, sorted by key."""
    n_s = cc.n_sources

    keep = np.ones(cc.n_reports, dtype=bool)
    if as_of is not None:
        # An untimed report has no place in time: it is left out of any
        # as_of reading (it counts when the whole case is scored).
        keep &= cc.report_time <= _as_of_timestamp(as_of)
        untimed = cc.report_time == -np.inf
        n_untimed = int(np.count_nonzero(untimed))
        if n_untimed:
            keep &= ~untimed
            warnings.warn(
                f"as_of: {n_untimed:,} report(s) without a time left out (an untimed "
                "report counts only when the whole case is scored)",
                CredscoreWarning,
                stacklevel=5,
            )
    idx = np.flatnonzero(keep)
    # Sorted by (claim, position of the source in the tree), so that the
    # evidence usually arrives in the order pooling needs it.
    pair = cc.report_claim[idx] * n_s + tree.rank[cc.report_source[idx]]
    order = np.argsort(pair, kind="stable")
    idx, pair = idx[order], pair[order]
    dup = np.zeros(idx.shape[0], dtype=bool)
    dup[1:] = pair[1:] == pair[:-1]
    dup[:-1] |= dup[1:]
    if dup.any():
        # Several reports of one source on one claim: order them so the one
        # that supersedes the others comes last (what the source said,
        # confirms, denies or retracts, over its silence or an observation,
        # whenever made: silence after speaking is no retraction; then the
        # latest; then the more cautious stance; then the smaller weight;
        # then the cited source).
        # An untimed retraction is the source's last word on the claim. The
        # cited source is compared by id, so input order never decides.
        rows = np.flatnonzero(dup)
        sub = idx[rows]
        time = cc.report_time[sub].copy()
        time[(time == -np.inf) & (cc.report_stance[sub] == RETRACTS)] = np.inf
        cites = cc.report_cites[sub]
        cited_rank = np.full(cites.shape[0], -1, dtype=np.int64)
        has_cite = cites >= 0
        if has_cite.any():
            cited = np.unique(cites[has_cite])  # by index; ranked below by id
            by_id = sorted(range(cited.shape[0]), key=lambda k: cc.source_ids[cited[k]])
            rank = np.empty(cited.shape[0], dtype=np.int64)
            rank[by_id] = np.arange(cited.shape[0])
            cited_rank[has_cite] = rank[np.searchsorted(cited, cites[has_cite])]
        st = cc.report_stance[sub]
        said = (st == CONFIRMS) | (st == DENIES) | (st == RETRACTS)
        o = np.lexsort((cited_rank, -cc.report_weight[sub], st, time, said, pair[rows]))
        idx[rows] = sub[o]
        time = time[o]
    last = np.ones(idx.shape[0], dtype=bool)
    last[:-1] = pair[1:] != pair[:-1]
    if dup.any():
        # Reports tied with the last on time, stance and weight, that differ
        # only in whom they cite, are all kept: no order or name decides
        # between them (each stands in for, or is absorbed by, its own source).
        t_all = np.full(idx.shape[0], np.nan)
        t_all[rows] = time
        key = np.stack(
            [t_all, cc.report_stance[idx].astype(np.float64), cc.report_weight[idx]], axis=1
        )
        # Sorted, a pair's reports tied with its last one end its run: compare
        # each with the last of its pair (NaN, for a pair of one, never ties).
        ends = np.flatnonzero(last)
        its_last = ends[np.searchsorted(ends, np.arange(idx.shape[0]))]
        last |= np.all(key == key[its_last], axis=1)
    kept = idx[last]
    kept_pair = pair[last]  # sorted

    return kept, kept_pair


def _resolve_citations(
    cc: CompiledCase, tree: Tree, kept: IntArray, kept_pair: IntArray, observes_weight: float
) -> tuple[BoolArray, BoolArray, IntArray, IntArray]:
    """For every kept report: whether it is absorbed (it cites a source who
    spoke for itself on the claim), whether it stands in for the source it
    cites (who did not), the tree position it is pooled at, and the source its
    information comes from. Returns ``(absorbed, standin, position, origin)``."""
    n_s = cc.n_sources
    # Absorbed when the cited source speaks for itself on the
    # claim, else the citing report stands in for it.
    src = cc.report_source[kept]
    clm = cc.report_claim[kept]
    cites = cc.report_cites[kept]
    citing = cites >= 0
    if citing.any():
        cited_pair = clm * n_s + tree.rank[np.where(citing, cites, 0)]
        j = np.searchsorted(kept_pair, cited_pair)
        j = np.minimum(j, max(kept_pair.shape[0] - 1, 0))
        has_own = citing & (kept_pair.shape[0] > 0) & (kept_pair[j] == cited_pair)
    else:
        j = np.zeros(kept.shape[0], dtype=np.int64)
        has_own = citing
    # The cited source speaks for itself unless all it said was "no comment"
    # (or an observation that carries no weight): silence must change nothing.
    cited_stance = cc.report_stance[kept[j]] if kept.shape[0] else np.zeros(0, np.int8)
    silent = cited_stance == NO_COMMENT
    if observes_weight == 0:
        silent |= cited_stance == OBSERVES
    has_own &= ~silent
    # A relay that agrees with what the cited source said in its own name
    # stays beside it at that source's place, where pooling takes the
    # stronger of the two: the source's own weak word never replaces a
    # stronger relay of it (so adding a report never weakens the claim).
    if citing.any():
        own_rep = kept[j]
        agrees = (
            has_own
            & (cc.report_stance[kept] == cited_stance)
            & (cc.report_cites[own_rep] < 0)
            & ((cited_stance == CONFIRMS) | (cited_stance == DENIES))
        )
        has_own &= ~agrees
    absorbed = has_own
    standin = citing & ~has_own
    position = np.where(standin, cites, src)
    origin = np.where(citing, np.where(standin, cites, -1), src)
    # An absorbed report's origin is that of the report it cites: follow the
    # chains by pointer jumping, so a chain of n citations takes log2(n)
    # passes (citations have no cycles; Case checks).
    todo = np.flatnonzero(origin < 0)
    hop = j.copy()
    for _ in range(64):  # 2**64 hops: any chain that fits in memory
        if not todo.shape[0]:
            break
        nxt = hop[todo]
        found = origin[nxt]
        origin[todo] = found  # -1 where the cited report is unresolved too
        hop[todo] = hop[nxt]
        todo = todo[found < 0]

    return absorbed, standin, position, origin


def _spread_over_links(
    cc: CompiledCase, e_claim: IntArray, sign: FloatArray
) -> tuple[IntArray, IntArray, FloatArray, BoolArray]:
    """Which claims each evidence entry bears on through ``implies`` and
    ``contradicts``: a confirmation also confirms what its claim implies and
    counts against what contradicts it; a denial counts against what implies
    its claim. Returns, per (entry, claim) pair, the entry, the claim, the
    sign it bears with and whether it arrives through a link."""
    n = e_claim.shape[0]
    ent = np.arange(n, dtype=np.int64)
    tgt = e_claim.copy()
    neg_sign = np.ones(n, dtype=bool)  # True: entry keeps its own sign
    implied = np.zeros(n, dtype=bool)
    pos_rows = np.flatnonzero(sign > 0)
    o, d = cc.descendants(e_claim[pos_rows])
    ent = np.concatenate([ent, pos_rows[o]])
    tgt = np.concatenate([tgt, d])
    neg_sign = np.concatenate([neg_sign, np.ones(d.shape[0], dtype=bool)])
    implied = np.concatenate([implied, np.ones(d.shape[0], dtype=bool)])
    # positive entries (own or implied) count against contradicting claims
    is_pos = sign[ent] > 0
    o, d = csr_gather(cc.contra_ptr, cc.contra, tgt[is_pos])
    c_ent = ent[is_pos][o]
    ent = np.concatenate([ent, c_ent])
    tgt = np.concatenate([tgt, d])
    neg_sign = np.concatenate([neg_sign, np.zeros(d.shape[0], dtype=bool)])
    implied = np.concatenate([implied, np.ones(d.shape[0], dtype=bool)])
    # negative entries (denials and contradictions) count against implying claims
    negative = np.where(neg_sign, sign[ent], -sign[ent]) < 0
    rows = np.flatnonzero(negative)
    o, d = cc.ancestors(tgt[rows])
    ent = np.concatenate([ent, ent[rows][o]])
    tgt = np.concatenate([tgt, d])
    neg_sign = np.concatenate([neg_sign, neg_sign[rows][o]])
    implied = np.concatenate([implied, np.ones(d.shape[0], dtype=bool)])
    if ent.shape[0] > n:  # one entry per (report, claim)
        key = tgt * max(n, 1) + ent
        _, first = np.unique(key, return_index=True)
        ent, tgt, neg_sign, implied = ent[first], tgt[first], neg_sign[first], implied[first]
    e_sign = np.where(neg_sign, sign[ent], -sign[ent])

    return ent, tgt, e_sign, implied
