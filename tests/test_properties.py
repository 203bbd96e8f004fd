"""The properties of DESIGN.md section 5, one test each, over generated cases."""

from __future__ import annotations

import math
import random
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import credscore
from credscore import strategies as cst
from credscore.case.model import Case, Claim, Group, Link, Report, Source, Stance
from credscore.case.result import Scores
from tests.reference_corroboration import closure

LATE = "2030-01-01"

#: The model under test: the default one here; tests/test_properties_learned.py
#: runs every test of this module again with a learned model in its place.
MODEL: Any = globals().get("MODEL")
#: The prior of a claim that sets none, under MODEL.
DEFAULT_PRIOR: float = 0.5 if MODEL is None else MODEL.parameters_["base_rate"]["all"]


def _score(case: Case) -> Scores:
    return credscore.score(case, model=MODEL)


def probabilities(case: Case) -> dict[str, float]:
    return {s.id: s.probability for s in _score(case)}


def log_odds(case: Case) -> dict[str, float]:
    return {s.id: s.log_odds for s in _score(case)}


def new_voices(case: Case, claim: str) -> list[str]:
    """Sources with no report on ``claim`` whom no report on ``claim`` cites."""
    busy = {r.source for r in case.reports if r.claim == claim}
    busy |= {r.cites for r in case.reports if r.claim == claim and r.cites is not None}
    return [s.id for s in case.sources if s.id not in busy]


def add(case: Case, *reports: Report, sources: tuple[Source, ...] = ()) -> Case:
    return case.replace(sources=case.sources + sources, reports=case.reports + reports)


@st.composite
def case_and_claim(draw: st.DrawFn, **kw: object) -> tuple[Case, str]:
    case = draw(cst.cases(**kw))  # type: ignore[arg-type]
    return case, draw(st.sampled_from([c.id for c in case.claims]))


# -- 1 --------------------------------------------------------------------------


def effective_prior(case: Case, claim_id: str) -> float:
    """The claim's prior, raised to that of any claim implying it."""
    ancestors = closure(case, "up")[claim_id]
    priors = [case.claim(c).prior for c in (claim_id, *ancestors)]
    return max(DEFAULT_PRIOR if p is None else p for p in priors)


@given(cst.cases(), st.none() | st.floats(0.01, 0.99))
def test_probability_bounds_interval_and_no_evidence(case: Case, prior: float | None) -> None:
    """0 ≤ p ≤ 1, and 0 < p < 1 whenever the posterior log-odds are below 30 in
    size; the interval contains p; with no evidence p = prior and grade 6."""
    case = case.replace(claims=(*case.claims, Claim("silent", prior=prior)))
    case = add(case, Report(case.sources[0].id, "silent", "no_comment"))
    scores = _score(case)
    for s in scores:
        assert 0.0 <= s.probability <= 1.0
        assert math.isfinite(s.log_odds)
        if abs(s.log_odds) < 30:
            assert 0.0 < s.probability < 1.0
        lo, hi = s.interval
        assert 0.0 <= lo <= s.probability <= hi <= 1.0
        if not any(c.adjusted for c in s.contributions):
            assert s.probability == pytest.approx(effective_prior(case, s.id), abs=1e-12)
            assert s.grade == 6
    silent = scores["silent"]
    assert silent.probability == pytest.approx(
        DEFAULT_PRIOR if prior is None else prior, abs=1e-12
    )
    assert silent.grade == 6
    assert silent.interval[0] == pytest.approx(silent.interval[1], abs=1e-12)


# -- 2 --------------------------------------------------------------------------


@given(case_and_claim(), st.data())
def test_confirmation_never_lowers_and_new_group_raises(
    cc: tuple[Case, str], data: st.DataObject
) -> None:
    """Adding a confirmation never lowers p; from a new independent group it
    strictly raises it. Adding a denial never raises p."""
    case, claim = cc
    before = _score(case)[claim]
    voices = new_voices(case, claim)
    if voices:
        who = data.draw(st.sampled_from(voices))
        w = data.draw(st.floats(0.05, 1.0))
        conf = _score(add(case, Report(who, claim, "confirms", weight=w)))[claim]
        assert conf.probability >= before.probability - 1e-12
        assert conf.log_odds >= before.log_odds - 1e-9
        deny = _score(add(case, Report(who, claim, "denies", weight=w)))[claim]
        assert deny.probability <= before.probability + 1e-12
        assert deny.log_odds <= before.log_odds + 1e-9
    # a new source in a new top-level group: independent of everyone
    fresh = Source("fresh", reliability=data.draw(cst.reliabilities()), affiliation="fresh/x")
    after = _score(add(case, Report("fresh", claim, "confirms"), sources=(fresh,)))[claim]
    assert after.log_odds > before.log_odds
    if before.log_odds < 30:
        assert after.probability > before.probability
    assert after.independent_confirmations >= before.independent_confirmations


# -- 3 --------------------------------------------------------------------------


@given(case_and_claim(), st.data())
def test_no_comment_and_silence_change_nothing(cc: tuple[Case, str], data: st.DataObject) -> None:
    """``no_comment``, silence and non-acknowledgement leave p exactly unchanged."""
    case, claim = cc
    before = log_odds(case)
    # silence: a new source that says nothing
    quiet = Source("quiet", reliability="A", affiliation="a/quiet")
    assert log_odds(add(case, sources=(quiet,))) == before
    # non-acknowledgement: a party the claim harms declines to comment
    harmed = case.claim(claim).harms
    party = Source("party", reliability="B", affiliation=(harmed[0] if harmed else "a") + "/p")
    time = data.draw(st.none() | st.sampled_from(cst.TIMES))
    refusal = Report("party", claim, "no_comment", time=time)
    assert log_odds(add(case, refusal, sources=(party,))) == before
    # no comment from a source that has not spoken on the claim
    voices = new_voices(case, claim)
    if voices:
        who = data.draw(st.sampled_from(voices))
        assert log_odds(add(case, Report(who, claim, "no_comment", time=time))) == before
    # a later no_comment from a source that already spoke: silence after
    # speaking is no retraction
    spoke = sorted(
        {
            r.source
            for r in case.reports
            if r.claim == claim and r.stance in (Stance.CONFIRMS, Stance.DENIES)
        }
    )
    if spoke:
        who = data.draw(st.sampled_from(spoke))
        later = Report(who, claim, "no_comment", time="9999-12-31")
        assert log_odds(add(case, later)) == before


# -- 4 --------------------------------------------------------------------------


@given(case_and_claim(), st.data())
def test_citing_duplicate_and_dependent_reports_add_nothing(
    cc: tuple[Case, str], data: st.DataObject
) -> None:
    """A citing report, an exact duplicate, or a fully dependent report no
    stronger than its group's strongest changes p by 0."""
    case, claim = cc
    before = log_odds(case)
    # an exact duplicate of any report
    if case.reports:
        dup = data.draw(st.sampled_from(case.reports))
        assert log_odds(add(case, dup)) == before
    # a citing report: a new voice repeats a source that spoke on the claim
    # (a source whose only word was "no comment" has not: property 3 keeps
    # the echo standing in for it)
    silent = {Stance.NO_COMMENT, Stance.OBSERVES}
    on_claim = [r for r in case.reports if r.claim == claim]
    speakers = {r.source for r in on_claim} - {r.source for r in on_claim if r.stance in silent}
    voices = new_voices(case, claim)
    if speakers and voices:
        origin = data.draw(st.sampled_from(sorted(speakers)))
        echo = data.draw(st.sampled_from(voices))
        assume(echo != origin)
        stance = data.draw(st.sampled_from([Stance.CONFIRMS, Stance.DENIES]))
        # "no stronger than" the word it repeats: an echo that agrees with the
        # origin's own report is pooled beside it, at the origin's place, where
        # the stronger counts (so that the origin's own weak word can never
        # lower what a relay of it said: property 2)
        w = min(r.weight for r in on_claim if r.source == origin)
        w *= data.draw(st.floats(0.01, 1.0))
        echoed = add(case, Report(echo, claim, stance, cites=origin, weight=w))
        assert log_odds(echoed) == before
    # a new member of a group of dependence 1, no stronger than the strongest
    member = data.draw(st.sampled_from(case.sources))
    assume(member.affiliation is not None)
    # an untimed retraction is the member's last word, which LATE cannot follow
    assume(
        not any(
            r.source == member.id
            and r.claim == claim
            and r.stance is Stance.RETRACTS
            and r.time is None
            for r in case.reports
        )
    )
    group = member.affiliation
    w = data.draw(st.floats(0.05, 1.0))
    groups = (*(g for g in case.groups if g.id != group), Group(group, 1.0))
    base = case.replace(groups=groups)
    base = add(base, Report(member.id, claim, "confirms", time=LATE, weight=w))
    twin = Source(
        "twin", reliability=member.reliability, kind=member.kind, affiliation=member.affiliation
    )
    weaker = w * data.draw(st.floats(0.01, 1.0))
    joined = add(
        base, Report("twin", claim, "confirms", time=LATE, weight=weaker), sources=(twin,)
    )
    assert log_odds(joined) == log_odds(base)


# -- 5 --------------------------------------------------------------------------


@given(
    case_and_claim(),
    st.lists(st.tuples(cst.reliabilities(), st.floats(0.05, 1.0)), min_size=1, max_size=5),
    st.floats(0.0, 1.0),
)
def test_spread_confirmations_beat_one_group(
    cc: tuple[Case, str], voices: list[tuple[str | float | None, float]], r: float
) -> None:
    """k confirmations spread over k independent groups give p ≥ the same k in
    one group. Raising a confirming source's reliability never lowers p."""
    case, claim = cc

    def with_new(affiliations: list[str], groups: tuple[Group, ...] = ()) -> Case:
        new = tuple(
            Source(f"new{i}", reliability=rel, affiliation=aff)
            for i, ((rel, _), aff) in enumerate(zip(voices, affiliations))
        )
        reps = tuple(
            Report(f"new{i}", claim, "confirms", weight=w) for i, (_, w) in enumerate(voices)
        )
        return add(case.replace(groups=case.groups + groups), *reps, sources=new)

    k = len(voices)
    spread = _score(with_new([f"ind{i}" for i in range(k)]))[claim]
    one = _score(with_new([f"one/x{i}" for i in range(k)], (Group("one", r),)))[claim]
    assert spread.probability >= one.probability - 1e-12
    assert spread.log_odds >= one.log_odds - 1e-9


@given(case_and_claim(), st.floats(0.01, 0.98), st.floats(0.0, 1.0), st.data())
def test_raising_reliability_never_lowers(
    cc: tuple[Case, str], rho: float, u: float, data: st.DataObject
) -> None:
    """k confirmations spread over k independent groups give p ≥ the same k in
    one group. Raising a confirming source's reliability never lowers p."""
    case, claim = cc
    higher = rho + (0.99 - rho) * u
    affiliations = sorted({s.affiliation for s in case.sources if s.affiliation} | {"zz"})
    aff = data.draw(st.sampled_from(affiliations))
    w = data.draw(st.floats(0.05, 1.0))

    def with_source(reliability: float) -> float:
        src = Source("conf", reliability=reliability, affiliation=aff)
        return _score(add(case, Report("conf", claim, "confirms", weight=w), sources=(src,)))[
            claim
        ].log_odds

    assert with_source(higher) >= with_source(rho) - 1e-9


# -- 6 --------------------------------------------------------------------------


@given(cst.cases(max_sources=8, max_reports=20, stances=["confirms", "confirms", "denies"]))
def test_grade_1_needs_two_independent_confirmations(case: Case) -> None:
    """Grade 1 is impossible with fewer than 2 independent confirmations."""
    for s in _score(case):
        if s.grade == 1:
            assert s.independent_confirmations >= 2
        if s.independent_confirmations < 2:
            assert s.grade != 1


# -- 7 --------------------------------------------------------------------------


@given(case_and_claim(), cst.reliabilities(), st.floats(0.05, 1.0))
def test_against_interest_beats_neutral_beats_self_serving(
    cc: tuple[Case, str], reliability: str | float | None, w: float
) -> None:
    """At equal reliability: against-interest ≥ neutral ≥ self-serving
    confirmation. A single self-serving confirmation, however reliable its
    source, leaves a claim at the default prior below 0.8 and below grade 2."""
    case, claim = cc
    old = case.claim(claim)
    new_claim = Claim(
        claim,
        prior=old.prior,
        benefits=(*old.benefits, "zben"),
        harms=(*old.harms, "zharm"),
    )
    case = case.replace(claims=tuple(new_claim if c.id == claim else c for c in case.claims))

    def p(affiliation: str) -> float:
        src = Source("speaker", reliability=reliability, affiliation=affiliation)
        return _score(add(case, Report("speaker", claim, "confirms", weight=w), sources=(src,)))[
            claim
        ].probability

    against, neutral, serving = p("zharm/x"), p("zneutral/x"), p("zben/x")
    assert against >= neutral - 1e-12
    assert neutral >= serving - 1e-12


@given(
    st.floats(0.5, 1.0, exclude_max=True) | st.sampled_from(["A", "B", 1 - 1e-12]),
    st.floats(0.05, 1.0),
    st.sampled_from(["ua", "ua/gov/mod"]),
)
def test_single_self_serving_confirmation_stays_below_grade_2(
    reliability: str | float, w: float, affiliation: str
) -> None:
    """At equal reliability: against-interest ≥ neutral ≥ self-serving
    confirmation. A single self-serving confirmation, however reliable its
    source, leaves a claim at the default prior below 0.8 and below grade 2."""
    case = Case(
        [Source("gur", reliability=reliability, affiliation=affiliation)],
        [Claim("losses", benefits=["ua"], prior=0.5)],  # the default prior
        [Report("gur", "losses", "confirms", weight=w)],
    )
    s = _score(case)["losses"]
    assert s.probability < 0.8
    assert s.grade > 2
    assert "self-serving" in s.flags


# -- 8 --------------------------------------------------------------------------


def _shuffled_and_renamed(case: Case, rnd: random.Random) -> tuple[Case, dict[str, str]]:
    src_ids = [s.id for s in case.sources]
    clm_ids = [c.id for c in case.claims]
    new_src = [f"src-{i}" for i in range(len(src_ids))]
    new_clm = [f"claim-{i}" for i in range(len(clm_ids))]
    rnd.shuffle(new_src)
    rnd.shuffle(new_clm)
    s_map = dict(zip(src_ids, new_src))
    c_map = dict(zip(clm_ids, new_clm))
    segs = list(cst.AFFILIATION_SEGMENTS)
    seg_map = dict(zip(segs, rnd.sample(["x", "yy", "zzz"], len(segs))))

    def path(p: str | None) -> str | None:
        return None if p is None else "/".join(seg_map[x] for x in p.split("/"))

    def paths(ps: tuple[str, ...]) -> list[str]:
        return [path(p) for p in ps]  # type: ignore[misc]

    sources = [
        Source(
            s_map[s.id], reliability=s.reliability, kind=s.kind, affiliation=path(s.affiliation)
        )
        for s in case.sources
    ]
    claims = [
        Claim(c_map[c.id], prior=c.prior, benefits=paths(c.benefits), harms=paths(c.harms))
        for c in case.claims
    ]
    reports = [
        Report(
            s_map[r.source],
            c_map[r.claim],
            r.stance,
            time=r.time,
            cites=None if r.cites is None else s_map[r.cites],
            weight=r.weight,
        )
        for r in case.reports
    ]
    groups = [Group(path(g.id), g.dependence) for g in case.groups]  # type: ignore[arg-type]
    links = []
    for lk in case.links:
        m = s_map if lk.kind == "depends" else c_map
        links.append(Link(lk.kind, m[lk.source], m[lk.target], dependence=lk.dependence))
    for xs in (sources, claims, reports, groups, links):
        rnd.shuffle(xs)  # type: ignore[arg-type]
    return Case(sources, claims, reports, groups=groups, links=links), c_map


@given(cst.cases(max_reports=20), st.randoms(use_true_random=False))
def test_order_and_names_do_not_matter(case: Case, rnd: random.Random) -> None:
    """Results do not depend on the order of inputs or on renaming ids; two
    reports of one source on one claim that differ only in whom they cite
    are both kept, so no order decides between them."""
    other, c_map = _shuffled_and_renamed(case, rnd)
    a, b = _score(case), _score(other)
    for claim in case.claims:
        x, y = a[claim.id], b[c_map[claim.id]]
        assert y.log_odds == pytest.approx(x.log_odds, abs=1e-9)
        assert y.probability == pytest.approx(x.probability, abs=1e-9)
        assert y.interval == pytest.approx(x.interval, abs=1e-9)
        assert y.independent_confirmations == x.independent_confirmations
        assert y.grade == x.grade
        assert y.flags == x.flags


# -- 9 --------------------------------------------------------------------------


@given(cst.cases(max_claims=6, max_reports=20))
def test_implication_keeps_order(case: Case) -> None:
    """If A implies B then p(B) ≥ p(A)."""
    p = probabilities(case)
    below = closure(case, "down")
    for a, bs in below.items():
        for b in bs:
            assert p[b] >= p[a] - 1e-12, (a, b)


# -- 10 -------------------------------------------------------------------------


def test_million_confirmations_and_denials_are_stable() -> None:
    """Scores are numerically stable: 10⁶ confirmations (or denials) of one
    claim give finite log-odds (exposed beside the probability), no NaN and no
    numpy warning."""
    n = 10**6
    sources = [Source(f"s{i}", reliability="C") for i in range(n)]
    reports = [Report(f"s{i}", "up", "confirms") for i in range(n)]
    reports += [Report(f"s{i}", "down", "denies") for i in range(n)]
    case = Case(sources, [Claim("up"), Claim("down")], reports)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            scores: Scores = _score(case)
    # Read the arrays: a ClaimScore also lists a million contributions.
    lo = scores.log_odds
    assert np.isfinite(lo).all()
    assert not np.isnan(scores.probability).any()
    up, down = case.claims[0].id, case.claims[1].id
    i, j = (scores.compiled.claim_index[c] for c in (up, down))
    # ln 4 per confirmation of a C source (0.6 + 0.4/2) / (0.4/2); no pooling
    # (times the learned strength of a confirmation or denial, for MODEL)
    up_w = down_w = 1.0
    if MODEL is not None:
        up_w = MODEL.parameters_["strength"]["confirms"]["all"]
        down_w = MODEL.parameters_["strength"]["denies"]["all"]
    base = 0.0 if MODEL is None else math.log(DEFAULT_PRIOR / (1 - DEFAULT_PRIOR))
    assert lo[i] == pytest.approx(base + up_w * n * math.log(4.0), rel=1e-9)
    assert lo[j] == pytest.approx(base - down_w * n * math.log(4.0), rel=1e-9)
    assert scores.probability[i] == 1.0
    assert scores.probability[j] == 0.0
    assert scores.lower[i] <= scores.probability[i] <= scores.upper[i]


def test_no_comment_of_a_cited_source_changes_nothing() -> None:
    """``no_comment``, silence and non-acknowledgement leave p exactly unchanged."""
    case = Case(
        [Source("reuters", reliability="B"), Source("ministry", reliability="B")],
        [Claim("x")],
        [Report("reuters", "x", "confirms", cites="ministry")],
    )
    before = log_odds(case)
    assert before["x"] > 0
    assert log_odds(add(case, Report("ministry", "x", "no_comment"))) == before
