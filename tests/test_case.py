"""The data model and the JSON case format (DESIGN.md sections 2, 7 and 8)."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

import credscore
from credscore import (
    Case,
    Claim,
    CorroborationModel,
    CredscoreError,
    InvalidCaseError,
    Report,
    Source,
    check_case,
    dump_case,
    load_case,
)
from credscore import strategies as cst
from credscore.case.model import loose_ends
from credscore.case.registry import ScoringModel, case_models, register_case_model
from credscore.examples import kursk

# -- round trips ------------------------------------------------------------------


@given(cst.cases())
def test_from_dict_to_dict_round_trips(case: Case) -> None:
    """Case.from_dict(c.to_dict()) == c, through JSON text too."""
    d = case.to_dict()
    assert Case.from_dict(d) == case
    assert Case.from_dict(json.loads(json.dumps(d))) == case
    # a valid case may still have loose ends, which only `validate` refuses
    assert [str(p) for p in check_case(d)] == [str(p) for p in loose_ends(case)]


@given(cst.cases(max_reports=6))
def test_dump_and_load_round_trip_through_a_stream(case: Case) -> None:
    buf = io.StringIO()
    dump_case(case, buf)
    buf.seek(0)
    assert load_case(buf) == case


def test_dump_and_load_round_trip_through_a_file(tmp_path: Path) -> None:
    path = tmp_path / "kursk.json"
    dump_case(kursk(), path)
    assert load_case(path) == kursk()
    assert load_case(str(path)) == kursk()
    assert json.loads(path.read_text(encoding="utf-8"))["credscore"] == 1


def test_the_shipped_json_is_the_example() -> None:
    data = json.loads(credscore.examples.path("kursk").read_text(encoding="utf-8"))
    assert Case.from_dict(data) == kursk()
    assert Case.from_dict(data).to_dict() == Case.from_dict(kursk().to_dict()).to_dict()


# -- bad input: every case of DESIGN.md section 8 ---------------------------------------


def base() -> dict[str, Any]:
    return copy.deepcopy(kursk().to_dict())


Edit = Callable[[dict[str, Any]], None]


def _set(section: str, i: int, key: str, value: Any) -> Edit:
    def edit(d: dict[str, Any]) -> None:
        d[section][i][key] = value

    return edit


def _append(section: str, item: dict[str, Any]) -> Edit:
    def edit(d: dict[str, Any]) -> None:
        d.setdefault(section, []).append(item)

    return edit


def _top(key: str, value: Any) -> Edit:
    def edit(d: dict[str, Any]) -> None:
        d[key] = value

    return edit


#: (name, edit, field the message must name, id the message must name)
BAD: list[tuple[str, Edit, str, str | None]] = [
    ("unknown top-level key", _top("extra", 1), "extra", None),
    ("unknown source key", _set("sources", 0, "colour", "red"), "sources[0].colour", "gur"),
    ("unknown claim key", _set("claims", 1, "truth", True), "claims[1].truth", "nk-30-casualties"),
    (
        "unknown report key",
        _set("reports", 3, "via", "x"),
        "reports[3].via",
        "pentagon->nk-casualties",
    ),
    (
        "unknown link key",
        _set("links", 0, "strength", 1),
        "links[0].strength",
        "nk-30-casualties->nk-casualties",
    ),
    (
        "missing stance",
        lambda d: d["reports"][0].pop("stance"),
        "reports[0].stance",
        "gur->nk-30-casualties",
    ),
    (
        "unknown report source",
        _set("reports", 0, "source", "mi6"),
        "source",
        "mi6->nk-30-casualties",
    ),
    ("unknown report claim", _set("reports", 0, "claim", "nk-tanks"), "claim", "gur->nk-tanks"),
    (
        "unknown cited source",
        _set("reports", 0, "cites", "tass"),
        "cites",
        "gur->nk-30-casualties",
    ),
    (
        "unknown link claim",
        _append("links", {"kind": "implies", "from": "nk-combat", "to": "nk-tanks"}),
        "to",
        "nk-combat->nk-tanks",
    ),
    (
        "unknown depends source",
        _append("links", {"kind": "depends", "from": "tass", "to": "kremlin"}),
        "from",
        "tass->kremlin",
    ),
    ("duplicate source id", _append("sources", {"id": "gur"}), "sources.id", "gur"),
    ("duplicate claim id", _append("claims", {"id": "nk-combat"}), "claims.id", "nk-combat"),
    (
        "duplicate group id",
        _append("groups", {"id": "us/gov", "dependence": 0.5}),
        "groups.id",
        "us/gov",
    ),
    ("reliability 0", _set("sources", 0, "reliability", 0), "reliability", "gur"),
    ("reliability 1", _set("sources", 1, "reliability", 1.0), "reliability", "pentagon"),
    ("reliability 1.5", _set("sources", 0, "reliability", 1.5), "reliability", "gur"),
    ("reliability -0.2", _set("sources", 0, "reliability", -0.2), "reliability", "gur"),
    ("reliability letter G", _set("sources", 0, "reliability", "G"), "reliability", "gur"),
    ("reliability NaN", _set("sources", 0, "reliability", float("nan")), "reliability", "gur"),
    ("reliability True", _set("sources", 0, "reliability", True), "reliability", "gur"),
    ("prior inf", _set("claims", 0, "prior", float("inf")), "prior", "nk-casualties"),
    ("prior 1", _set("claims", 0, "prior", 1.0), "prior", "nk-casualties"),
    ("weight NaN", _set("reports", 0, "weight", float("nan")), "weight", "gur->nk-30-casualties"),
    ("weight 0", _set("reports", 0, "weight", 0.0), "weight", "gur->nk-30-casualties"),
    (
        "weight -inf",
        _set("reports", 0, "weight", float("-inf")),
        "weight",
        "gur->nk-30-casualties",
    ),
    (
        "group dependence inf",
        _set("groups", 0, "dependence", float("inf")),
        "dependence",
        "us/gov",
    ),
    ("group dependence 1.2", _set("groups", 0, "dependence", 1.2), "dependence", "us/gov"),
    (
        "link dependence NaN",
        _append(
            "links",
            {"kind": "depends", "from": "gur", "to": "kremlin", "dependence": float("nan")},
        ),
        "dependence",
        "gur->kremlin",
    ),
    ("stance maybe", _set("reports", 0, "stance", "maybe"), "stance", "gur->nk-30-casualties"),
    (
        "stance Confirms",
        _set("reports", 0, "stance", "Confirms"),
        "stance",
        "gur->nk-30-casualties",
    ),
    (
        "link kind",
        _append("links", {"kind": "causes", "from": "nk-combat", "to": "nk-deployed"}),
        "kind",
        "nk-combat->nk-deployed",
    ),
    ("time yesterday", _set("reports", 0, "time", "yesterday"), "time", "gur->nk-30-casualties"),
    ("time month 13", _set("reports", 0, "time", "2024-13-01"), "time", "gur->nk-30-casualties"),
    ("time a number", _set("reports", 0, "time", 20241216), "time", "gur->nk-30-casualties"),
    ("citing itself", _set("reports", 0, "cites", "gur"), "cites", "gur->nk-30-casualties"),
    (
        "implication cycle",
        _append("links", {"kind": "implies", "from": "nk-deployed", "to": "nk-30-casualties"}),
        "links",
        None,
    ),
    ("format version", _top("credscore", 2), "credscore", None),
    ("sources not a list", _top("sources", {"gur": {}}), "sources", None),
]


@pytest.mark.parametrize(("name", "edit", "field", "ident"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_an_error_naming_field_and_id(
    name: str, edit: Edit, field: str, ident: str | None
) -> None:
    data = base()
    edit(data)
    with pytest.raises(InvalidCaseError) as info:
        Case.from_dict(data)
    err = info.value
    assert isinstance(err, CredscoreError) and isinstance(err, ValueError)
    match = [p for p in err.problems if p.field == field]
    assert match, f"{name}: no problem names field {field!r}: {err}"
    if ident is not None:
        assert any(p.id == ident for p in match), f"{name}: {err}"
        assert ident in str(err)
    assert field in str(err)
    # check_case finds the same problem without raising
    assert any(p.field == field for p in check_case(data))


def test_citation_cycle_names_cites_and_the_sources() -> None:
    data = base()
    data["reports"] += [
        {"source": "gur", "claim": "nk-combat", "stance": "confirms", "cites": "pentagon"},
        {"source": "pentagon", "claim": "nk-combat", "stance": "confirms", "cites": "white-house"},
        {"source": "white-house", "claim": "nk-combat", "stance": "confirms", "cites": "gur"},
    ]
    with pytest.raises(InvalidCaseError, match="citation cycle") as info:
        Case.from_dict(data)
    assert info.value.field == "cites"
    assert info.value.id is not None and info.value.id.endswith("->nk-combat")
    for s in ("gur", "pentagon", "white-house"):
        assert s in str(info.value)


def test_citations_in_a_ring_across_claims_are_no_cycle() -> None:
    """A cites B on one claim and B cites A on another: no one repeats himself."""
    data = base()
    data["reports"] += [
        {"source": "gur", "claim": "nk-combat", "stance": "confirms", "cites": "pentagon"},
        {"source": "pentagon", "claim": "nk-missing", "stance": "confirms", "cites": "gur"},
    ]
    assert check_case(data) == []


def test_implication_cycle_names_the_claims() -> None:
    data = base()
    data["links"].append({"kind": "implies", "from": "nk-deployed", "to": "nk-combat"})
    with pytest.raises(InvalidCaseError, match="implication cycle") as info:
        Case.from_dict(data)
    assert "nk-deployed" in str(info.value) and "nk-combat" in str(info.value)


def test_nan_and_infinity_in_json_text_are_rejected(tmp_path: Path) -> None:
    text = json.dumps(base()).replace('"weight": 0.7', '"weight": NaN')
    assert "NaN" in text
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidCaseError, match="NaN"):
        load_case(path)
    with pytest.raises(InvalidCaseError, match="Infinity"):
        load_case(io.StringIO(text.replace("NaN", "Infinity")))


def test_invalid_json_is_an_error_with_position() -> None:
    with pytest.raises(InvalidCaseError, match="line 1"):
        load_case(io.StringIO('{"credscore": 1,'))


def test_check_case_lists_several_problems_at_once() -> None:
    data = base()
    data["sources"][0]["reliability"] = 2
    data["sources"][1]["colour"] = "red"
    data["reports"][0]["stance"] = "maybe"
    data["reports"][1]["time"] = "soon"
    data["reports"].append({"source": "mi6", "claim": "nk-tanks", "stance": "confirms"})
    problems = check_case(data)
    fields = {p.field for p in problems}
    assert {"reliability", "sources[1].colour", "stance", "time", "source", "claim"} <= fields
    ids = {p.id for p in problems}
    assert {"gur", "pentagon", "gur->nk-30-casualties", "mi6->nk-tanks"} <= ids
    with pytest.raises(InvalidCaseError) as info:
        Case.from_dict(data)
    raised = info.value.problems
    assert len(raised) >= 4
    assert {str(p) for p in raised} <= {str(p) for p in problems}
    assert str(info.value).startswith(f"{len(raised)} problems: ")


def test_nothing_is_scored_from_a_bad_case() -> None:
    """Construction is validation: a Case that exists is valid."""
    with pytest.raises(InvalidCaseError, match="unknown source id 'mi6'"):
        Case([Source("gur")], [Claim("x")], [Report("mi6", "x", "confirms")])
    with pytest.raises(InvalidCaseError):
        Case([Source("gur"), Source("gur")], [Claim("x")], [])
    with pytest.raises(InvalidCaseError, match="expected a Report"):
        Case([Source("gur")], [Claim("x")], [("gur", "x", "confirms")])  # type: ignore[list-item]


def test_objects_are_frozen_and_normalised() -> None:
    s = Source("gur", reliability=" b ", affiliation="/ua/gov/")
    assert s.reliability == "B" and s.affiliation == "ua/gov"
    assert s.groups == ("ua", "ua/gov")
    with pytest.raises(AttributeError):
        s.reliability = "A"  # type: ignore[misc]
    r = Report("gur", "x", "confirms", time=datetime(2024, 12, 16, 9, 30))
    assert r.stance is credscore.Stance.CONFIRMS
    assert r.datetime == datetime(2024, 12, 16, 9, 30)
    assert hash(kursk()) == hash(kursk())


# -- custom weights, dependence and models --------------------------------------------


def two_sources() -> Case:
    return Case(
        [
            Source("afp", kind="wire", reliability="C"),
            Source("reuters", kind="wire", reliability="C"),
            Source("blog", kind="blog", reliability="C"),
        ],
        [Claim("x"), Claim("y")],
        [
            Report("afp", "x", "confirms"),
            Report("reuters", "x", "confirms"),
            Report("blog", "y", "confirms"),
        ],
    )


def with_reliability(case: Case, **rel: Any) -> Case:
    return case.replace(
        sources=tuple(
            Source(s.id, kind=s.kind, reliability=rel.get(s.id, s.reliability))
            for s in case.sources
        )
    )


def test_custom_reliability_by_id() -> None:
    case = two_sources()
    custom = credscore.score(case, model=CorroborationModel(reliability={"afp": 0.9}))
    same = credscore.score(with_reliability(case, afp=0.9))
    assert custom["x"].log_odds == pytest.approx(same["x"].log_odds, abs=1e-12)
    assert custom["x"].log_odds > credscore.score(case)["x"].log_odds
    assert custom.sources["afp"] == 0.9 and custom.sources["reuters"] == 0.6


def test_custom_reliability_by_kind_and_id_wins() -> None:
    case = two_sources()
    by_kind = credscore.score(case, model=CorroborationModel(reliability={"wire": "A"}))
    same = credscore.score(with_reliability(case, afp="A", reuters="A"))
    assert by_kind["x"].log_odds == pytest.approx(same["x"].log_odds, abs=1e-12)
    assert by_kind["y"].log_odds == pytest.approx(same["y"].log_odds, abs=1e-12)
    both = credscore.score(case, model=CorroborationModel(reliability={"wire": "A", "afp": "E"}))
    assert both.sources == {"afp": 0.2, "reuters": 0.95, "blog": 0.6}


def test_custom_reliability_callable_sees_source_and_claim() -> None:
    seen: set[tuple[str, str]] = set()

    def rel(source: Source, claim: Claim) -> float:
        seen.add((source.id, claim.id))
        return 0.9 if claim.id == "y" else 0.3

    case = two_sources()
    s = credscore.score(case, model=CorroborationModel(reliability=rel))
    assert seen == {("afp", "x"), ("reuters", "x"), ("blog", "y")}
    same_y = credscore.score(with_reliability(case, blog=0.9))
    assert s["y"].log_odds == pytest.approx(same_y["y"].log_odds, abs=1e-12)
    same_x = credscore.score(with_reliability(case, afp=0.3, reuters=0.3))
    assert s["x"].log_odds == pytest.approx(same_x["x"].log_odds, abs=1e-12)


@pytest.mark.parametrize("bad", [{"afp": 1.5}, {"afp": "Z"}, {"wire": float("nan")}])
def test_bad_custom_reliability_is_an_error(bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidCaseError, match="reliability"):
        credscore.score(two_sources(), model=CorroborationModel(reliability=bad))


def test_bad_callable_reliability_is_an_error_naming_the_source() -> None:
    model = CorroborationModel(reliability=lambda s, c: 2.0)
    with pytest.raises(InvalidCaseError, match="reliability of 'afp'"):
        credscore.score(two_sources(), model=model)


def test_custom_dependence_function_pools_sources() -> None:
    case = two_sources()
    plain = credscore.score(case)["x"]
    assert plain.independent_confirmations == 2

    def same_kind(a: Source, b: Source) -> float:
        return 1.0 if a.kind == b.kind else 0.0

    pooled = credscore.score(case, model=CorroborationModel(dependence=same_kind))["x"]
    assert pooled.independent_confirmations == 1
    one = credscore.score(case.replace(reports=case.reports[:1]))["x"]
    # fully dependent: two wires say no more than one
    assert pooled.log_odds == pytest.approx(one.log_odds, abs=1e-12)
    # the same as a declared depends link
    linked = case.replace(links=(credscore.Link("depends", "afp", "reuters", dependence=1.0),))
    assert credscore.score(linked)["x"].log_odds == pytest.approx(pooled.log_odds, abs=1e-12)
    with pytest.raises(InvalidCaseError, match="dependence"):
        credscore.score(case, model=CorroborationModel(dependence=lambda a, b: -1.0))


class Sceptic:
    """A user's model: every source counts as an unknown one."""

    def score(self, case: Case, *, as_of: str | datetime | None = None) -> credscore.Scores:
        flat = {s.id: 0.5 for s in case.sources}
        return CorroborationModel(reliability=flat).score(case, as_of=as_of)


def test_scoring_model_protocol_and_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    # register into a copy of the registry: other tests list the registered models
    monkeypatch.setattr(
        credscore.case.registry, "_CASE_MODELS", dict(credscore.case.registry._CASE_MODELS)
    )
    assert isinstance(Sceptic(), ScoringModel)
    assert isinstance(CorroborationModel(), ScoringModel)
    assert not isinstance(object(), ScoringModel)
    direct = credscore.score(kursk(), model=Sceptic())
    register_case_model("test-sceptic", Sceptic)
    assert "test-sceptic" in case_models()
    named = credscore.score(kursk(), model="test-sceptic")
    for c in kursk().claims:
        assert named[c.id].probability == direct[c.id].probability
    assert (
        direct["nk-casualties"].probability < credscore.score(kursk())["nk-casualties"].probability
    )
    with pytest.raises(ValueError, match="unknown case model"):
        credscore.score(kursk(), model="no-such-model")
    monkeypatch.undo()
    assert "test-sceptic" not in case_models()
    with pytest.raises(TypeError, match="Case"):
        credscore.score(kursk().to_dict())  # type: ignore[arg-type]


def test_as_of_string_and_datetime_agree() -> None:
    case = kursk()
    times: list[tuple[str, datetime]] = [
        ("2024-12-15", datetime(2024, 12, 15)),
        ("2024-12-16", datetime(2024, 12, 16)),
        ("2024-12-16T02:00:00+03:00", datetime(2024, 12, 15, 23, 0)),
        ("2024-12-16T00:00:00Z", datetime(2024, 12, 16, tzinfo=timezone.utc)),
        ("2025-01-01", datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=-5)))),
    ]
    for text, dt in times:
        a, b = credscore.score(case, as_of=text), credscore.score(case, as_of=dt)
        for c in case.claims:
            assert a[c.id].log_odds == b[c.id].log_odds, (text, c.id)
    before = credscore.score(case, as_of="2024-12-15")["nk-casualties"]
    on = credscore.score(case, as_of="2024-12-16")["nk-casualties"]
    assert before.grade == 6 and on.grade == 1
    with pytest.raises(InvalidCaseError, match="next week"):
        credscore.score(case, as_of="next week")
