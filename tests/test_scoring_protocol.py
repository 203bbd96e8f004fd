"""The ScoringModel protocol is real: a model written from scratch (not
wrapping CorroborationModel) scores, explains and exports through Scores.build."""

from __future__ import annotations

import json
import math
from datetime import datetime

import numpy as np
import pytest
from hypothesis import given

import credscore as cs
from credscore import strategies as cst
from credscore.case.result import FLAGS, Breakdown, Contribution
from credscore.semantics import CONFIRMS, DENIES


class StanceCount:
    """One unit of log-odds per confirmation, minus one per denial; a report
    after ``as_of`` does not count."""

    def score(self, case: cs.Case, *, as_of: str | datetime | None = None) -> cs.Scores:
        cc = cs.compile_case(case)
        vote = (cc.report_stance == CONFIRMS) * 1.0 - (cc.report_stance == DENIES)
        if as_of is not None:
            cut = (cs.case.parse_time(as_of) - datetime(1970, 1, 1)).total_seconds()
            vote[cc.report_time > cut] = 0.0
        net = np.bincount(cc.report_claim, weights=vote, minlength=cc.n_claims)
        flags = np.zeros((cc.n_claims, len(FLAGS)), dtype=bool)
        flags[:, FLAGS.index("contested")] = (
            np.bincount(cc.report_claim[vote < 0], minlength=cc.n_claims) > 0
        )
        return cs.Scores.build(
            cc,
            log_odds=net,
            lower=1 / (1 + np.exp(-(net - 1))),
            upper=1 / (1 + np.exp(-(net + 1))),
            independent_confirmations=np.bincount(
                cc.report_claim[vote > 0], minlength=cc.n_claims
            ),
            contested=flags[:, FLAGS.index("contested")],
            flags=flags,
            breakdown=_Votes(case, cc, vote),
        )


class _Votes:
    def __init__(self, case: cs.Case, cc: cs.CompiledCase, vote: np.ndarray) -> None:
        self.case, self.cc, self.vote = case, cc, vote

    def contributions(self, claim: int) -> list[Contribution]:
        out = []
        for k in np.flatnonzero(self.cc.report_claim == claim).tolist():
            r = self.case.reports[k]
            v = float(self.vote[k])
            out.append(Contribution(r.source, r.claim, r.stance.value, v, v, v, "one vote"))
        return sorted(out, key=lambda c: -abs(c.effect))

    def notes(self, claim: int) -> list[str]:
        return ["Every report counts as one vote."]


def test_kursk_through_the_protocol() -> None:
    """credscore.score accepts the model; probabilities are the logistic of the vote count."""
    model = StanceCount()
    assert isinstance(model, cs.ScoringModel)
    scores = cs.score(cs.examples.kursk(), model=model)
    assert isinstance(scores, cs.Scores)
    s = scores["nk-casualties"]
    assert s.probability == pytest.approx(1 / (1 + math.exp(-2)))
    assert s.interval[0] < s.probability < s.interval[1]
    assert s.independent_confirmations == 2
    assert s.grade == 2  # 0.88: below the 0.9 of grade 1
    assert [c.source for c in s.contributions] == ["gur", "pentagon"]
    # No report carries evidence for nk-deployed (two no-comments): grade 6.
    assert scores["nk-deployed"].grade == 6
    assert scores["nk-deployed"].probability == 0.5


def test_explain_and_export_of_a_scratch_model() -> None:
    """explain() and to_dict() work from what the model handed to Scores.build."""
    scores = cs.score(cs.examples.kursk(), model=StanceCount())
    text = scores.explain("nk-casualties")
    assert text.startswith("nk-casualties: probability 0.88")
    assert "Every report counts as one vote." in text
    assert "gur confirms (one vote)" in text
    doc = json.loads(json.dumps(scores.to_dict()))
    assert {c["id"] for c in doc["claims"]} == {c.id for c in cs.examples.kursk().claims}


def test_breakdown_is_optional() -> None:
    """Without a breakdown a claim has no contributions, and explain says how far it moved."""
    cc = cs.compile_case(cs.examples.kursk())
    scores = cs.Scores.build(cc, log_odds=np.full(cc.n_claims, 1.0))
    s = scores["nk-casualties"]
    assert s.contributions == ()
    assert s.flags == ()
    assert "moved the log-odds by +1.00" in scores.explain("nk-casualties")


@given(cst.cases())
def test_scratch_model_respects_bounds(case: cs.Case) -> None:
    """On any valid case the scratch model's scores are probabilities with intervals around them."""
    scores = cs.score(case, model=StanceCount())
    for s in scores:
        assert 0.0 <= s.interval[0] <= s.probability <= s.interval[1] <= 1.0
        assert s.grade in range(1, 7)


def test_corroboration_model_hands_a_breakdown() -> None:
    """The built-in model goes through the same interface, with its own Breakdown."""
    scores = cs.score(cs.examples.kursk())
    assert isinstance(scores.breakdown, Breakdown)


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"log_odds": [0.0]}, "log_odds"),
        ({"log_odds": np.zeros(6), "prior": 1.5}, "prior"),
        ({"log_odds": np.zeros(6), "prior": [0.5, 0.5]}, "prior"),
        ({"log_odds": np.zeros(6), "lower": [0.1]}, "lower"),
        ({"log_odds": np.zeros(6), "flags": np.zeros((6, 2), bool)}, "flags"),
        ({"log_odds": np.zeros(6), "source_reliability": [0.5]}, "source_reliability"),
        ({"log_odds": np.zeros(6), "breakdown": object()}, "breakdown"),
        ({"log_odds": ["x"] * 6}, "log_odds"),
        ({"log_odds": np.full(6, np.nan)}, "log_odds"),
    ],
)
def test_build_names_the_bad_field(settings: dict[str, object], field: str) -> None:
    """A model that hands Scores.build the wrong shape or type gets an error naming the field."""
    cc = cs.compile_case(cs.examples.kursk())
    with pytest.raises((TypeError, ValueError), match=f"^{field}:"):
        cs.Scores.build(cc, **settings)  # type: ignore[arg-type]


def test_a_model_returning_something_else_is_refused() -> None:
    """score() says which model returned what, instead of failing later."""

    class Broken:
        def score(self, case: cs.Case, *, as_of: object = None) -> dict[str, float]:
            return {}

    with pytest.raises(TypeError, match=r"Broken\.score returned dict"):
        cs.score(cs.examples.kursk(), model=Broken())  # type: ignore[arg-type]
