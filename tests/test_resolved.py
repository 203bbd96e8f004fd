"""Resolved claims in the data model (issue: calibrated defaults and learning).

A claim may say what it turned out to be (``resolved``), when
(``resolved_at``), and the story it belongs to (``topic``). Scoring never reads
any of them; every input path (Python, JSON, the schema, CSV tables) learns
them, and a bad value is an error that names the field and the claim.
"""

from __future__ import annotations

import io
import json
from importlib import resources
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import given

import credscore
import credscore.strategies as cst
from credscore import Case, Claim, Report, Source
from credscore.errors import InvalidCaseError
from tests.test_casetables import case_as_tables, problems_of, read

SCHEMA = json.loads(resources.files("credscore").joinpath("schema/case-v1.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def _doc(**claim: Any) -> dict[str, Any]:
    return {
        "credscore": 1,
        "sources": [{"id": "a"}],
        "claims": [{"id": "x", **claim}],
        "reports": [{"source": "a", "claim": "x", "stance": "confirms"}],
    }


def _without_outcomes(case: Case) -> Case:
    claims = [attrs.evolve(c, resolved=None, resolved_at=None, topic=None) for c in case.claims]
    return attrs.evolve(case, claims=claims)


@given(cst.cases(outcomes=True))
def test_scores_never_read_resolved_or_topic(case: Case) -> None:
    """A claim's score is identical with and without its outcome and topic."""
    with_ = credscore.score(case)
    without = credscore.score(_without_outcomes(case))
    assert with_.log_odds.tolist() == without.log_odds.tolist()
    assert with_.lower.tolist() == without.lower.tolist()
    assert with_.upper.tolist() == without.upper.tolist()


@given(cst.cases(outcomes=True))
def test_outcomes_round_trip_through_json_and_tables(case: Case) -> None:
    """``resolved``, ``resolved_at`` and ``topic`` survive JSON and CSV tables."""
    assert Case.from_dict(case.to_dict()) == case
    assert VALIDATOR.is_valid(case.to_dict())
    assert read(case_as_tables(case)) == case


def test_json_file_round_trip_keeps_the_format_version() -> None:
    case = Case(
        [Source("a")],
        [Claim("x", resolved=False, resolved_at="2025-01-10T12:00:00Z", topic="flood")],
        [Report("a", "x", "confirms")],
    )
    buf = io.StringIO()
    credscore.dump_case(case, buf)
    doc = json.loads(buf.getvalue())
    assert doc["credscore"] == 1
    assert doc["claims"][0]["resolved"] is False
    buf.seek(0)
    assert credscore.load_case(buf) == case


@pytest.mark.parametrize(
    ("claim", "field", "words"),
    [
        ({"resolved": "yes"}, "resolved", "expected true or false"),
        ({"resolved": 1}, "resolved", "expected true or false"),
        ({"resolved_at": "2025-01-01"}, "resolved_at", "needs resolved"),
        ({"resolved": True, "resolved_at": "soon"}, "resolved_at", "not an ISO 8601"),
        ({"topic": ""}, "topic", "non-empty string"),
        ({"topic": 5}, "topic", "non-empty string"),
    ],
)
def test_bad_outcomes_are_named_errors(claim: dict[str, Any], field: str, words: str) -> None:
    """The loader names the field and the claim; the schema refuses the same."""
    with pytest.raises(InvalidCaseError) as info:
        Case.from_dict(_doc(**claim))
    assert f"{field} of 'x'" in str(info.value)
    assert words in str(info.value)
    assert not VALIDATOR.is_valid(_doc(**claim))


def test_schema_accepts_what_the_loader_accepts() -> None:
    for claim in ({"resolved": True}, {"resolved": False, "resolved_at": "2025-01-01"}, {}):
        doc = _doc(**claim, topic="t")
        assert VALIDATOR.is_valid(doc)
        Case.from_dict(doc)


def test_tables_read_true_false_in_several_spellings() -> None:
    tables = {
        "reports": "source,claim,stance\na,x,confirms\na,y,denies\na,z,confirms\n",
        "claims": "id,resolved,resolved_at,topic\nx,TRUE,2025-01-01,t\ny,no,,\nz,1,,t\n",
    }
    case = read(tables)
    assert [c.resolved for c in case.claims] == [True, False, True]
    assert case.claims[0].resolved_at == "2025-01-01"
    assert [c.topic for c in case.claims] == ["t", None, "t"]


def test_tables_name_a_bad_resolved_cell() -> None:
    tables = {
        "reports": "source,claim,stance\na,x,confirms\n",
        "claims": "id,resolved\nx,maybe\n",
    }
    problems = problems_of(tables)
    assert any("resolved" in p and "'maybe' is not true or false" in p for p in problems)


def test_silence_after_speaking_is_not_a_retraction() -> None:
    """A later "no comment" leaves a confirmation standing (the toy case of
    the issue stays at 0.75 rather than falling to 0.5)."""
    case = Case(
        [Source("a", reliability=0.5)],
        [Claim("x")],
        [
            Report("a", "x", "confirms", time="2025-01-01"),
            Report("a", "x", "no_comment", time="2025-02-01"),
        ],
    )
    alone = Case(case.sources, case.claims, case.reports[:1])
    model = credscore.CorroborationModel()
    p = model.score(case)["x"].probability
    assert p == model.score(alone)["x"].probability
    assert p == pytest.approx(0.75)  # ln 3 from the prior 0.5: odds 3
    # a retraction still withdraws it
    retracted = Case(
        case.sources, case.claims, [*case.reports, Report("a", "x", "retracts", time="2025-03-01")]
    )
    assert model.score(retracted)["x"].probability == pytest.approx(0.5)
