"""The vectorised corroboration model agrees with the slow reference to 1e-9."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import credscore
from credscore import strategies as cst
from credscore.case.model import Case, Claim, Source
from credscore.case.score import CorroborationModel
from credscore.examples import kursk
from tests.reference_corroboration import RefScore, reference_score

TOL = 1e-9
#: grade and ICD-203 phrase boundaries: a difference in the last bit may cross them
THRESHOLDS = (0.05, 0.2, 0.45, 0.5, 0.55, 0.8, 0.9, 0.95)


def near_grade_threshold(p: float) -> bool:
    return any(abs(p - t) < TOL for t in THRESHOLDS)


def assert_agrees(
    case: Case, model: CorroborationModel, ref: dict[str, RefScore], **kw: Any
) -> None:
    scores = credscore.score(case, model=model, **kw)
    for claim in case.claims:
        got, want = scores[claim.id], ref[claim.id]
        where = f"claim {claim.id}"
        assert got.log_odds == pytest.approx(want.log_odds, abs=TOL), where
        assert got.probability == pytest.approx(want.probability, abs=TOL), where
        assert got.interval[0] == pytest.approx(want.interval[0], abs=TOL), where
        assert got.interval[1] == pytest.approx(want.interval[1], abs=TOL), where
        threshold = model.threshold
        if all(abs(v - threshold) > TOL for v in want.cluster_values.values()):
            assert got.independent_confirmations == want.independent_confirmations, where
            if not near_grade_threshold(want.probability):
                assert got.grade == want.grade, where
                assert got.phrase == want.phrase, where
        assert got.flags == want.flags, where
        # each report's effect after pooling: together they make the total
        effects = sum(c.effect for c in got.contributions)
        assert effects == pytest.approx(want.evidence, abs=TOL), where


@given(cst.cases())
def test_default_model_agrees_with_reference(case: Case) -> None:
    assert_agrees(case, CorroborationModel(), reference_score(case))


AS_OF = [
    "2024-11-30",
    "2024-12-16",
    "2024-12-16T06:00:00",
    "2024-12-20",
    datetime(2024, 12, 16, 12),
]


@given(cst.cases(), st.sampled_from(AS_OF))
def test_as_of_agrees_with_reference(case: Case, as_of: str | datetime) -> None:
    assert_agrees(case, CorroborationModel(), reference_score(case, as_of=as_of), as_of=as_of)


settings_st = st.fixed_dictionaries(
    {},
    optional={
        "prior": st.floats(0.05, 0.95),
        "unknown_reliability": st.floats(0.05, 0.95),
        "nested_dependence": st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0),
        "top_level_dependence": st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0),
        "crowd_dependence": st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0),
        "propensity": st.floats(0.05, 0.95),
        "self_serving_propensity": st.floats(0.05, 0.95),
        "against_interest_propensity": st.floats(0.05, 0.95),
        "self_serving_bias": st.floats(0.0, 0.95),
        "self_serving_denial_bias": st.floats(0.0, 0.95),
        "observes_weight": st.sampled_from([0.0, 0.3]) | st.floats(0.0, 1.0),
        "threshold": st.floats(0.0, 3.0),
        "interval": st.floats(0.5, 0.99),
        "reliability_spread": st.floats(0.0, 2.0),
        "unknown_reliability_spread": st.floats(0.0, 2.0),
        "dependence_spread": st.floats(0.0, 0.5),
    },
)


@given(cst.cases(), settings_st)
def test_model_settings_agree_with_reference(case: Case, settings: dict[str, Any]) -> None:
    assert_agrees(case, CorroborationModel(**settings), reference_score(case, **settings))


weights_st = st.dictionaries(
    st.sampled_from(["s0", "s1", "s2", "government", "press"]),
    st.sampled_from(["A", "C", "F"]) | st.floats(0.05, 0.95),
    max_size=3,
)


@given(cst.cases(), weights_st)
def test_reliability_mapping_agrees_with_reference(case: Case, weights: dict[str, Any]) -> None:
    model = CorroborationModel(reliability=weights)
    assert_agrees(case, model, reference_score(case, reliability=weights))


def by_claim(source: Source, claim: Claim) -> float | None:
    """A reliability that depends on the claim; None keeps the case's."""
    if claim.id.endswith("0"):
        return None
    return 0.2 + 0.6 * (sum(map(ord, source.id + claim.id)) % 7) / 7


def shared_kind(a: Source, b: Source) -> float:
    """Sources of one kind depend on each other."""
    return 0.7 if a.kind is not None and a.kind == b.kind else 0.0


@given(cst.cases())
def test_callables_agree_with_reference(case: Case) -> None:
    model = CorroborationModel(reliability=by_claim, dependence=shared_kind)
    ref = reference_score(case, reliability=by_claim, dependence=shared_kind)
    assert_agrees(case, model, ref)


def test_kursk_agrees_with_reference() -> None:
    case = kursk()
    assert_agrees(case, CorroborationModel(), reference_score(case))
