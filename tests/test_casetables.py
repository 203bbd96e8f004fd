"""Cases from CSV/TSV tables: credscore.io.casetables.read_case_tables."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credscore.case.model import Case, Claim, Group, Link, Report, Source
from credscore.errors import InvalidCaseError
from credscore.examples import kursk
from credscore.io.casetables import read_case_tables


def _csv(rows: list[list[Any]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


def case_as_tables(case: Case, delimiter: str = ",") -> dict[str, str]:
    """The five tables of a case, written with the csv module."""
    return {
        "reports": _csv(
            [["source", "claim", "stance", "time", "cites", "weight", "value"]]
            + [
                [
                    r.source,
                    r.claim,
                    r.stance.value,
                    r.time,
                    r.cites,
                    repr(r.weight),
                    None if r.value is None else repr(r.value),
                ]
                for r in case.reports
            ],
            delimiter,
        ),
        "sources": _csv(
            [["id", "name", "kind", "reliability", "affiliation"]]
            + [
                [
                    s.id,
                    s.name,
                    s.kind,
                    s.reliability
                    if s.reliability is None or isinstance(s.reliability, str)
                    else repr(s.reliability),
                    s.affiliation,
                ]
                for s in case.sources
            ],
            delimiter,
        ),
        "claims": _csv(
            [
                [
                    "id",
                    "text",
                    "prior",
                    "benefits",
                    "harms",
                    "value",
                    "unit",
                    "approx_low",
                    "approx_high",
                    "topic",
                    "resolved",
                    "resolved_at",
                ]
            ]
            + [
                [
                    c.id,
                    c.text,
                    None if c.prior is None else repr(c.prior),
                    ";".join(c.benefits),
                    ";".join(c.harms),
                    None if c.value is None else repr(c.value),
                    c.unit,
                    *(("", "") if c.approx is None else map(repr, c.approx)),
                    c.topic,
                    None if c.resolved is None else str(c.resolved).lower(),
                    c.resolved_at,
                ]
                for c in case.claims
            ],
            delimiter,
        ),
        "groups": _csv(
            [["id", "dependence"]] + [[g.id, repr(g.dependence)] for g in case.groups], delimiter
        ),
        "links": _csv(
            [["kind", "from", "to", "dependence"]]
            + [
                [k.kind, k.source, k.target, None if k.dependence is None else repr(k.dependence)]
                for k in case.links
            ],
            delimiter,
        ),
    }


def read(tables: dict[str, str], **names: str) -> Case:
    streams = {}
    for key, text in tables.items():
        s = io.StringIO(text)
        s.name = names.get(key, f"{key}.csv")  # type: ignore[misc]
        streams[key] = s
    return read_case_tables(
        streams["reports"],
        streams.get("sources"),
        streams.get("claims"),
        groups=streams.get("groups"),
        links=streams.get("links"),
    )


def problems_of(tables: dict[str, str]) -> list[str]:
    with pytest.raises(InvalidCaseError) as info:
        read(tables)
    return [str(p) for p in info.value.problems]


def test_reference_case_round_trips_through_tables() -> None:
    """The reference case written as five CSV tables reads back equal."""
    case = kursk()
    assert read(case_as_tables(case)) == case


def test_reference_case_round_trips_through_tsv_files(tmp_path: Path) -> None:
    """The same as TSV files on disk, chosen by their .tsv suffix."""
    case = kursk()
    paths = {}
    for key, text in case_as_tables(case, "\t").items():
        paths[key] = tmp_path / f"{key}.tsv"
        paths[key].write_text(text, encoding="utf-8")
    got = read_case_tables(
        paths["reports"],
        paths["sources"],
        paths["claims"],
        groups=paths["groups"],
        links=paths["links"],
    )
    assert got == case


IDS = st.text(
    alphabet=st.sampled_from(list("abcXYZ019-_,;\"' é/")), min_size=1, max_size=8
).filter(lambda s: s == s.strip() and not s.startswith("#"))


@st.composite
def cases(draw: st.DrawFn) -> Case:
    source_ids = draw(st.lists(IDS, min_size=1, max_size=4, unique=True))
    claim_ids = draw(st.lists(IDS, min_size=1, max_size=4, unique=True))
    sources = [
        Source(
            s,
            name=draw(st.none() | st.text(alphabet="ab ,\"'\n", min_size=1).map(str.strip)
                      .filter(bool)),
            reliability=draw(st.none() | st.sampled_from("ABCDEF") | st.floats(0.01, 0.99)),
            affiliation=draw(st.none() | st.sampled_from(["ua/gov", "us/gov/dod", "media"])),
        )
        for s in source_ids
    ]  # fmt: skip
    claims = [
        Claim(
            c,
            text=draw(st.text(alphabet="xy ,\"'", max_size=6).map(str.strip)),
            prior=draw(st.none() | st.floats(0.05, 0.95)),
            harms=draw(st.lists(st.sampled_from(["ru", "kp", "us/gov"]), max_size=2, unique=True)),
        )
        for c in claim_ids
    ]
    stances = ["confirms", "denies", "observes", "no_comment", "retracts"]
    reports = [
        Report(
            draw(st.sampled_from(source_ids)),
            draw(st.sampled_from(claim_ids)),
            draw(st.sampled_from(stances)),
            time=draw(st.none() | st.sampled_from(["2024-12-16", "2024-12-17T10:00:00"])),
            weight=draw(st.sampled_from([1.0, 0.5, 0.25])),
        )
        for _ in range(draw(st.integers(0, 6)))
    ]
    return Case(sources, claims, reports)


@given(cases())
def test_generated_cases_round_trip_through_tables(case: Case) -> None:
    """Any case (ids with commas, quotes, slashes, accents) survives CSV and back."""
    assert read(case_as_tables(case)) == case


def test_without_sources_and_claims_tables_they_come_from_the_reports() -> None:
    """Only a reports table: sources and claims named there, in order of appearance."""
    text = "source,claim,stance,cites\na,x,confirms,\nb,x,denies,c\na,y,no_comment,\n"
    case = read_case_tables(io.StringIO(text))
    assert [s.id for s in case.sources] == ["a", "b", "c"]
    assert all(s.reliability is None for s in case.sources)
    assert [c.id for c in case.claims] == ["x", "y"]
    assert [r.stance.value for r in case.reports] == ["confirms", "denies", "no_comment"]


def test_lenient_spelling_comments_blank_lines_and_bom(tmp_path: Path) -> None:
    """Header case, spaces, a BOM, comment and blank lines, and stance spellings are accepted."""
    path = tmp_path / "reports.txt"
    text = (
        "\ufeff# exported from a spreadsheet\n"
        " Source ; CLAIM ; Stance \n"
        "\n"
        "a ; x ; No Comment\n"
        "b;x;no-comment\n"
        "c;x;CONFIRMS\n"
    )
    path.write_text(text, encoding="utf-8")
    case = read_case_tables(path)
    assert [s.id for s in case.sources] == ["a", "b", "c"]
    assert [r.stance.value for r in case.reports] == ["no_comment", "no_comment", "confirms"]


def test_benefits_and_harms_split_on_semicolons_or_spaces() -> None:
    """Several affiliation prefixes in one cell are separated by ';' or spaces."""
    tables = {
        "reports": "source,claim,stance\na,x,confirms\n",
        "claims": "id,benefits,harms\nx,ua; us/gov,ru kp\n",
    }
    claim = read(tables).claim("x")
    assert claim.benefits == ("ua", "us/gov") and claim.harms == ("ru", "kp")


REPORTS_OK = "source,claim,stance\na,x,confirms\n"


@pytest.mark.parametrize(
    ("tables", "expected"),
    [
        ({"reports": "source,claim\na,x\n"}, "reports.csv, line 1: missing column(s) stance"),
        (
            {"reports": "source,claim,stance,colour\na,x,confirms,red\n"},
            "reports.csv, line 1: unknown column 'colour'",
        ),
        (
            {"reports": "source,claim,stance,claim\na,x,confirms,x\n"},
            "reports.csv, line 1: column 'claim' appears more than once",
        ),
        ({"reports": "source,claim,stance\na,x,confirms,extra\n"}, "reports.csv, line 2: 4 cells"),
        ({"reports": ""}, "reports.csv: empty table"),
        (
            {"reports": "source,claim,stance\na,x,confirm\n"},
            "reports.csv, line 2, column 'stance': unknown stance 'confirm'",
        ),
        (
            {"reports": "source,claim,stance\n,x,confirms\n"},
            "reports.csv, line 2, column 'source': every report needs a source",
        ),
        (
            {"reports": "source,claim,stance,weight\na,x,confirms,heavy\n"},
            "reports.csv, line 2, column 'weight': 'heavy' is not a number",
        ),
        (
            {"reports": "source,claim,stance,weight\na,x,confirms,1.5\n"},
            "reports.csv, line 2, column 'weight': must lie in (0, 1]",
        ),
        (
            {"reports": "source,claim,stance,weight\na,x,confirms,nan\n"},
            "reports.csv, line 2, column 'weight': 'nan' is not a finite number",
        ),
        (
            {"reports": "source,claim,stance,time\na,x,confirms,yesterday\n"},
            "reports.csv, line 2, column 'time': 'yesterday' is not an ISO 8601",
        ),
        (
            {"reports": REPORTS_OK, "sources": "id,reliability\na,G\n"},
            "sources.csv, line 2, column 'reliability': must be a letter A-F",
        ),
        (
            {"reports": REPORTS_OK, "sources": "id,reliability\na,1.5\n"},
            "sources.csv, line 2, column 'reliability': must lie in (0, 1)",
        ),
        (
            {"reports": REPORTS_OK, "sources": "id,affiliation\na,us//gov\n"},
            "sources.csv, line 2, column 'affiliation': has an empty segment",
        ),
        (
            {"reports": REPORTS_OK, "sources": "id\na\n\na\n"},
            "sources.csv, line 4, column 'id': duplicate source id 'a' (first on line 2)",
        ),
        (
            {"reports": "source,claim,stance\nb,x,confirms\n", "sources": "id\na\n"},
            "reports.csv, line 2, column 'source': unknown source 'b': not in sources.csv",
        ),
        (
            {"reports": "source,claim,stance,cites\na,x,confirms,z\n", "sources": "id\na\n"},
            "reports.csv, line 2, column 'cites': unknown source 'z'",
        ),
        (
            {"reports": REPORTS_OK, "claims": "id\ny\n"},
            "reports.csv, line 2, column 'claim': unknown claim 'x': not in claims.csv",
        ),
        (
            {"reports": REPORTS_OK, "claims": "id,prior\nx,1\n"},
            "claims.csv, line 2, column 'prior': must lie in (0, 1)",
        ),
        (
            {"reports": REPORTS_OK, "groups": "id,dependence\nus/gov,\n"},
            "groups.csv, line 2, column 'dependence': group 'us/gov' needs a dependence",
        ),
        (
            {"reports": REPORTS_OK, "groups": "id,dependence\nus/gov,2\n"},
            "groups.csv, line 2, column 'dependence': must lie in [0, 1]",
        ),
        (
            {"reports": REPORTS_OK, "claims": "id\nx\n", "links": "kind,from,to\nimplies,x,q\n"},
            "links.csv, line 2, column 'to': unknown claim 'q'",
        ),
        (
            {"reports": REPORTS_OK, "sources": "id\na\n", "links": "kind,from,to\ndepends,a,b\n"},
            "links.csv, line 2, column 'to': unknown source 'b'",
        ),
        (
            {"reports": REPORTS_OK, "links": "kind,from,to\ncauses,x,y\n"},
            "links.csv, line 2, column 'kind': must be one of implies",
        ),
    ],
)
def test_errors_name_file_line_and_column(tables: dict[str, str], expected: str) -> None:
    """Each mistake is reported with the file, the line and the column it is in."""
    found = problems_of(tables)
    assert any(p.startswith(expected) for p in found), found


def test_every_problem_is_reported_at_once() -> None:
    """Problems in several rows and files all appear in one error."""
    tables = {
        "reports": "source,claim,stance,weight\na,x,confirm,\nb,x,confirms,7\nzz,x,confirms,\n",
        "sources": "id,reliability\na,Q\nb,B\n",
    }
    found = problems_of(tables)
    assert len(found) == 4, found
    assert {p.split(":")[0] for p in found} == {
        "sources.csv, line 2, column 'reliability'",
        "reports.csv, line 2, column 'stance'",
        "reports.csv, line 3, column 'weight'",
        "reports.csv, line 4, column 'source'",
    }


def test_whole_case_problems_name_the_tables() -> None:
    """A citation cycle has no single line; the error names the tables and the ids."""
    tables = {
        "reports": "source,claim,stance,cites\na,x,confirms,b\nb,x,confirms,a\n",
        "sources": "id\na\nb\n",
    }
    with pytest.raises(InvalidCaseError) as info:
        read(tables)
    message = str(info.value)
    assert message.startswith("reports.csv + sources.csv: cites")
    assert "cycle" in message and "a" in message


def test_a_missing_file_raises_oserror(tmp_path: Path) -> None:
    """A file that does not exist is an OSError naming it (the command line reports it)."""
    with pytest.raises(OSError) as info:
        read_case_tables(tmp_path / "nope.csv")
    assert "nope.csv" in str(info.value)


def test_groups_and_links_tables() -> None:
    """Groups and links (implies between claims, depends between sources) are read."""
    tables = {
        "reports": "source,claim,stance\na,x,confirms\nb,y,confirms\n",
        "groups": "id,dependence\nus/gov,0.9\n",
        "links": "kind,from,to,dependence\nimplies,x,y,\ndepends,a,b,0.5\n",
    }
    case = read(tables)
    assert case.groups == (Group("us/gov", 0.9),)
    assert case.links == (Link("implies", "x", "y"), Link("depends", "a", "b", dependence=0.5))


def test_semicolon_csv_as_some_spreadsheets_write_it(tmp_path: Path) -> None:
    """A .csv file separated by semicolons (a common spreadsheet export) is read too."""
    path = tmp_path / "reports.csv"
    path.write_text("source;claim;stance;weight\na;x;confirms;0,5\n", encoding="utf-8")
    with pytest.raises(InvalidCaseError) as info:
        read_case_tables(path)
    # The decimal comma is not a number here; the message says where it is.
    assert "line 2, column 'weight': '0,5' is not a number" in str(info.value)
    path.write_text("source;claim;stance;weight\na;x;confirms;0.5\n", encoding="utf-8")
    assert read_case_tables(path).reports == (Report("a", "x", "confirms", weight=0.5),)
