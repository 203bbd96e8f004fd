"""The reference case of DESIGN.md section 9: North Korean troops in Kursk."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import credscore
from credscore import Case, Report, Source
from credscore.case.result import ClaimScore
from credscore.examples import kursk


@pytest.fixture(scope="module")
def case() -> Case:
    return kursk()


@pytest.fixture(scope="module")
def scores(case: Case) -> credscore.Scores:
    return credscore.score(case)


def numbers(s: ClaimScore) -> dict[str, Any]:
    """Everything a score says except the list of contributions."""
    d = s.to_dict()
    del d["contributions"]
    return d


def test_casualties_are_confirmed_by_two_independent_governments(
    scores: credscore.Scores,
) -> None:
    """Casualties, confirmed by GUR and the Pentagon, score at least 0.9 with
    grade 1 and exactly 2 independent confirmations."""
    s = scores["nk-casualties"]
    assert s.probability >= 0.9
    assert s.grade == 1
    assert s.independent_confirmations == 2


def test_white_house_is_not_a_third_independent_confirmation(case: Case) -> None:
    """Counting the White House beside the Pentagon as a third independent
    confirmation would be wrong: both are the US government."""
    more = case.replace(
        reports=(*case.reports, Report("white-house", "nk-casualties", "confirms"))
    )
    s = credscore.score(more)["nk-casualties"]
    assert s.independent_confirmations == 2
    # what plain addition (no declared or default dependence) would say
    naive = credscore.score(more.replace(groups=()), model="independent")["nk-casualties"]
    assert naive.independent_confirmations == 3
    assert s.probability < naive.probability


def test_about_30_stays_below_0_8_and_is_never_grade_1(scores: credscore.Scores) -> None:
    """The exact figure of "about 30", from GUR alone and self-serving, stays
    below 0.8 and does not grade 1."""
    s = scores["nk-30-casualties"]
    assert s.probability < 0.8
    assert s.grade != 1
    assert {"single-source", "self-serving"} <= set(s.flags)


@given(
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 1, 1))
    | st.sampled_from(["2024-12-15", "2024-12-16", "2024-12-16T00:00:00Z", "2025-06-01"])
)
def test_about_30_is_never_grade_1_under_any_as_of(as_of: datetime | str) -> None:
    """The "about 30" figure stays below 0.8 and never grades 1, whatever the
    date it is scored on."""
    s = credscore.score(kursk(), as_of=as_of)["nk-30-casualties"]
    assert s.probability < 0.8
    assert s.grade != 1


def test_as_of_before_the_reports_leaves_the_prior(case: Case) -> None:
    """Scored before 16 December 2024, the dated reports do not count yet."""
    with pytest.warns(credscore.CredscoreWarning, match="1 report.* without a time left out"):
        s = credscore.score(case, as_of="2024-12-15")
    assert s["nk-casualties"].probability == pytest.approx(0.5, abs=1e-12)
    assert s["nk-casualties"].grade == 6
    # the undated intelligence estimate has no place in time: it is left out
    # of any as_of reading, and counts when the whole case is scored
    assert s["nk-11000"].probability == pytest.approx(0.5, abs=1e-12)
    assert credscore.score(case)["nk-11000"].probability > 0.5


def test_11000_estimate_stays_uncertain(scores: credscore.Scores) -> None:
    """The 11,000 estimate has a wide interval (at least 0.15) and grades
    neither 1 nor 2.

    Its only source is unnamed intelligence sources, whose reliability cannot
    be judged (Admiralty F): an unknown reliability is uncertain by twice the
    logit-scale spread of a known one, so the 80% interval around its
    probability is wide; and one unjudged, indirect (weight 0.7) source can
    neither confirm a claim independently nor make it probably true.
    """
    s = scores["nk-11000"]
    lo, hi = s.interval
    assert hi - lo >= 0.15
    assert s.grade not in (1, 2)


def test_referral_and_silence_change_no_score(case: Case, scores: credscore.Scores) -> None:
    """Removing the Kremlin's referral and the ministry's no_comment changes no
    score, exactly."""
    fewer = case.replace(
        reports=tuple(r for r in case.reports if r.source not in ("kremlin", "ru-mod"))
    )
    assert len(fewer.reports) == len(case.reports) - 2
    without = credscore.score(fewer)
    for c in case.claims:
        assert numbers(without[c.id]) == numbers(scores[c.id])


def test_every_claim_is_unacknowledged(scores: credscore.Scores) -> None:
    """No party the claims harm (Russia, North Korea) has acknowledged them."""
    for s in scores:
        assert "unacknowledged" in s.flags, s.id


@pytest.mark.parametrize("who", ["kremlin", "pyongyang"])
def test_acknowledgement_by_moscow_or_pyongyang_nears_certainty(case: Case, who: str) -> None:
    """A later acknowledgement by Moscow or Pyongyang, being against their
    interest, raises the deployment claim above 0.97 and removes the
    unacknowledged flag from it."""
    ack = Report(who, "nk-deployed", "confirms", time="2025-01-15")
    before = credscore.score(case)["nk-deployed"]
    after = credscore.score(case.replace(reports=(*case.reports, ack)))["nk-deployed"]
    assert after.probability > 0.97
    assert after.probability > before.probability
    assert "unacknowledged" not in after.flags
    assert after.independent_confirmations == before.independent_confirmations + 1
    # the acknowledgement counts for more than a neutral confirmation would
    neutral = case.replace(
        sources=(*case.sources, Source("neutral", reliability=case.source(who).reliability)),
        reports=(*case.reports, Report("neutral", "nk-deployed", "confirms")),
    )
    assert after.log_odds > credscore.score(neutral)["nk-deployed"].log_odds


def test_explain_names_the_dependent_pair(scores: credscore.Scores) -> None:
    """The explanation of the deployment claim says that the Pentagon and the
    White House were pooled as dependent, because they share us/gov."""
    text = scores.explain("nk-deployed")
    line = next(ln for ln in text.splitlines() if "pooled as dependent" in ln)
    assert "pentagon" in line and "white-house" in line
    assert "us/gov" in line
    assert "0.80" in line


def test_explain_says_what_moved_the_score_and_what_is_missing(
    scores: credscore.Scores,
) -> None:
    """The explanation lists the reports that moved the score, the silent
    ones, and says that no harmed party has acknowledged the claim."""
    text = scores.explain("nk-deployed")
    lines = text.splitlines()
    # implied by casualties (GUR; the US pooled) and the 11,000 (an unknown
    # source: odds x1.86): 0.980
    assert lines[0].startswith("nk-deployed: probability 0.98")
    assert any(ln.strip().startswith("- pentagon confirms") for ln in lines)
    assert any("kremlin no_comment" in ln for ln in lines)
    assert any("ru-mod no_comment" in ln for ln in lines)
    missing = [ln for ln in lines if ln.startswith("Missing:")]
    assert len(missing) == 1
    assert "ru" in missing[0] and "kp" in missing[0]
    # GUR's claim about its enemy's losses is marked as self-serving
    gur = [ln for ln in lines if ln.strip().startswith("- gur confirms")]
    assert gur and all("own interest" in ln for ln in gur)


def test_explain_of_an_acknowledged_claim_has_nothing_missing(case: Case) -> None:
    """Once Moscow acknowledges the deployment, the explanation no longer
    says an acknowledgement is missing."""
    ack = Report("kremlin", "nk-deployed", "confirms", time="2025-01-15")
    text = credscore.score(case.replace(reports=(*case.reports, ack))).explain("nk-deployed")
    assert "Missing" not in text
    assert "kremlin confirms" in text
