"""Reliabilities learned from a case's record, fed back to the case model."""

import pytest

from credscore import (
    Case,
    Claim,
    CorroborationModel,
    InvalidCaseError,
    Report,
    Source,
    learn_reliability,
    score,
)


def _case(n_claims: int = 15) -> Case:
    # Three known sources report truthfully; "anon" (F) agrees with them on
    # every claim; "noise" (F) says the opposite every time.
    truth = [i % 3 != 0 for i in range(n_claims)]
    sources = [Source(s, reliability="B") for s in ("a", "b", "c")]
    sources += [Source("anon", reliability="F"), Source("noise")]
    claims = [Claim(f"c{i}") for i in range(n_claims)]
    reports = []
    for i, t in enumerate(truth):
        for s in ("a", "b", "c", "anon"):
            reports.append(Report(s, f"c{i}", "confirms" if t else "denies"))
        reports.append(Report("noise", f"c{i}", "denies" if t else "confirms"))
    return Case(sources, claims, reports)


def test_unknown_source_that_agrees_with_the_record_is_learned_reliable() -> None:
    """A source of unknown reliability whose record agrees with the others rises above 0.5."""
    learned = learn_reliability(_case())
    assert set(learned) == {"anon", "noise"}
    assert learned["anon"] > 0.8
    assert learned["noise"] < 0.5


def test_only_unknown_false_returns_every_source_with_a_record() -> None:
    """With only_unknown=False every source with enough reports gets a learned value."""
    learned = learn_reliability(_case(), only_unknown=False)
    assert set(learned) == {"a", "b", "c", "anon", "noise"}


def test_min_reports_leaves_out_sources_with_little_record() -> None:
    """Sources with fewer reports than min_reports are left out."""
    assert learn_reliability(_case(4), min_reports=5) == {}


def test_feeding_back_changes_the_score_in_the_learned_direction() -> None:
    """A claim confirmed by a source learned reliable scores higher than with it at 0.5."""
    case = _case()
    model = CorroborationModel(reliability=learn_reliability(case))
    # c1 is true: anon confirms (learned reliable), noise denies (learned unreliable)
    assert score(case, model)["c1"].probability > score(case)["c1"].probability


def test_a_case_without_confirmations_or_denials_is_an_error() -> None:
    """Nothing to learn from raises InvalidCaseError naming the field."""
    case = Case([Source("a")], [Claim("c")], [Report("a", "c", "no_comment")])
    with pytest.raises(InvalidCaseError, match="reports"):
        learn_reliability(case)
