"""credscore.io.export and ``credscore export`` (issue 12, item 5): each
format is checked by that format's own library or rules, and read back to the
claims, probabilities and reports it was made from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from credscore import Case, Claim, Report, Source, examples, score, strategies
from credscore.case.parts import parse_time
from credscore.cli.main import main
from credscore.io.export import (
    STIX_OPINION,
    claimreview,
    export,
    misp,
    reliability_letter,
    stix,
)

DATE = "2024-12-17"


@pytest.fixture(scope="module")
def kursk() -> Case:
    return examples.kursk()


def _triples(case: Case) -> list[tuple[str, str, str]]:
    return sorted((r.source, r.claim, r.stance.value) for r in case.reports)


# -- ClaimReview -----------------------------------------------------------------

#: The fields Google's Fact Check tools require of a ClaimReview.
REQUIRED = ("claimReviewed", "reviewRating", "author")


def check_claimreview(doc: dict[str, Any]) -> None:
    assert doc["@context"] == "https://schema.org"
    for review in doc["@graph"]:
        assert review["@type"] == "ClaimReview"
        for field in REQUIRED:
            assert review[field], field
        assert "url" in review or "itemReviewed" in review
        assert review["author"]["@type"] in ("Organization", "Person")
        assert review["author"]["name"]
        rating = review["reviewRating"]
        assert rating["@type"] == "Rating"
        assert rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]
        assert rating["alternateName"]
        item = review["itemReviewed"]
        assert item["@type"] == "Claim"
        for a in item["appearance"]:
            assert a["@type"] == "CreativeWork" and a["author"]["name"]


def test_claimreview_of_the_reference_case(kursk: Case) -> None:
    doc = claimreview(kursk, date=DATE, url="https://example.org/kursk")
    check_claimreview(doc)
    scores = score(kursk)
    reviews = {r["identifier"]: r for r in doc["@graph"]}
    assert list(reviews) == [c.id for c in kursk.claims]
    r = reviews["nk-casualties"]
    assert r["url"] == "https://example.org/kursk#nk-casualties"
    assert r["datePublished"] == DATE
    assert r["reviewRating"]["ratingValue"] == round(scores["nk-casualties"].probability, 3)
    assert r["reviewRating"]["alternateName"] == "almost certain"
    assert "grade 1" in r["reviewRating"]["ratingExplanation"]
    # GUR and the Pentagon confirmed; the first confirmation is GUR's (both on
    # 2024-12-16, GUR listed first)
    authors = [a["author"]["identifier"] for a in r["itemReviewed"]["appearance"]]
    assert authors == ["gur", "pentagon"]
    assert r["itemReviewed"]["author"]["identifier"] == "gur"
    # silence (kremlin, ru-mod) is an appearance too, and says so
    deployed = reviews["nk-deployed"]["itemReviewed"]
    assert [a["description"] for a in deployed["appearance"]] == [
        "kremlin no_comment",
        "ru-mod no_comment",
    ]
    assert "firstAppearance" not in deployed  # nobody confirmed it directly


def _read_claimreview(doc: dict[str, Any]) -> tuple[dict[str, float], list[tuple[str, str, str]]]:
    """Probabilities and (source, claim, stance) back from a ClaimReview document."""
    probs, triples = {}, []
    for review in doc["@graph"]:
        cid = review["identifier"]
        probs[cid] = review["reviewRating"]["ratingValue"]
        for a in review["itemReviewed"]["appearance"]:
            source = a["author"]["identifier"]
            stance = a["description"].removeprefix(source + " ").split(",")[0]
            triples.append((source, cid, stance))
    return probs, sorted(triples)


# -- STIX ------------------------------------------------------------------------


def _read_stix(doc: dict[str, Any]) -> tuple[dict[str, int], list[tuple[str, str, str]]]:
    """Confidences and (source, claim, stance) back from a bundle parsed by stix2."""
    stix2 = pytest.importorskip("stix2")
    bundle = stix2.parse(json.dumps(doc), allow_custom=False)
    by_id = {o.id: o for o in bundle.objects}
    source_of = {
        o.id: o.description.split("'")[1]
        for o in bundle.objects
        if o.type == "identity" and o.identity_class != "system"
    }
    (me,) = [o.id for o in bundle.objects if o.type == "identity" and o.identity_class == "system"]
    confidence, triples = {}, []
    for o in bundle.objects:
        if o.type != "opinion":
            continue
        (note,) = [by_id[ref] for ref in o.object_refs]
        assert note.type == "note"
        if o.created_by_ref == me:
            confidence[note.abstract] = o.confidence
        else:
            stance = o.explanation.split(",")[0]
            assert STIX_OPINION[stance] == o.opinion
            triples.append((source_of[o.created_by_ref], note.abstract, stance))
    return confidence, sorted(triples)


def test_stix_bundle_parses_and_reads_back(kursk: Case) -> None:
    doc = stix(kursk, date=DATE)
    confidence, triples = _read_stix(doc)
    scores = score(kursk)
    assert confidence == {c.id: round(100 * c.probability) for c in scores}
    assert triples == _triples(kursk)
    # the same case twice: the same ids
    assert [o["id"] for o in stix(kursk, date=DATE)["objects"]] == [
        o["id"] for o in doc["objects"]
    ]
    kinds = {o["id"]: o["identity_class"] for o in doc["objects"] if o["type"] == "identity"}
    assert sorted(kinds.values()).count("unknown") == 1  # the unnamed intelligence sources
    opinions = [o for o in doc["objects"] if o["type"] == "opinion" and "confidence" in o]
    assert {o["opinion"] for o in opinions} <= {"strongly-agree", "agree", "neutral"}


def test_a_report_keeps_its_time_in_stix(kursk: Case) -> None:
    doc = stix(kursk, date=DATE)
    gur = [
        o
        for o in doc["objects"]
        if o["type"] == "opinion" and "confidence" not in o and o["opinion"] == "agree"
    ]
    assert {o["created"] for o in gur} >= {"2024-12-16T00:00:00.000Z", "2024-12-17T00:00:00.000Z"}


# -- MISP --------------------------------------------------------------------------


def test_misp_events_load_and_use_the_taxonomy(kursk: Case) -> None:
    pymisp = pytest.importorskip("pymisp")
    taxonomies = pytest.importorskip("pytaxonomies")
    allowed = set(taxonomies.Taxonomies().get("admiralty-scale").machinetags())
    doc = misp(kursk, date=DATE)
    scores = score(kursk)
    letters = {s.id: reliability_letter(s).lower() for s in kursk.sources}
    triples = []
    for item, claim in zip(doc["response"], kursk.claims):
        event = pymisp.MISPEvent()
        event.from_dict(**item)
        assert event.info == claim.text
        tags = [t.name for t in event.tags]
        assert tags == [f'admiralty-scale:information-credibility="{scores[claim.id].grade}"']
        first, *reports = event.attributes
        assert first.value == claim.text
        assert f"probability {scores[claim.id].probability:.3f}" in first.comment
        for a in [first, *reports]:
            assert {t.name for t in a.tags} <= allowed
        for a in reports:
            source = a.comment.split("'")[1]
            (tag,) = [t.name for t in a.tags]
            assert tag == f'admiralty-scale:source-reliability="{letters[source]}"'
            triples.append((source, claim.id, a.value.rsplit(": ", 1)[1]))
        assert all(t in allowed for t in tags)
    assert sorted(triples) == _triples(kursk)


def test_reliability_letters() -> None:
    assert [reliability_letter(Source("s", reliability=r)) for r in (0.99, 0.72, 0.61, 0.05)] == [
        "A",
        "B",
        "C",
        "E",
    ]
    assert reliability_letter(Source("s", reliability="d")) == "D"
    assert reliability_letter(Source("s")) == "F"


# -- every format on generated cases ----------------------------------------------


@settings(max_examples=30)
@given(case=strategies.cases())
def test_every_format_reads_back_on_generated_cases(case: Case) -> None:
    scores = score(case)
    doc = claimreview(case, scores, date=DATE)
    check_claimreview(doc)
    probs, triples = _read_claimreview(doc)
    assert probs == {c.id: round(c.probability, 3) for c in scores}
    assert triples == _triples(case)
    confidence, triples = _read_stix(stix(case, scores, date=DATE))
    assert confidence == {c.id: round(100 * c.probability) for c in scores}
    assert triples == _triples(case)
    events = misp(case, scores, date=DATE)["response"]
    assert len(events) == len(case.claims)
    assert sum(len(e["Event"]["Attribute"]) - 1 for e in events) == len(case.reports)


def test_texts_that_need_escaping_survive() -> None:
    case = Case(
        sources=[Source('a "quoted" source', name="Ünïcode <b>, 'x'")],
        claims=[Claim("c", text='He said "no" & left\nthen: ok')],
        reports=[Report('a "quoted" source', "c", "denies", time="2024-01-01T10:00+02:00")],
    )
    doc = json.loads(json.dumps(claimreview(case, date=DATE)))
    assert doc["@graph"][0]["claimReviewed"] == 'He said "no" & left\nthen: ok'
    app = doc["@graph"][0]["itemReviewed"]["appearance"][0]
    assert app["datePublished"] == "2024-01-01T08:00:00Z"
    _, triples = _read_stix(stix(case, date=DATE))
    assert triples == [('a "quoted" source', "c", "denies")]


# -- errors ----------------------------------------------------------------------


def test_errors_name_the_argument(kursk: Case) -> None:
    with pytest.raises(ValueError, match="format: unknown export format 'csv'"):
        export(kursk, "csv")
    with pytest.raises(TypeError, match=r"case: expected a credscore\.Case"):
        claimreview({"claims": []})  # type: ignore[arg-type]
    other = Case(sources=[Source("s")], claims=[Claim("x")], reports=[])
    with pytest.raises(ValueError, match="scores: these scores are not of this case"):
        misp(kursk, score(other))
    from credscore.errors import InvalidCaseError

    with pytest.raises(InvalidCaseError, match="date"):
        stix(kursk, date="yesterday")


def test_without_stix2_the_error_names_the_extra(
    kursk: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    import credscore._optional as opt

    real = opt.importlib.import_module

    def no_stix(name: str, *a: object) -> object:
        if name == "stix2":
            raise ImportError(name)
        return real(name, *a)  # type: ignore[arg-type]

    monkeypatch.setattr(opt.importlib, "import_module", no_stix)
    with pytest.raises(ImportError, match=r"credscore\[export\]"):
        stix(kursk)


# -- command line ------------------------------------------------------------------


@pytest.fixture()
def case_file(tmp_path: Path) -> Path:
    path = tmp_path / "kursk.json"
    path.write_text(examples.path("kursk").read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["claimreview", "stix", "misp"])
def test_export_command(
    case_file: Path, fmt: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["export", str(case_file), "--format", fmt, "--date", DATE]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == export(examples.kursk(), fmt, date=DATE)
    out = tmp_path / f"out.{fmt}.json"
    assert main(["export", str(case_file), "--format", fmt, "--date", DATE, "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == printed
    assert f"wrote {out}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "csv"], "invalid choice: 'csv'"),
        (["--format", "misp", "--date", "soon"], "'soon' is not an ISO 8601 date"),
        (["--format", "stix", "--url", "https://x"], "--url: only the claimreview format"),
        (["--format", "misp", "--set", "prior=7"], "prior"),
    ],
)
def test_export_command_errors(
    case_file: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(case_file), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_report_times_are_utc_in_every_format(kursk: Case) -> None:
    t = parse_time("2024-12-16").isoformat() + "Z"
    doc = claimreview(kursk, date=DATE)
    times = {
        a.get("datePublished") for r in doc["@graph"] for a in r["itemReviewed"]["appearance"]
    }
    assert times == {t, None}  # intel-sources' report has no time
