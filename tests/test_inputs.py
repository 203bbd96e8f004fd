"""Inputs that cannot silently mislead (issue 13): each reproduction from the
issue, at the layer it belongs to (loader, model, explanation).

The command-line reproductions are in ``test_cli.py`` and ``test_fuse.py``; the
fuzz test over mutated files is ``test_fuzz_inputs.py``.
"""

from __future__ import annotations

import json
import random
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import credscore as cs
from credscore import strategies as cst
from credscore.case.model import loose_ends
from credscore.errors import CredscoreError, CredscoreWarning, InvalidCaseError
from credscore.examples import path as example_path
from credscore.io.casefile import check_case, load_case

KURSK = json.loads(example_path("kursk").read_text(encoding="utf-8"))


def doc(**changes: Any) -> dict[str, Any]:
    d = json.loads(json.dumps(KURSK))
    d.update(changes)
    return d


def quietly(case: cs.Case, **kw: Any) -> cs.Scores:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CredscoreWarning)
        return cs.score(case, **kw)


# -- crashes become named errors ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # a 400-digit integer as a group dependence: too big for a float
        (
            '{"credscore": 1, "sources": [{"id": "a", "affiliation": "g/x"}], "claims": [],'
            ' "reports": [], "groups": [{"id": "g", "dependence": 1' + "0" * 400 + "}]}",
            ["dependence", "'g'", "finite"],
        ),
        # a 5,000-digit integer as a reliability: beyond Python's digit limit
        (
            '{"credscore": 1, "sources": [{"id": "a", "reliability": 1' + "0" * 5000 + "}],"
            ' "claims": [], "reports": []}',
            ["5001 digits"],
        ),
        # JSON nested 100,000 deep
        ("[" * 100_000 + "]" * 100_000, ["nested too deeply"]),
        (
            '{"credscore": 1, "sources": ' + "[" * 100_000 + "]" * 100_000 + ', "claims": [],'
            ' "reports": []}',
            ["nested too deeply"],
        ),
    ],
    ids=["400-digit dependence", "5000-digit reliability", "deep array", "deep section"],
)
def test_numbers_and_nesting_beyond_limits_are_named_errors(
    tmp_path: Path, text: str, words: list[str]
) -> None:
    p = tmp_path / "case.json"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(CredscoreError) as info:
        load_case(p)
    for w in words:
        assert w in str(info.value), str(info.value)


@pytest.mark.parametrize(
    "bad",
    [
        {"credscore": 1, "sources": [{"id": "a", "name": (1, 2)}], "claims": [], "reports": []},
        {"credscore": 1, "sources": [{"id": "a", "name": {1, 2}}], "claims": [], "reports": []},
        {"credscore": 1, 3: 4, "sources": [], "claims": [], "reports": []},
        {"credscore": 1, "sources": [{"id": "a", 7: "x"}], "claims": [], "reports": []},
    ],
    ids=["tuple", "set", "int key at the top", "int key in a source"],
)
def test_non_json_values_in_from_dict_are_named_errors(bad: dict[Any, Any]) -> None:
    with pytest.raises(InvalidCaseError):
        cs.Case.from_dict(bad)
    assert check_case(bad)  # and validate lists them


@pytest.mark.parametrize(
    "as_of", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01"]
)
def test_times_at_the_ends_of_the_calendar_are_named_errors_or_work(as_of: str) -> None:
    """The first two fall outside the years 1-9999 once in UTC: an error that
    names as_of. A bare first day of year 1 is a valid time."""
    case = cs.examples.kursk()
    if as_of == "0001-01-01":
        s = quietly(case, as_of=as_of)
        assert all(c.probability == pytest.approx(0.5) for c in s)
        return
    with pytest.raises(InvalidCaseError, match=r"as_of.*outside the years 1-9999"):
        cs.score(case, as_of=as_of)


# -- loose ends: valid, but matching nothing ----------------------------------------


def _self_serving_case(benefits: list[str]) -> dict[str, Any]:
    return {
        "credscore": 1,
        "sources": [
            {"id": "gur", "reliability": "B", "affiliation": "ua/gov/mod/gur"},
            {"id": "pentagon", "reliability": "B", "affiliation": "us/gov/dod"},
        ],
        "claims": [{"id": "c", "benefits": benefits}],
        "reports": [
            {"source": "gur", "claim": "c", "stance": "confirms"},
            {"source": "pentagon", "claim": "c", "stance": "confirms"},
        ],
    }


def test_an_interest_that_matches_no_affiliation_is_refused_by_validate_and_warned_by_score() -> (
    None
):
    """`benefits: ["ukraine"]` beside `ua/...` affiliations would silently drop
    the self-serving discount: validate refuses it, naming claim and prefix;
    scoring warns, and the score is that of no interest at all."""
    typo = _self_serving_case(["ukraine"])
    problems = [str(p) for p in check_case(typo)]
    assert problems == [
        "benefits of 'c': 'ukraine' matches no source's affiliation "
        "(affiliations start with 'ua', 'us')"
    ]
    case = cs.Case.from_dict(typo)  # loading still works: a warning, not an error
    with pytest.warns(
        CredscoreWarning, match="'ukraine' matches no source.*changes no probability"
    ):
        p_typo = cs.score(case)["c"].probability
    p_none = cs.score(cs.Case.from_dict(_self_serving_case([])))["c"].probability
    p_ua = cs.score(cs.Case.from_dict(_self_serving_case(["ua"])))["c"].probability
    assert p_typo == p_none
    assert p_ua < p_none  # the discount that the typo lost


def test_harms_and_group_typos_and_letter_case_are_loose_ends() -> None:
    d = _self_serving_case([])
    d["claims"][0]["harms"] = ["russia"]
    d["groups"] = [{"id": "us/gvo", "dependence": 0.9}]
    d["sources"].append({"id": "wh", "reliability": "B", "affiliation": "us/gov/nsc"})
    d["sources"].append({"id": "nsc", "reliability": "B", "affiliation": "US/gov/nsc"})
    problems = [str(p) for p in check_case(d)]
    assert any(p.startswith("harms of 'c': 'russia' matches no") for p in problems), problems
    assert any(p.startswith("groups.id of 'us/gvo': no source's") for p in problems), problems
    assert any(
        p.startswith("affiliation of 'nsc': 'US' differs from 'us' (of 'pentagon')")
        and "letter case" in p
        for p in problems
    ), problems


def test_interests_match_whole_path_segments() -> None:
    """`ua` covers `ua/gov`, never `uae/gov`: a source of the UAE confirming a
    claim that benefits Ukraine is not self-serving."""
    case = cs.Case(
        [cs.Source("uae-mofa", reliability="B", affiliation="uae/gov/mofa")],
        [cs.Claim("c", benefits=["ua"])],
        [cs.Report("uae-mofa", "c", "confirms")],
    )
    assert [str(p) for p in loose_ends(case)] == [
        "benefits of 'c': 'ua' matches no source's affiliation (affiliations start with 'uae')"
    ]
    with pytest.warns(CredscoreWarning):
        s = cs.score(case)["c"]
    assert "self-serving" not in s.flags
    neutral = cs.score(case.replace(claims=[cs.Claim("c")]))["c"]
    assert s.probability == neutral.probability


def test_a_reliability_mapping_key_no_source_has_is_warned() -> None:
    case = cs.examples.kursk()
    with pytest.warns(CredscoreWarning, match="reliability of 'gurr': no source has this id"):
        typo = cs.CorroborationModel(reliability={"gurr": "E"}).score(case)
    assert typo["nk-casualties"].probability == cs.score(case)["nk-casualties"].probability
    # a key that is a source's kind is not a loose end
    with warnings.catch_warnings():
        warnings.simplefilter("error", CredscoreWarning)
        cs.CorroborationModel(reliability={"gur": "E"}).score(case)


def test_the_reference_case_has_no_loose_ends() -> None:
    assert loose_ends(cs.examples.kursk()) == []
    with warnings.catch_warnings():
        warnings.simplefilter("error", CredscoreWarning)
        cs.score(cs.examples.kursk())


# -- logically impossible links -------------------------------------------------------


@pytest.mark.parametrize(
    ("links", "culprit"),
    [
        ([("implies", "a", "b"), ("contradicts", "a", "b")], "'a' also implies 'b'"),
        ([("implies", "a", "b"), ("contradicts", "b", "a")], "'a' also implies 'b'"),
        (
            [("implies", "a", "b"), ("implies", "b", "c"), ("contradicts", "c", "a")],
            "'a' also implies 'c'",
        ),
        ([("implies", "x", "a"), ("implies", "x", "b"), ("contradicts", "a", "b")], "'x'"),
    ],
    ids=["same pair", "reversed", "through a chain", "a common cause"],
)
def test_impossible_links_are_errors(links: list[tuple[str, str, str]], culprit: str) -> None:
    claims = [cs.Claim(c) for c in "abcx"]
    with pytest.raises(InvalidCaseError, match="impossible contradiction") as info:
        cs.Case([], claims, [], links=[cs.Link(*lk) for lk in links])
    assert culprit in str(info.value)


def test_possible_contradictions_are_accepted() -> None:
    """A implies C, B contradicts C: A and B cannot both hold, which is a
    finding, not a mistake; and a chain of contradictions is fine."""
    claims = [cs.Claim(c) for c in "abcd"]
    links = [
        cs.Link("implies", "a", "c"),
        cs.Link("contradicts", "b", "c"),
        cs.Link("contradicts", "c", "d"),
        cs.Link("contradicts", "b", "d"),
    ]
    cs.Case([], claims, [], links=links)


# -- validate lists every problem in one pass -----------------------------------------


def test_field_errors_and_reference_errors_are_listed_together() -> None:
    """The docs' broken.json case: a bad stance and an unknown source in the
    same report, another report naming an unknown claim, a bad reliability."""
    d = doc()
    d["sources"][1]["reliability"] = 7
    d["reports"][0].update(stance="confirm", source="ryder")
    d["reports"][1]["claim"] = "nk-deployd"
    problems = [str(p) for p in check_case(d)]
    assert any("reliability of" in p and "got 7" in p for p in problems), problems
    assert any("stance of 'ryder->" in p for p in problems), problems
    assert any("unknown source id 'ryder'" in p for p in problems), problems
    assert any("unknown claim id 'nk-deployd'" in p for p in problems), problems


def test_links_with_bad_fields_have_their_ids_checked_in_the_same_pass() -> None:
    d = {
        "credscore": 1,
        "sources": [{"id": "a"}],
        "claims": [{"id": "c"}],
        "reports": [],
        "groups": [{"id": "g", "dependence": 5}],
        "links": [
            {"kind": "depends", "from": "a", "to": "zz", "dependence": 7},
            {"kind": "implies", "from": "c", "to": "nope"},
        ],
    }
    problems = [str(p) for p in check_case(d)]
    assert "dependence of 'a->zz': must lie in [0, 1], got 7" in problems
    assert "to of 'a->zz': unknown source id 'zz'" in problems
    assert "to of 'c->nope': unknown claim id 'nope'" in problems


def test_a_bad_source_does_not_make_its_affiliation_a_loose_end() -> None:
    """A source that fails to load still holds its affiliation: claims that
    benefit it are not reported as matching nothing."""
    d = doc()
    d["sources"][0]["reliability"] = 1.5  # gur, the only ua/ source
    problems = [str(p) for p in check_case(d)]
    assert len(problems) == 1 and "reliability of 'gur'" in problems[0], problems


# -- time: untimed reports, bare dates, retractions -----------------------------------


def _one_source(*reports: cs.Report) -> cs.Case:
    return cs.Case([cs.Source("s", reliability="B")], [cs.Claim("c")], list(reports))


def test_an_untimed_retraction_is_the_last_word() -> None:
    """A retraction with no time after a timed confirmation withdraws it
    (before, it was silently ignored: the timed report counted as later)."""
    case = _one_source(
        cs.Report("s", "c", "confirms", time="2024-12-16"), cs.Report("s", "c", "retracts")
    )
    s = cs.score(case)["c"]
    assert s.probability == 0.5 and s.grade == 6


def test_untimed_reports_are_left_out_of_any_as_of_reading() -> None:
    case = _one_source(cs.Report("s", "c", "confirms"))
    assert cs.score(case)["c"].probability > 0.5  # the whole case: it counts
    with pytest.warns(CredscoreWarning, match="1 report.* without a time left out"):
        s = cs.score(case, as_of="1900-01-01")["c"]
    assert s.probability == 0.5  # before, it counted even in 1900


def test_a_bare_date_means_the_end_of_that_day() -> None:
    case = _one_source(cs.Report("s", "c", "confirms", time="2024-12-16T15:00:00Z"))
    assert cs.score(case, as_of="2024-12-16")["c"].probability > 0.5
    assert cs.score(case, as_of="2024-12-16T14:59:59Z")["c"].probability == 0.5
    assert cs.score(case, as_of="2024-12-15")["c"].probability == 0.5


# -- property 2: a source's own word never weakens a relay of it ----------------------


def _relayed(stance: str) -> cs.Case:
    return cs.Case(
        [cs.Source("s0", reliability="B"), cs.Source("s1", reliability="B")],
        [cs.Claim("c")],
        [cs.Report("s1", "c", stance, cites="s0")],
    )


@pytest.mark.parametrize("stance", ["confirms", "denies"])
def test_a_weak_own_report_does_not_undo_a_relay(stance: str) -> None:
    """s1 relays s0 (silent); then s0 says the same with weight 1e-6. Before,
    p fell from 0.604 to 0.500 (a confirmation lowering p), or rose for a denial."""
    before = cs.score(_relayed(stance))["c"].probability
    case = _relayed(stance)
    after = cs.score(
        case.replace(reports=[*case.reports, cs.Report("s0", "c", stance, weight=1e-6)])
    )
    p = after["c"].probability
    assert p >= before if stance == "confirms" else p <= before
    assert p != 0.5


# -- property 8: tied reports that differ only in whom they cite -----------------------


def test_tied_reports_differing_in_citation_do_not_depend_on_order() -> None:
    """Two untimed reports of one source on one claim, one citing s1 and one
    citing s2: every order of inputs (and a renaming of ids) gives one p."""
    sources = [
        cs.Source("s0", reliability="C"),
        cs.Source("s1", reliability="A", affiliation="x/1"),
        cs.Source("s2", reliability="E", affiliation="y/2"),
        cs.Source("s3", reliability="B"),
    ]
    reports = [
        cs.Report("s0", "c", "confirms", cites="s1"),
        cs.Report("s0", "c", "confirms", cites="s2"),
        cs.Report("s2", "c", "denies"),
        cs.Report("s3", "c", "confirms"),
    ]
    rng = random.Random(7)
    seen = set()
    for _ in range(12):
        rng.shuffle(sources)
        rng.shuffle(reports)
        seen.add(round(cs.score(cs.Case(sources, [cs.Claim("c")], reports))["c"].log_odds, 12))
    assert len(seen) == 1
    renamed = {"s0": "z0", "s1": "a1", "s2": "m2", "s3": "b3"}

    def rn(x: str | None) -> str | None:
        return None if x is None else renamed[x]

    case = cs.Case(
        [cs.Source(rn(s.id), reliability=s.reliability, affiliation=s.affiliation)  # type: ignore[arg-type]
         for s in sources],
        [cs.Claim("c")],
        [cs.Report(rn(r.source), "c", r.stance, cites=rn(r.cites)) for r in reports],  # type: ignore[arg-type]
    )  # fmt: skip
    assert round(cs.score(case)["c"].log_odds, 12) in seen


# -- judgement: self-serving confirmations and grade 1 --------------------------------


def test_self_serving_confirmations_cannot_make_grade_1() -> None:
    """ua/gov, ua/media, ua/ngo, all A, confirm a claim that benefits ua:
    p 0.951, flagged self-serving; before, grade 1; now grade 2."""
    case = cs.Case(
        [
            cs.Source("gov", reliability="A", affiliation="ua/gov"),
            cs.Source("media", reliability="A", affiliation="ua/media"),
            cs.Source("ngo", reliability="A", affiliation="ua/ngo"),
        ],
        [cs.Claim("c", benefits=["ua"])],
        [cs.Report(s, "c", "confirms") for s in ("gov", "media", "ngo")],
    )
    s = cs.score(case)["c"]
    assert s.probability >= 0.9 and s.independent_confirmations >= 2
    assert "self-serving" in s.flags
    assert s.grade == 2
    # the same confirmations of a neutral claim do make grade 1
    neutral = cs.score(case.replace(claims=[cs.Claim("c")]))["c"]
    assert neutral.grade == 1


def test_flags_are_the_claims_own_not_inherited_through_implies() -> None:
    """gur confirms a claim that serves it and implies a neutral claim: the
    neutral claim is not flagged self-serving (before, it was)."""
    case = cs.Case(
        [cs.Source("gur", reliability="B", affiliation="ua/gov/gur")],
        [cs.Claim("ua-win", benefits=["ua"]), cs.Claim("fighting")],
        [cs.Report("gur", "ua-win", "confirms", time="2024-12-16")],
        links=[cs.Link("implies", "ua-win", "fighting")],
    )
    s = cs.score(case, as_of="2024-12-16")
    assert "self-serving" in s["ua-win"].flags
    assert "self-serving" not in s["fighting"].flags
    assert s["fighting"].probability >= s["ua-win"].probability  # property 9


# -- explanations say which link carried the evidence ---------------------------------


def _contradicted() -> cs.Scores:
    case = cs.Case(
        [
            cs.Source("idf", reliability="B", affiliation="il/gov"),
            cs.Source("un", reliability="B", affiliation="un"),
        ],
        [cs.Claim("misfire"), cs.Claim("strike")],
        [cs.Report("idf", "misfire", "confirms"), cs.Report("un", "misfire", "confirms")],
        links=[cs.Link("contradicts", "misfire", "strike")],
    )
    return cs.score(case)


def test_explain_names_the_link_that_carried_the_evidence() -> None:
    text = _contradicted().explain("strike")
    assert "denies it" not in text  # nobody denied the strike
    assert "via 'misfire', which contradicts this claim: it counts against" in text
    assert "Contested through its links" in text


def test_explain_reads_log_odds_in_words() -> None:
    text = _contradicted().explain("strike")
    assert "+0.69 doubles the odds" in text
    assert "about 9 to 1 against" in text  # beside evidence -2.20
    kursk = cs.score(cs.examples.kursk()).explain("nk-casualties")
    assert " to 1 for)" in kursk


def test_intervals_print_with_a_dash_not_an_arrow() -> None:
    text = _contradicted().explain("strike")
    assert "80% interval 0.00-0.03" in text and "->" not in text


def test_a_reliability_next_to_1_scores_without_a_numpy_warning() -> None:
    """Found by the fuzzer: reliability 0.9999999999999999 put the optimistic
    end of the interval at exactly 1, and ln 0 in the evidence."""
    case = _one_source(cs.Report("s", "c", "confirms"))
    case = case.replace(sources=[cs.Source("s", reliability=0.9999999999999999)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        s = cs.score(case)["c"]
    assert s.interval[0] <= s.probability <= s.interval[1] == 1.0
    assert 30 < s.log_odds < 40  # large, finite


def _naive_loose(case: cs.Case) -> list[tuple[str, str, str]]:
    """Every prefix of every affiliation, spelled out: the slow reference."""
    under = {g for s in case.sources for g in s.groups}
    out = [
        (field, c.id, p)
        for c in case.claims
        for field in ("benefits", "harms")
        for p in getattr(c, field)
        if p not in under
    ]
    return out + [("groups.id", g.id, g.id) for g in case.groups if g.id not in under]


@given(cst.cases(segments=("a", "b", "A")), st.data())
def test_loose_ends_agree_with_spelling_out_every_prefix(case: cs.Case, data: Any) -> None:
    """The fast prefix check (split only as deep as needed; deep paths one by
    one) finds the same loose ends as spelling out every prefix."""
    deep = "/".join(["a"] * 9)  # deeper than the shallow cut of 8 segments
    extra = data.draw(st.sampled_from(["", deep, deep + "/b"]))
    if extra:
        case = case.replace(
            sources=[*case.sources, cs.Source("deep-src", affiliation=deep + "/x")],
            claims=[*case.claims, cs.Claim("deep-claim", benefits=[extra, extra + "/zz"])],
        )
    fast = [(p.field, p.id, p.problem) for p in loose_ends(case) if p.field != "affiliation"]
    slow = _naive_loose(case)
    assert [(f, i) for f, i, _ in fast] == [(f, i) for f, i, _ in slow]
    for (_, _, problem), (_, _, prefix) in zip(fast, slow):
        assert problem.startswith(repr(prefix)) or problem.startswith("no source's")
    # a clash of letter case is named exactly when two prefixes differ only in case
    spelt = {g for s in case.sources for g in s.groups}
    clash = any(x != y and x.lower() == y.lower() for x in spelt for y in spelt)
    assert clash == any(p.field == "affiliation" for p in loose_ends(case))


def test_loose_ends_stay_linear_on_a_deep_affiliation() -> None:
    """1,000 sources at one affiliation 10^4 segments deep (the stress row
    that caught a quadratic first version): the answer without spelling out
    10^4 prefixes per source."""
    deep = "/".join(f"s{i}" for i in range(10_000))
    sources = [cs.Source(f"x{i}", affiliation=deep) for i in range(1_000)]
    case = cs.Case(sources, [cs.Claim("c", benefits=["s0/s1", "s0/s2"])], [])
    assert [str(p) for p in loose_ends(case)] == [
        "benefits of 'c': 's0/s2' matches no source's affiliation (affiliations start with 's0')"
    ]
