"""Compiling tables: from files, DataFrames, arrays and rows; invariances; clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from credscore.errors import CredscoreWarning, InvalidTableError
from credscore.table import Table, read_table

# --------------------------------------------------------------------------
# A slow, obviously correct reference of the compilation.


def reference_compile(rows: list[tuple[Any, Any, Any]]) -> dict[str, Any]:
    """Last row of each (source, object) wins; claims are the distinct
    (object, value) pairs; every assertion is one (source, claim) pair."""
    last: dict[tuple[Any, Any], Any] = {}
    for s, o, v in rows:
        last[(s, o)] = v
    claims = sorted({(o, v) for (s, o), v in last.items()})
    objects = sorted({o for (_, o) in last})
    sources = sorted({s for (s, _) in last})
    return {
        "sources": sources,
        "objects": objects,
        "claims": claims,
        "assertions": sorted((s, o, v) for (s, o), v in last.items()),
    }


def _py(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def decompile(t: Table) -> dict[str, Any]:
    claims = [
        (_py(t.object_ids[t.claim_object[c]]), _py(t.claim_value[c])) for c in range(t.n_claims)
    ]
    return {
        "sources": t.source_ids.tolist(),
        "objects": t.object_ids.tolist(),
        "claims": claims,
        "assertions": sorted(
            (_py(t.source_ids[s]), *claims[c]) for s, c in zip(t.source, t.claim)
        ),
    }


def check_layout(t: Table) -> None:
    """The invariants of the compiled form that models rely on."""
    assert (np.diff(t.claim) >= 0).all()
    assert (np.diff(t.claim_object) >= 0).all()
    assert t.object_start[0] == 0 and t.object_start[-1] == t.n_claims
    for o in range(t.n_objects):
        seg = t.claim_object[t.object_start[o] : t.object_start[o + 1]]
        assert (seg == o).all() and seg.size > 0
    assert (t.object == t.claim_object[t.claim]).all()
    pairs = t.object.astype(np.int64) * t.n_sources + t.source
    assert np.unique(pairs).size == pairs.size  # one assertion per (source, object)


labels = st.sampled_from(["a", "b", "c", "d", "e"])
rows_strategy = st.lists(st.tuples(labels, labels, labels), min_size=1, max_size=40)


@given(rows_strategy)
def test_compile_matches_reference(rows: list[tuple[str, str, str]]) -> None:
    """The compiled table holds exactly the reference's sources, objects, claims
    and assertions, in the documented layout."""
    t = Table.from_rows(rows)
    check_layout(t)
    assert decompile(t) == reference_compile(rows)


@given(rows_strategy, st.randoms(use_true_random=False))
def test_row_order_does_not_matter(rows: list[tuple[str, str, str]], rnd: Any) -> None:
    """Results do not depend on the order of rows (once each source gives one
    value per object)."""
    unique = list({(s, o): (s, o, v) for s, o, v in rows}.values())
    shuffled = unique[:]
    rnd.shuffle(shuffled)
    a, b = Table.from_rows(unique), Table.from_rows(shuffled)
    for field in ("source_ids", "object_ids", "claim_object", "claim_value", "object_start"):
        assert getattr(a, field).tolist() == getattr(b, field).tolist()
    assert sorted(zip(a.source.tolist(), a.claim.tolist())) == sorted(
        zip(b.source.tolist(), b.claim.tolist())
    )


@given(rows_strategy, st.permutations(["a", "b", "c", "d", "e"]))
def test_renaming_does_not_matter(rows: list[tuple[str, str, str]], perm: list[str]) -> None:
    """Renaming sources, objects and values by a bijection renames the compiled
    table and changes nothing else."""
    name = dict(zip(["a", "b", "c", "d", "e"], perm))
    renamed = [(name[s] + "S", name[o] + "O", name[v] + "V") for s, o, v in rows]
    ref = reference_compile(rows)
    got = decompile(Table.from_rows(renamed))
    expect = sorted((name[s] + "S", name[o] + "O", name[v] + "V") for s, o, v in ref["assertions"])
    assert got["assertions"] == expect
    assert len(got["claims"]) == len(ref["claims"])


def test_last_row_wins_and_time_orders() -> None:
    """A source's later value for an object supersedes its earlier one; with
    times, the latest time wins whatever the row order."""
    t = Table.from_rows([("s", "x", "a"), ("s", "x", "b")])
    assert t.claim_value.tolist() == ["b"]
    t = Table.from_arrays(["s", "s"], ["x", "x"], ["new", "old"], time=[2, 1])
    assert t.claim_value.tolist() == ["new"]


def test_from_arrays_numeric_default_and_explicit() -> None:
    """Numeric dtypes compile to numeric tables unless told otherwise."""
    assert Table.from_arrays(["a"], ["x"], [1.5]).numeric
    t = Table.from_arrays(["a", "b"], ["x", "x"], [1, 2], numeric=False)
    assert not t.numeric and t.n_claims == 2


# --------------------------------------------------------------------------
# read_table


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_read_csv_matches_from_arrays(tmp_path: Path) -> None:
    """A CSV compiles to the same table as the same rows given as arrays."""
    p = write(tmp_path, "t.csv", "source,object,value\ns1,x,a\ns2,x,b\ns1,y,c\n")
    a, b = read_table(p), Table.from_arrays(["s1", "s2", "s1"], ["x", "x", "y"], ["a", "b", "c"])
    assert decompile(a) == decompile(b)


@pytest.mark.parametrize(
    ("name", "text", "sep"),
    [
        ("t.tsv", "source\tobject\tvalue\ns1\tx\ta,b\n", None),
        ("t.txt", "source;object;value\ns1;x;a,b\n", None),
        ("t.txt", "source|object|value\ns1|x|a,b\n", None),
        ("t.csv", "source;object;value\ns1;x;a,b\n", ";"),
    ],
)
def test_separator_sniffed(tmp_path: Path, name: str, text: str, sep: str | None) -> None:
    """The separator comes from the extension or the header line; a comma inside
    a field of a tab- or semicolon-separated file is part of the value."""
    t = read_table(write(tmp_path, name, text), sep=sep)
    assert t.claim_value.tolist() == ["a,b"]


def test_column_mapping_and_extra_columns(tmp_path: Path) -> None:
    """Columns are found by name in any order; other columns are ignored."""
    p = write(tmp_path, "t.csv", "note,item,who,said\nz,x,s1,a\nz,x,s2,b\n")
    t = read_table(p, source="who", object="item", value="said")
    assert t.source_ids.tolist() == ["s1", "s2"] and t.object_ids.tolist() == ["x"]


def test_crowd_layout(tmp_path: Path) -> None:
    """The crowd answer.csv layout (question, worker, answer) is read without options:
    workers are sources, questions are objects."""
    p = write(tmp_path, "answer.csv", "question,worker,answer\nq1,w1,0\nq1,w2,1\nq2,w1,1\n")
    t = read_table(p)
    assert t.source_ids.tolist() == ["w1", "w2"]
    assert t.object_ids.tolist() == ["q1", "q2"]
    assert not t.numeric


def test_time_column(tmp_path: Path) -> None:
    """With a time column, the latest value of a source wins, numerically when the
    times are numbers (10 > 9) and as ISO strings otherwise."""
    p = write(tmp_path, "t.csv", "source,object,value,t\ns,x,late,10\ns,x,early,9\n")
    assert read_table(p, time="t").claim_value.tolist() == ["late"]
    p = write(tmp_path, "u.csv", "source,object,value,t\ns,x,b,2024-02-01\ns,x,a,2024-01-01\n")
    assert read_table(p, time="t").claim_value.tolist() == ["b"]


def test_numeric_values(tmp_path: Path) -> None:
    """numeric=True parses values as floats; equal numbers written differently
    are one claim."""
    p = write(tmp_path, "t.csv", "source,object,value\ns1,x,1.50\ns2,x,1.5\ns3,x, 2\n")
    t = read_table(p, numeric=True)
    assert t.numeric and t.claim_value.tolist() == [1.5, 2.0]


@pytest.mark.parametrize("quoted", [False, True])  # the fast reader, the csv module
def test_blank_lines_and_empty_values_skipped(tmp_path: Path, quoted: bool) -> None:
    """Blank lines are skipped; a row with an empty value asserts nothing
    and is counted in a warning."""
    first = '"s1","x","a"' if quoted else "s1,x,a"
    p = write(tmp_path, "t.csv", f"source,object,value\n{first}\n\ns2,x,\ns3,y,b\n")
    with pytest.warns(CredscoreWarning, match=r"t.csv: 1 of 3 rows have an empty 'value' cell"):
        t = read_table(p)
    assert t.n_assertions == 2 and t.source_ids.tolist() == ["s1", "s3"]


def test_bom_and_padded_header(tmp_path: Path) -> None:
    """A UTF-8 byte-order mark and spaces around header names are tolerated."""
    p = tmp_path / "t.csv"
    p.write_bytes("\ufeffsource , object,value\ns1,x,a\n".encode())
    assert read_table(p).n_assertions == 1


@pytest.mark.parametrize(
    ("text", "kwargs", "fragments"),
    [
        ("", {}, ["empty"]),
        ("source,object,value\n", {}, ["no rows"]),
        ("source,object,val\ns,x,a\n", {}, ["line 1", "value", "'value'", "'val'"]),
        ("source,object,value\ns,x,a\nt,x\n", {}, ["line 3", "2 fields"]),
        ("source,object,value\ns,x,1\nt,x,abc\n", {"numeric": True}, ["line 3", "'abc'", "value"]),
        ("source,object,value\ns,x,1\nt,x,nan\n", {"numeric": True}, ["line 3", "finite"]),
        ("source,object,value\ns,x,1\nt,x,inf\n", {"numeric": True}, ["line 3", "finite"]),
        ("source,object,value\ns,x,1\n,x,2\n", {}, ["line 3", "source", "empty"]),
        ("source,object,value\ns,,1\n", {}, ["line 2", "object", "empty"]),
        ("source,object,value\ns,x,\n", {}, ["empty"]),
        ("who,object,value\ns,x,1\n", {"source": "src"}, ["line 1", "'src'"]),
    ],
)
def test_bad_files_name_file_line_and_column(
    tmp_path: Path, text: str, kwargs: dict[str, Any], fragments: list[str]
) -> None:
    """Bad input raises InvalidTableError naming the file, the line and the column."""
    p = write(tmp_path, "bad.csv", text)
    with pytest.raises(InvalidTableError) as info:
        read_table(p, **kwargs)
    msg = str(info.value)
    assert "bad.csv" in msg
    for fragment in fragments:
        assert fragment in msg, (fragment, msg)


def test_invalid_utf8(tmp_path: Path) -> None:
    """Undecodable bytes are a table error naming the file, not a UnicodeDecodeError."""
    p = tmp_path / "t.csv"
    p.write_bytes(b"source,object,value\ns,x,\xff\xfe\n")
    with pytest.raises(InvalidTableError, match=r"t\.csv"):
        read_table(p)


def test_missing_file(tmp_path: Path) -> None:
    """A missing file raises FileNotFoundError."""
    with pytest.raises(FileNotFoundError):
        read_table(tmp_path / "nope.csv")


def test_large_file_is_fast(tmp_path: Path) -> None:
    """200,000 rows read and compile in a few seconds without pandas."""
    import time

    rng = np.random.default_rng(0)
    n = 200_000
    s, o, v = rng.integers(0, 500, n), rng.integers(0, 20_000, n), rng.integers(0, 4, n)
    p = tmp_path / "big.csv"
    with p.open("w") as f:
        f.write("source,object,value\n")
        f.writelines(f"s{a},o{b},v{c}\n" for a, b, c in zip(s.tolist(), o.tolist(), v.tolist()))
    start = time.perf_counter()
    t = read_table(p)
    elapsed = time.perf_counter() - start
    assert t.n_assertions == len({(a, b) for a, b in zip(s.tolist(), o.tolist())})
    assert elapsed < 10, elapsed


# --------------------------------------------------------------------------
# DataFrames


def test_from_dataframe_matches_from_arrays() -> None:
    """A DataFrame compiles like the same columns given as arrays, numeric
    detection included."""
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"s": ["a", "b", "a"], "o": ["x", "x", "y"], "v": [1.0, 2.0, 3.0]})
    t = Table.from_dataframe(df, source="s", object="o", value="v")
    ref = Table.from_arrays(["a", "b", "a"], ["x", "x", "y"], [1.0, 2.0, 3.0])
    assert t.numeric and decompile(t) == decompile(ref)
    t2 = Table.from_dataframe(df, source="s", object="o", value="v", numeric=False)
    assert not t2.numeric


def test_from_dataframe_errors() -> None:
    """A missing column or a missing cell names the column (and the row label)."""
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"source": ["a", None], "object": ["x", "x"], "value": ["1", "2"]})
    with pytest.raises(InvalidTableError, match=r"'source'.*row 1"):
        Table.from_dataframe(df)
    with pytest.raises(InvalidTableError, match="'when'"):
        Table.from_dataframe(df.fillna("b"), time="when")
    df = pd.DataFrame({"source": ["a", "b"], "object": ["x", "x"], "value": [1.0, np.nan]})
    with pytest.raises(InvalidTableError, match="value"):
        Table.from_dataframe(df)
    with pytest.raises(TypeError):
        Table.from_dataframe({"source": ["a"]})


@pytest.mark.filterwarnings("ignore:.*empty .value. cell")
def test_spaces_around_cells_are_stripped(tmp_path: Path) -> None:
    """'s1, x, a' names source s1, object x and value a; a blank value is empty."""
    p = write(tmp_path, "t.csv", "source, object, value\ns1, x, a\ns2, x,  \ns3 ,x,a\n")
    t = read_table(p)
    assert t.source_ids.tolist() == ["s1", "s3"] and t.claim_value.tolist() == ["a"]


cell_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=8,
).filter(lambda x: x.strip() == x and x != "")


@given(
    st.lists(st.tuples(cell_text, cell_text, cell_text), min_size=1, max_size=25),
    st.sampled_from([",", "\t", ";"]),
)
def test_csv_round_trip(rows: list[tuple[str, str, str]], sep: str) -> None:
    """Any rows written by the csv module (quotes, separators inside cells) read
    back to the table compiled from the same rows."""
    import csv
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "t.txt"
        with p.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, delimiter=sep)
            w.writerow(["source", "object", "value"])
            w.writerows(rows)
        got = read_table(p, sep=sep)
        sniffed = read_table(p)
    assert decompile(got) == decompile(sniffed) == reference_compile(rows)


# -- integer labels (issue 12, item 1) ------------------------------------------


def test_integers_are_labels_for_categorical_models_and_numbers_for_numeric_ones() -> None:
    """Crowd labels are integers: unless numeric is stated, an integer table is
    categorical, and a model that takes only numbers reads the same values as
    numbers."""
    from credscore.errors import InvalidTableError
    from credscore.models.fuse import fuse

    src, obj, val = ["w1", "w2", "w3", "w1"], ["q1", "q1", "q1", "q2"], np.array([3, 3, 5, 1])
    t = Table.from_arrays(src, obj, val)
    assert not t.numeric and t.integer_labels
    assert fuse(t, model="majority").truths() == {"q1": 3, "q2": 1}
    assert fuse(t, model="dawid-skene").truths()["q1"] == 3  # accepts both kinds: labels
    mean = fuse(t, model="mean")
    assert mean.table.numeric and mean.truths() == {"q1": pytest.approx(11 / 3), "q2": 1.0}
    # stated either way, the statement wins
    as_numbers = Table.from_arrays(src, obj, val, numeric=True)
    assert as_numbers.numeric and not as_numbers.integer_labels
    with pytest.raises(InvalidTableError, match="does not accept numeric"):
        fuse(as_numbers, model="majority")
    as_labels = Table.from_arrays(src, obj, val, numeric=False)
    assert not as_labels.integer_labels
    with pytest.raises(InvalidTableError, match="labels, not numbers"):
        as_labels.as_numbers()
    with pytest.raises(InvalidTableError, match="does not accept categorical"):
        fuse(as_labels, model="mean")
    # floats are numbers; booleans are labels only
    assert Table.from_arrays(src, obj, val.astype(float)).numeric
    booleans = Table.from_arrays(src, obj, val > 2)
    assert not booleans.numeric and not booleans.integer_labels


def test_integer_columns_of_a_dataframe_follow_the_same_rule() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"source": ["a", "b", "c"], "object": ["x", "x", "x"], "value": [0, 1, 1]})
    t = Table.from_dataframe(df)
    assert not t.numeric and t.integer_labels
    assert t.as_numbers().claim_value.tolist() == [0.0, 1.0]


@pytest.mark.parametrize("column", ["source", "object", "value"])
@pytest.mark.parametrize("form", ["list", "object array", "dataframe", "bytes"])
def test_labels_of_two_kinds_with_one_text_are_refused(column: str, form: str) -> None:
    """``1`` and ``"1"`` in one column would be one label once numpy makes text
    of them, silently joining two sources, objects or values: the error names
    the column, both rows and the label."""
    pd = pytest.importorskip("pandas")
    cols: dict[str, list[Any]] = {"source": ["a", "b", "c"], "object": ["x", "x", "y"]}
    cols["value"] = ["u", "v", "u"]
    one = b"1" if form == "bytes" else "1"
    cols[column] = [1, "z", one] if column != "object" else [1, 1, one]
    if form == "object array":
        cols[column] = np.array(cols[column], dtype=object)  # type: ignore[assignment]
    with pytest.raises(InvalidTableError, match=rf"{column}: rows 0 and 2 hold 1 and .*'1'"):
        if form == "dataframe":
            Table.from_dataframe(pd.DataFrame(cols))
        else:
            Table.from_arrays(cols["source"], cols["object"], cols["value"])


def test_labels_of_two_kinds_that_stay_distinct_are_taken_as_text() -> None:
    """Mixed kinds that no text joins are kept, as text (``1`` becomes ``"1"``)."""
    t = Table.from_arrays(["a", "b"], [1, "x"], ["u", "v"])
    assert t.object_ids.tolist() == ["1", "x"] and t.n_objects == 2
    t = Table.from_arrays(["a", "b"], np.array([1, "x"], dtype=object), ["u", "v"])
    assert t.object_ids.tolist() == ["1", "x"]


def test_a_column_read_twice_is_refused(tmp_path: Path) -> None:
    """A header (or DataFrame) naming a column it reads twice leaves which
    one is read to chance; one column for two roles is a slip: both are
    errors that name the column."""
    pd = pytest.importorskip("pandas")
    from credscore.table.read import read_gold

    f = tmp_path / "t.csv"
    f.write_text("source,object,value,value\na,x,1,2\nb,x,2,3\n")
    with pytest.raises(
        InvalidTableError, match=r"line 1: .*2 columns named 'value' \(columns 3, 4\)"
    ):
        read_table(f)
    g = tmp_path / "g.csv"
    g.write_text("object,value,value\nx,1,2\n")
    with pytest.raises(InvalidTableError, match=r"2 columns named 'value' \(columns 2, 3\)"):
        read_gold(g)
    f.write_text("source,object,value,note,note\na,x,1,p,q\nb,x,2,r,s\n")
    assert read_table(f).n_assertions == 2  # a repeated column that is not read is fine
    with pytest.raises(InvalidTableError, match="the object and value columns are both 'value'"):
        read_table(f, object="value")
    df = pd.DataFrame([["a", "x", "1", "2"]], columns=["source", "object", "value", "value"])
    with pytest.raises(
        InvalidTableError, match="value: the DataFrame has 2 columns named 'value'"
    ):
        Table.from_dataframe(df)


@pytest.mark.parametrize("fast", [True, False])
def test_times_are_read_as_numbers_or_iso_times(tmp_path: Path, fast: bool) -> None:
    """Times compare as numbers ("9" before "10"), else as ISO 8601 times in
    UTC (a time with a zone can come before one whose text sorts first);
    anything else compares as text, with a warning naming a cell; a time
    without a zone is taken as UTC. Both readers (the plain one and the
    quoted-cell one) agree."""
    quote = '"' if not fast else ""

    def latest(times: list[str]) -> str:
        f = tmp_path / "t.csv"
        lines = ["source,object,value,time"]
        lines += [f"a,x,v{i},{quote}{t}{quote}" for i, t in enumerate(times)]
        f.write_text("\n".join(lines) + "\n")
        t = read_table(f, time="time")
        values = t.claim_value[t.claim[t.source == 0]].tolist()
        assert len(values) == 1
        return str(values[0])

    assert latest(["10", "9"]) == "v0"
    # 01:00 at +05:00 is 20:00 UTC the day before: earlier than 22:00 UTC
    assert latest(["2024-01-10T01:00+05:00", "2024-01-09T22:00+00:00"]) == "v1"
    assert latest(["2024-01-10", "2024-01-09T23:00"]) == "v0"
    with pytest.warns(
        CredscoreWarning, match="'2024-1-10' is neither a number nor an ISO 8601"
    ) as got:
        assert latest(["2024-1-10", "2024-1-9"]) == "v1"  # as text, as said
    assert len([w for w in got if "neither a number" in str(w.message)]) == 1  # said once
    # a time without a zone is taken as UTC, as in a case file
    assert latest(["2024-01-10T01:00+05:00", "2024-01-09T21:00"]) == "v1"


def test_text_times_given_in_memory_are_read_as_a_file_reads_them() -> None:
    """``Table.from_arrays(time=...)`` with text times: numbers, then ISO 8601
    times, as :func:`read_table` reads a time column ("9" is before "10")."""
    t = Table.from_arrays(["a", "a"], ["x", "x"], ["old", "new"], time=["9", "10"])
    assert t.claim_value.tolist() == ["new"]
    t = Table.from_arrays(
        ["a", "a"],
        ["x", "x"],
        ["new", "old"],
        time=["2024-01-10T01:00+05:00", "2024-01-09T22:00Z"],
    )
    assert t.claim_value.tolist() == ["old"]
