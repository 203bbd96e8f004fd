"""The JSON Schema of the case format (credscore/schema/case-v1.json) and the loader agree.

Documents are generated from a valid case by replacing fields with values drawn
from pools of valid and invalid values; ids, citations and links are kept
consistent, so every verdict the loader gives is one the schema can give too.
What only the loader can check (ids that do not exist, duplicates, cycles, dates
that do not exist, numbers that JSON cannot write) is tested separately below.
"""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from credscore.case.model import Case, loose_ends
from credscore.errors import CredscoreError
from credscore.examples import path as example_path
from credscore.io.casefile import check_case

SCHEMA = json.loads(
    resources.files("credscore").joinpath("schema/case-v1.json").read_text(encoding="utf-8")
)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

MISSING = object()  # a pool value meaning "leave the key out"


def schema_accepts(doc: Any) -> bool:
    return VALIDATOR.is_valid(doc)


def loader_accepts(doc: Any) -> bool:
    try:
        Case.from_dict(doc)
    except CredscoreError:
        return False
    return True


# Pools of (value, valid?) per field. An id field is only ever replaced by an
# *invalid* value: a different valid id would break a cross-reference, which
# is the loader's business alone (tested below).
BAD_IDS = ["", " ", "\t", 5, 1.5, True, None, [], {}]
POOLS: dict[str, tuple[list[Any], list[Any]]] = {
    # field: (valid values, invalid values)
    "name": (["GUR", "", None, MISSING], [5, True, [], {}]),
    "kind": (["government", None, MISSING], [0, False, ["x"]]),
    "reliability": (
        ["A", "B", "C", "D", "E", "F", "b", " C ", 0.5, 1e-9, 0.999, None, MISSING],
        ["G", "", "AB", "0.5", 0, 1, 1.0, 1.5, -0.1, True, False, [], {}],
    ),
    "affiliation": (
        ["us/gov", "us", "/us/gov/", "a b/c", None, MISSING],
        ["", "/", "us//gov", " ", "us/ /gov", " /us", 5, ["us"], True],
    ),
    "text": (["", "Troops were deployed", MISSING], [None, 5, ["t"], True]),
    "prior": ([0.5, 0.01, 0.99, None, MISSING], [0, 1, -1, 1.5, "0.5", True, []]),
    "paths": (
        [[], ["ua"], ["us/gov", "/kp/"], MISSING],
        ["ua", [""], ["a//b"], [5], None, [["ua"]], 3, True, {}, {"ua": 1}],
    ),
    "stance": (
        ["confirms", "denies", "observes", "no_comment", "retracts"],
        ["confirm", "", "CONFIRMS", "no comment", 1, None, True, []],
    ),
    "time": (
        [
            "2024-12-16",
            "2024-12-16T10:00:00Z",
            "2024-12-16 10:00",
            "2024-12-16T10:00+02:00",
            None,
            MISSING,
        ],
        ["yesterday", "", "16/12/2024", "Dec 16 2024", 20241216, True, []],
    ),
    "weight": ([1, 1.0, 0.5, 1e-6, MISSING], [0, -1, 1.5, "1", None, True, []]),
    "dependence": ([0, 1, 0.5, 0.8], [-0.1, 1.1, "0.5", None, True, []]),
    "version": ([1, 1.0], [2, 0, "1", None, MISSING, [1], True]),
    "section": ([], [{}, "x", 5, None]),
}


def base_case(n_sources: int, n_claims: int) -> dict[str, Any]:
    """A valid case whose citations and implications point 'downwards' (no cycles)."""
    sources = [
        {"id": f"s{i}", "reliability": "B", "affiliation": f"org{i % 3}/unit{i}"}
        for i in range(n_sources)
    ]
    claims = [{"id": f"c{j}", "text": f"claim {j}"} for j in range(n_claims)]
    reports = []
    for i in range(n_sources):
        for j in range(n_claims):
            if (i + j) % 2 == 0:
                r: dict[str, Any] = {"source": f"s{i}", "claim": f"c{j}", "stance": "confirms"}
                if i > 0 and j % 3 == 0:
                    r["cites"] = f"s{i - 1}"
                reports.append(r)
    links = [{"kind": "implies", "from": f"c{j}", "to": f"c{j + 1}"} for j in range(n_claims - 1)]
    if n_sources > 1:
        links.append({"kind": "depends", "from": "s1", "to": "s0", "dependence": 0.5})
    groups = [{"id": "org0", "dependence": 0.3}, {"id": "org1/unit1", "dependence": 0.9}]
    return {
        "credscore": 1,
        "sources": sources,
        "groups": groups,
        "claims": claims,
        "links": links,
        "reports": reports,
    }


def _fields(doc: dict[str, Any]) -> list[tuple[list[Any], Any, str]]:
    """Every (container, key, pool) that a mutation may touch."""
    out: list[tuple[list[Any], Any, str]] = [([doc], "credscore", "version")]
    for key in ("sources", "claims", "reports", "groups", "links"):
        out.append(([doc], key, "section"))
    for s in doc["sources"]:
        out += [([s], k, k) for k in ("name", "kind", "reliability", "affiliation")]
        out.append(([s], "id", "id"))
    for c in doc["claims"]:
        out += [([c], "text", "text"), ([c], "prior", "prior"), ([c], "id", "id")]
        out += [([c], "benefits", "paths"), ([c], "harms", "paths")]
    for r in doc["reports"]:
        out += [([r], "stance", "stance"), ([r], "time", "time"), ([r], "weight", "weight")]
        out += [([r], "source", "id"), ([r], "claim", "id")]
        out.append(([r], "cites", "cites" if "cites" in r else "nocites"))
    for g in doc["groups"]:
        out += [([g], "dependence", "dependence"), ([g], "id", "group-id")]
    for link in doc["links"]:
        out += [([link], "from", "id"), ([link], "to", "id")]
        kind = link["kind"]
        out.append(([link], "kind", "link-kind-" + kind))
        out.append(([link], "dependence", "link-dep-" + kind))
    return out


def _pool(name: str, current: Any) -> tuple[list[Any], list[Any]]:
    if name in POOLS:
        return POOLS[name]
    if name == "id":
        return [current], BAD_IDS
    if name == "cites":
        return [current, None, MISSING], ["", " ", "\t", 5, 1.5, True, [], {}]
    if name == "nocites":
        return [None, MISSING], ["", 7, True]
    if name == "group-id":
        return [current, f"/{current}/"], ["", "/", "a//b", " ", 5, None]
    if name == "link-kind-depends":
        return ["depends"], ["causes", "", None, 5, "DEPENDS"]
    if name.startswith("link-kind-"):
        return ["implies", "contradicts"], ["causes", "", None, 5, "Implies"]
    if name == "link-dep-depends":
        return [0, 0.3, 1, None, MISSING], [-0.5, 2, "x", True, []]
    return [None, MISSING], [0.5, 1, "x"]  # dependence on an implies/contradicts link


@st.composite
def mutated_cases(draw: st.DrawFn) -> dict[str, Any]:
    doc = base_case(draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    fields = _fields(doc)
    n = draw(st.integers(0, 3))
    for i in draw(st.lists(st.integers(0, len(fields) - 1), min_size=n, max_size=n, unique=True)):
        (container,), key, pool_name = fields[i]
        valid, invalid = _pool(pool_name, container.get(key))
        value = draw(st.sampled_from(valid + invalid))
        if value is MISSING:
            container.pop(key, None)
        else:
            container[key] = copy.deepcopy(value)

    def items(*sections: str) -> list[Any]:
        return [x for k in sections if isinstance(doc.get(k), list) for x in doc[k]]

    if draw(st.integers(0, 9)) == 0:  # an unknown key somewhere
        target = draw(st.sampled_from([doc, *items("sources", "claims", "reports")]))
        if isinstance(target, dict):
            target["colour"] = "red"
    if draw(st.integers(0, 9)) == 0:  # a missing required key somewhere
        target = draw(st.sampled_from([{}, *items("sources", "reports")]))
        if isinstance(target, dict) and target:
            target.pop(draw(st.sampled_from(sorted(target))))
    return doc


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    """The shipped schema is itself valid JSON Schema (draft 2020-12)."""
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["credscore"]["const"] == 1


def test_reference_case_is_valid() -> None:
    """The built-in reference case satisfies the schema and loads."""
    doc = json.loads(example_path("kursk").read_text(encoding="utf-8"))
    assert schema_accepts(doc)
    assert loader_accepts(doc)


def test_base_cases_are_valid() -> None:
    """The unmutated documents the property test starts from are valid for both."""
    for n_sources in range(1, 5):
        for n_claims in range(1, 5):
            doc = base_case(n_sources, n_claims)
            assert schema_accepts(doc), list(VALIDATOR.iter_errors(doc))
            assert loader_accepts(doc)


@given(mutated_cases())
def test_schema_and_loader_agree(doc: dict[str, Any]) -> None:
    """A document the schema accepts loads; one it rejects raises CredscoreError."""
    expected = schema_accepts(doc)
    if expected:
        Case.from_dict(doc)  # must not raise
    else:
        with pytest.raises(CredscoreError):
            Case.from_dict(doc)
    # check_case lists problems whenever the loader refuses the document; when
    # the loader accepts it, the only problems are loose ends (references that
    # are valid but match nothing), which `validate` refuses and `score` warns of.
    problems = [str(p) for p in check_case(doc)]
    if expected:
        assert problems == [str(p) for p in loose_ends(Case.from_dict(doc))]
    else:
        assert problems


@given(mutated_cases())
def test_written_cases_satisfy_the_schema(doc: dict[str, Any]) -> None:
    """What Case.to_dict writes is valid against the schema, and loads back equal."""
    try:
        case = Case.from_dict(doc)
    except CredscoreError:
        return
    out = case.to_dict()
    assert schema_accepts(out), list(VALIDATOR.iter_errors(out))
    assert Case.from_dict(json.loads(json.dumps(out))) == case


# What the schema cannot see: each document below satisfies the schema, and the
# loader refuses it with a message that names the offending id.
ONLY_THE_LOADER: dict[str, tuple[Any, str]] = {}


def _case_with(change: Any) -> dict[str, Any]:
    doc = base_case(3, 3)
    change(doc)
    return doc


def _set(path: list[Any], value: Any) -> Any:
    def change(doc: dict[str, Any]) -> None:
        target: Any = doc
        for p in path[:-1]:
            target = target[p]
        target[path[-1]] = value

    return change


def _append(section: str, item: dict[str, Any]) -> Any:
    return lambda doc: doc[section].append(item)


LOADER_ONLY = {
    "unknown source in a report": (_set(["reports", 0, "source"], "nobody"), "nobody"),
    "unknown claim in a report": (_set(["reports", 0, "claim"], "c99"), "c99"),
    "unknown cited source": (_set(["reports", 0, "cites"], "ghost"), "ghost"),
    "duplicate source id": (_append("sources", {"id": "s1"}), "s1"),
    "duplicate claim id": (_append("claims", {"id": "c2"}), "c2"),
    "duplicate group id": (_append("groups", {"id": "org0", "dependence": 0.1}), "org0"),
    "a source citing itself": (_set(["reports", 0, "cites"], "s0"), "s0"),
    "unknown claim in a link": (
        _append("links", {"kind": "implies", "from": "c0", "to": "c77"}),
        "c77",
    ),
    "unknown source in a depends link": (
        _append("links", {"kind": "depends", "from": "s0", "to": "c0"}),
        "c0",
    ),
    "a link joining a claim to itself": (
        _append("links", {"kind": "contradicts", "from": "c1", "to": "c1"}),
        "c1",
    ),
    "an implication cycle": (
        _append("links", {"kind": "implies", "from": "c2", "to": "c0"}),
        "c0",
    ),
    "a citation cycle": (
        lambda doc: doc["reports"].extend(
            [
                {"source": "s0", "claim": "c1", "stance": "confirms", "cites": "s1"},
                {"source": "s1", "claim": "c1", "stance": "confirms", "cites": "s0"},
            ]
        ),
        "s0",
    ),
    "a date that does not exist": (_set(["reports", 0, "time"], "2024-02-30"), "s0->c0"),
    "a month that does not exist": (_set(["reports", 0, "time"], "2024-13-01"), "s0->c0"),
}


@pytest.mark.parametrize("what", sorted(LOADER_ONLY))
def test_loader_checks_what_the_schema_cannot(what: str) -> None:
    """Cross-references, uniqueness, cycles and calendar dates: schema passes, loader refuses."""
    change, named = LOADER_ONLY[what]
    doc = _case_with(change)
    assert schema_accepts(doc), list(VALIDATOR.iter_errors(doc))
    with pytest.raises(CredscoreError) as info:
        Case.from_dict(doc)
    assert named in str(info.value)
    assert check_case(doc), "check_case must list the problem too"


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize(
    "field",
    [["sources", 0, "reliability"], ["claims", 0, "prior"], ["reports", 0, "weight"]],
)
def test_non_finite_numbers_are_refused(number: float, field: list[Any]) -> None:
    """NaN and infinities (which JSON cannot write, but a dict can hold) are refused."""
    doc = _case_with(_set(field, number))
    with pytest.raises(CredscoreError) as info:
        Case.from_dict(doc)
    assert field[-1] in str(info.value)


def test_version_true_is_refused() -> None:
    """`"credscore": true` is not version 1 (the schema refuses it; so must the loader)."""
    doc = _case_with(_set(["credscore"], True))
    assert not schema_accepts(doc)
    assert not loader_accepts(doc)


def test_benefits_must_be_a_list() -> None:
    """`benefits` given as a JSON object is refused (the schema wants an array)."""
    doc = _case_with(_set(["claims", 0, "benefits"], {"ua": 1}))
    assert not schema_accepts(doc)
    assert not loader_accepts(doc)
