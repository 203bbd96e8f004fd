"""credscore.fuse and ``credscore fuse``: any table form, any registered model."""

from __future__ import annotations

import argparse
import io
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credscore.cli.fuse import add_parser, run
from credscore.datasets import Dataset, synthetic
from credscore.errors import ConvergenceWarning
from credscore.models import Majority, available_models, get_model
from credscore.models.fuse import as_table, fuse
from credscore.table.table import Table

ROWS = (["s1", "s2", "s3", "s1", "s2"], ["x", "x", "x", "y", "y"], ["a", "a", "b", "c", "c"])


def test_fuse_accepts_every_table_form(tmp_path: Path) -> None:
    """A Table, a path, a (source, object, value) tuple, a DataFrame and a Dataset
    give the same result."""
    table = Table.from_arrays(*ROWS)
    csv = tmp_path / "t.csv"
    csv.write_text("source,object,value\n" + "".join(f"{s},{o},{v}\n" for s, o, v in zip(*ROWS)))
    forms: list[Any] = [table, csv, str(csv), ROWS, Dataset("t", table, {}, "none")]
    try:
        import pandas as pd

        forms.append(pd.DataFrame({"source": ROWS[0], "object": ROWS[1], "value": ROWS[2]}))
    except ImportError:  # pragma: no cover
        pass
    results = [fuse(f, model="majority") for f in forms]
    for r in results:
        assert r.truths() == {"x": "a", "y": "c"}
        assert r.claim_probability.tolist() == results[0].claim_probability.tolist()


def test_fuse_model_by_name_or_instance() -> None:
    """A model is found by registry name; an instance is used as given, or copied
    with the settings applied (the instance itself is not changed)."""
    assert fuse(ROWS, model="majority").model == "majority"
    m = Majority()
    assert fuse(ROWS, model=m).model == "majority"
    if "accu" in available_models():
        inst = get_model("accu")
        r = fuse(ROWS, model=inst, max_iter=3)
        assert r.n_iter <= 3
        assert inst.max_iter != 3  # type: ignore[attr-defined]


def test_fuse_errors() -> None:
    """Unknown model names, unknown settings and unknown table types are clear errors."""
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        fuse(ROWS, model="nope")
    with pytest.raises(TypeError, match="majority"):
        fuse(ROWS, model="majority", bogus=1)
    with pytest.raises(TypeError, match="table"):
        fuse(42, model="majority")
    with pytest.raises(TypeError, match="model"):
        fuse(ROWS, model=3)  # type: ignore[arg-type]


def test_fuse_reads_numbers_for_numeric_models(tmp_path: Path) -> None:
    """A numeric-only model reads a file's values as numbers."""
    if "mean" not in available_models():
        pytest.skip("model 'mean' is not registered yet")
    f = tmp_path / "n.csv"
    f.write_text("source,object,value\na,x,1\nb,x,3\n")
    r = fuse(f, model="mean")
    assert r.table.numeric and r.value.tolist() == [2.0]


def test_as_table_with_times() -> None:
    """A 4-tuple carries times: the latest value of a source wins."""
    t = as_table((["s", "s"], ["x", "x"], ["new", "old"], [2, 1]))
    assert t.claim_value.tolist() == ["new"]


# --------------------------------------------------------------------------
# The command line


def cli(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="credscore")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["fuse", *argv])
    out, err = io.StringIO(), io.StringIO()
    code = run(args, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    table = tmp_path / "claims.csv"
    table.write_text(
        "who,item,said\ns1,x,a\ns2,x,a\ns3,x,b\ns1,y,c\ns2,y,c\ns3,y,d\ns1,z,e\ns2,z,f\ns3,z,f\n"
    )
    gold = tmp_path / "gold.csv"
    gold.write_text("object,value\nx,a\ny,d\nz,f\nw,q\n")
    return table, gold


def test_cli_json_keys(files: tuple[Path, Path]) -> None:
    """--json prints FusionResult.to_dict() (model, n_iter, converged, objects,
    sources) and, with --gold, evaluation; each entry with the documented keys."""
    table, gold = files
    cols = ["--source-col", "who", "--object-col", "item", "--value-col", "said"]
    code, out, _ = cli(str(table), "--model", "majority", "--json", *cols)
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {"model", "n_iter", "converged", "objects", "sources", "settings", "table"}
    assert doc["table"] == str(table) and doc["settings"] == {}  # majority has none
    from credscore.table import read_table

    t = read_table(table, source="who", object="item", value="said")
    del doc["settings"], doc["table"]
    assert doc == json.loads(json.dumps(fuse(t, model="majority").to_dict()))
    assert [set(o) for o in doc["objects"]] == [{"object", "value", "probability"}] * 3
    assert [set(s) for s in doc["sources"]] == [{"source", "reliability"}] * 3
    assert {o["object"]: o["value"] for o in doc["objects"]} == {"x": "a", "y": "c", "z": "f"}

    code, out, _ = cli(str(table), "--model", "majority", "--json", "--gold", str(gold), *cols)
    doc = json.loads(out)
    assert set(doc) == {
        "model",
        "n_iter",
        "converged",
        "objects",
        "sources",
        "evaluation",
        "settings",
        "table",
    }
    # x right, y wrong, z right; w is not in the table and is not scored.
    assert doc["evaluation"] == {
        "accuracy": pytest.approx(2 / 3),
        "items": 3,
        "gold_not_in_table": 1,
    }


def test_cli_text_output(files: tuple[Path, Path]) -> None:
    """Without --json the truths, reliabilities and evaluation are printed as text."""
    table, gold = files
    cols = ["--source-col", "who", "--object-col", "item", "--value-col", "said"]
    code, out, _ = cli(str(table), "--model", "majority", "--gold", str(gold), *cols)
    assert code == 0
    assert "object" in out and "reliability" in out
    lines = out.splitlines()
    # the summary first, then the evaluation, before the 3 objects and 3 sources
    assert lines[0].startswith("majority on ") and "<Table" not in lines[0]
    # the gold file names an object the table lacks: counted, and said
    assert lines[1] == (
        "evaluation on 3 gold objects: accuracy 0.6667 "
        "(1 gold object is not in the table and was not scored)"
    )


def test_cli_numeric_gold(tmp_path: Path) -> None:
    """For numeric values the evaluation gives mae and items."""
    if "mean" not in available_models():
        pytest.skip("model 'mean' is not registered yet")
    table = tmp_path / "n.csv"
    table.write_text("source,object,value\na,x,1\nb,x,3\na,y,10\n")
    gold = tmp_path / "g.csv"
    gold.write_text("object,value\nx,2\ny,11\n")
    code, out, _ = cli(str(table), "--model", "mean", "--json", "--gold", str(gold))
    assert code == 0
    ev = json.loads(out)["evaluation"]
    assert ev["mae"] == pytest.approx(0.5) and ev["items"] == 2


def test_cli_errors_exit_2(files: tuple[Path, Path], tmp_path: Path) -> None:
    """Bad input exits with status 2 and a message naming the problem; no traceback."""
    table, _ = files
    code, out, err = cli(str(table), "--model", "majority")
    assert code == 2 and out == ""
    assert "claims.csv" in err and "'source'" in err
    code, _, err = cli(str(tmp_path / "missing.csv"), "--model", "majority")
    assert code == 2 and "missing.csv" in err
    code, _, err = cli(str(table), "--model", "nope", "--source-col", "who")
    assert code == 2 and "unknown model" in err


# --------------------------------------------------------------------------
# Every registered model: probabilities per object sum to 1.

CATEGORICAL = [m for m in available_models() if "categorical" in get_model(m).kinds]
NUMERIC = [m for m in available_models() if "numeric" in get_model(m).kinds]

cat_rows = st.lists(
    st.tuples(
        st.sampled_from([f"s{i}" for i in range(6)]),
        st.sampled_from([f"o{i}" for i in range(5)]),
        st.sampled_from(["v0", "v1", "v2", "v3"]),
    ),
    min_size=1,
    max_size=30,
)
num_rows = st.lists(
    st.tuples(
        st.sampled_from([f"s{i}" for i in range(6)]),
        st.sampled_from([f"o{i}" for i in range(5)]),
        st.sampled_from([-3.5, 0.0, 1.0, 2.0, 100.0]),
    ),
    min_size=1,
    max_size=30,
)


def check_probabilities(table: Table, name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = fuse(table, model=name, **({"seed": 0} if "seed" in _fields(name) else {}))
    p = r.claim_probability
    assert p.shape == (table.n_claims,)
    assert np.isfinite(p).all() and (p >= 0).all() and (p <= 1 + 1e-12).all()
    sums = np.bincount(table.claim_object, weights=p, minlength=table.n_objects)
    np.testing.assert_allclose(sums, 1.0, atol=1e-9)
    assert r.reliability.shape == (table.n_sources,)
    assert np.isfinite(r.reliability).all()


def _fields(name: str) -> set[str]:
    import attrs

    return {f.name for f in attrs.fields(type(get_model(name)))}


@pytest.mark.parametrize("name", CATEGORICAL)
@settings(max_examples=25)
@given(rows=cat_rows)
def test_probabilities_sum_to_one_categorical(name: str, rows: list[Any]) -> None:
    """Every registered categorical model gives probabilities in [0, 1] that sum
    to 1 over each object's candidate values."""
    check_probabilities(Table.from_rows(rows), name)


@pytest.mark.parametrize("name", NUMERIC)
@settings(max_examples=25)
@given(rows=num_rows)
def test_probabilities_sum_to_one_numeric(name: str, rows: list[Any]) -> None:
    """Every registered numeric model gives probabilities in [0, 1] that sum to 1
    over each object's candidate values."""
    check_probabilities(Table.from_rows(rows, numeric=True), name)


@pytest.mark.parametrize("name", CATEGORICAL)
def test_probabilities_sum_to_one_synthetic(name: str) -> None:
    """The same on a larger synthetic table with copiers."""
    table, _, _ = synthetic(n_sources=8, n_objects=100, copiers={0: [1, 2]}, coverage=0.7, seed=0)
    check_probabilities(table, name)


def test_cli_ties_option(tmp_path: Path) -> None:
    """--ties first scores the printed value; the default gives 1/k for a k-way tie."""
    table = tmp_path / "t.csv"
    table.write_text("source,object,value\ns1,x,a\ns2,x,b\n")
    gold = tmp_path / "g.csv"
    gold.write_text("object,value\nx,b\n")
    _, out, _ = cli(str(table), "--model", "majority", "--json", "--gold", str(gold))
    assert json.loads(out)["evaluation"]["accuracy"] == pytest.approx(0.5)
    _, out, _ = cli(
        str(table), "--model", "majority", "--json", "--gold", str(gold), "--ties", "first"
    )
    assert json.loads(out)["evaluation"]["accuracy"] == 0.0


def test_cli_progress_reports_iterations_on_stderr(files: tuple[Path, Path]) -> None:
    """--progress shows an iterative fit's iterations on stderr and leaves stdout as it was."""
    table, _ = files
    cols = ("--source-col", "who", "--object-col", "item", "--value-col", "said")
    code, out, err = cli(str(table), *cols, "--model", "dawid-skene", "--progress")
    quiet_code, quiet_out, quiet_err = cli(str(table), *cols, "--model", "dawid-skene")
    assert code == quiet_code == 0
    assert "dawid-skene" in err  # a tqdm bar or plain lines, both name the model
    assert "iteration" in err or "it/s" in err
    assert quiet_err == ""
    assert out == quiet_out


# --------------------------------------------------------------------------
# The table command line: each reproduction of issue 13.


def test_cli_missing_file_folder_nan_and_sep_are_named(tmp_path: Path) -> None:
    code, _, err = cli(str(tmp_path / "missing.csv"))
    assert code == 2 and "missing.csv: no such file (a CSV/TSV file was expected)" in err
    code, _, err = cli(str(tmp_path))
    assert code == 2 and "is a folder, not a CSV/TSV file" in err
    nan = tmp_path / "n.csv"
    nan.write_text("source,object,value\na,x,1\nb,x,nan\n")
    code, _, err = cli(str(nan), "--numeric", "--model", "mean")
    assert code == 2 and "line 3" in err and "'nan'" in err and "np.str_" not in err
    code, _, err = cli(str(nan), "--sep", "::")
    assert code == 2 and err.startswith("credscore fuse: error: --sep: ")


def test_cli_reads_standard_input_and_headerless_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`fuse -` reads standard input; --no-header numbers the columns from 1
    (the layout of truth/books/book.txt: source, object, title, value)."""
    text = "s1\tx\tt\ta\ns2\tx\tt\tb\ns3\tx\tt\ta\n"
    book = tmp_path / "book.txt"
    book.write_text(text)
    args = ("--no-header", "--value-col", "4", "--model", "majority")
    code, from_file, _ = cli(str(book), *args)
    assert code == 0 and "x       a      0.6667" in from_file
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    code, from_stdin, _ = cli("-", *args)
    assert code == 0
    assert from_stdin.splitlines()[1:] == from_file.splitlines()[1:]
    assert from_stdin.startswith("majority on <stdin>: 3 assertions")


def test_cli_top_and_output(files: tuple[Path, Path], tmp_path: Path) -> None:
    """--top N prints N objects and N sources and says how many more; --output
    writes every value (CSV or JSON, by the file's ending)."""
    table, _ = files
    cols = ("--source-col", "who", "--object-col", "item", "--value-col", "said")
    out_csv = tmp_path / "fused.csv"
    code, out, _ = cli(str(table), *cols, "--model", "majority", "--top", "1", "-o", str(out_csv))
    assert code == 0
    assert "... 2 more objects (--output FILE writes all)" in out
    assert "... 2 more sources" in out
    rows = out_csv.read_text().splitlines()
    assert rows[0] == "object,value,probability" and len(rows) == 4
    out_json = tmp_path / "fused.json"
    assert cli(str(table), *cols, "--model", "majority", "-o", str(out_json))[0] == 0
    assert len(json.loads(out_json.read_text())["objects"]) == 3
    code, _, err = cli(str(table), *cols, "-o", str(tmp_path / "fused.xlsx"))
    assert code == 2 and "--output" in err


def test_cli_says_when_rows_repeat_a_source_on_an_object(tmp_path: Path) -> None:
    """16 rows, 14 assertions: said, not silently deduplicated."""
    table = tmp_path / "t.csv"
    rows = [f"s{i},o{i % 7},v{i % 2}" for i in range(14)] + ["s0,o0,v1", "s1,o1,v1"]
    table.write_text("source,object,value\n" + "\n".join(rows) + "\n")
    code, out, err = cli(str(table), "--model", "majority")
    assert code == 0 and ": 14 assertions by 14 sources" in out
    assert "note: 2 of 16 rows repeat a source on an object" in err
    assert "last value for an object is kept" in err


def test_cli_small_tables_are_not_certain(tmp_path: Path) -> None:
    """Default ACCU on a small table: a 2-vs-2 tie prints 0.5000, not 1.0000;
    no source is judged worthless after one disagreement; an object with one
    candidate value is pointed out (its probability 1 is among given values)."""
    tie = tmp_path / "tie.csv"
    tie.write_text("source,object,value\ns1,x,a\ns2,x,a\ns3,x,b\ns4,x,b\n")
    code, out, _ = cli(str(tie))
    assert code == 0 and "x       a      0.5000" in out, out
    table = tmp_path / "t.csv"
    table.write_text(
        "source,object,value\ns1,x,a\ns2,x,a\ns3,x,b\ns4,x,b\ns1,y,c\ns3,y,d\ns2,z,e\n"
    )
    code, out, _ = cli(str(table))
    assert code == 0
    lines = out.splitlines()
    for obj in ("x", "y"):  # two candidates each: neither is certain
        (row,) = [ln for ln in lines if ln.split()[:1] == [obj]]
        assert float(row.split()[2].lstrip("<>")) < 0.999, row
    rel = [float(ln.split()[1]) for ln in lines[lines.index("source  reliability") + 1 :]]
    assert len(rel) == 4 and min(rel) > 0.3, rel
    assert "(1 of 3 objects have one candidate value" in out


def test_cli_convergence_warning_is_one_line(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("source,object,value\ns1,x,a\ns2,x,b\ns3,x,a\ns1,y,b\ns2,y,b\ns3,y,a\n")
    code, _, err = cli(str(table), "--model", "dawid-skene", "--max-iter", "1")
    assert code == 0
    lines = [ln for ln in err.splitlines() if ln]
    assert lines and all(ln.startswith("credscore fuse: not converged: ") for ln in lines), err
    assert "warnings.warn" not in err and ".py:" not in err


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"object,value\n\xff\xfe,x\n", ["g.csv", "not valid utf-8"]),
        (b'object,value\n"x,a\n', ["g.csv", "line 2"]),
        (b"object,value\nx,nan\n", ["g.csv", "nan", "finite"]),
        (b"object,value\nx,inf\n", ["g.csv", "inf", "finite"]),
    ],
    ids=["not UTF-8", "unterminated quote", "NaN", "inf"],
)
def test_cli_bad_gold_files_are_named_errors(
    tmp_path: Path, content: bytes, words: list[str]
) -> None:
    table = tmp_path / "t.csv"
    table.write_text("source,object,value\na,x,1\nb,x,3\n")
    gold = tmp_path / "g.csv"
    gold.write_bytes(content)
    code, out, err = cli(str(table), "--numeric", "--model", "mean", "--gold", str(gold))
    assert code == 2 and out == "", err
    assert err.startswith("credscore fuse: error: ") and err.count("\n") == 1, err
    for w in words:
        assert w in err, (w, err)


# --------------------------------------------------------------------------
# --set KEY=VALUE (issue 12, item 2)


def _a_number_setting(name: str) -> tuple[str, Any] | None:
    import attrs

    model = get_model(name)
    for f in attrs.fields(type(model)):
        v = getattr(model, f.name)
        if (
            f.init
            and f.name != "progress"
            and isinstance(v, (int, float))
            and not isinstance(v, bool)
        ):
            return f.name, v
    return None


@pytest.mark.parametrize("name", available_models())
def test_cli_set_reaches_every_model_and_refuses_bad_values(name: str, tmp_path: Path) -> None:
    """--set on every registered model: a good value shows in --json's
    settings; a bad value, an unknown key or a malformed pair exits 2 with a
    message naming the setting (and listing the valid ones for a bad key)."""
    table = tmp_path / "t.csv"
    table.write_text("source,object,value\ns1,x,1\ns2,x,2\ns3,x,1\ns1,y,3\ns2,y,3\n")
    numeric = ["--numeric"] if get_model(name).kinds == frozenset({"numeric"}) else []
    found = _a_number_setting(name)
    if found is None:  # the plain vote counts have no settings
        code, _, err = cli(str(table), "--model", name, *numeric, "--set", "x=1")
        assert code == 2 and f"model {name!r} has no settings" in err
        return
    key, default = found
    value = default + 1 if isinstance(default, int) else default * 0.5 + 0.01
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        code, out, err = cli(
            str(table), "--model", name, *numeric, "--json", "--set", f"{key}={value}"
        )
    assert code == 0, err
    assert json.loads(out)["settings"][key] == pytest.approx(value)
    code, out, err = cli(str(table), "--model", name, *numeric, "--set", f"{key}=abc")
    assert code == 2 and out == ""
    assert err.startswith(f"credscore fuse: error: --set: {key}: ") and err.count("\n") == 1
    code, _, err = cli(str(table), "--model", name, *numeric, "--set", "colour=red")
    assert code == 2 and "has no setting 'colour'" in err and key in err
    code, _, err = cli(str(table), "--model", name, *numeric, "--set", key)
    assert code == 2 and "expected KEY=VALUE" in err


def test_cli_label_set(tmp_path: Path) -> None:
    """--label-set makes every label a candidate: the values of the file, or
    the labels given; a label set that misses a value of the file is a named
    error."""
    table = tmp_path / "t.csv"
    table.write_text("source,object,value\ns1,x,1\ns2,x,1\ns1,y,0\n")
    code, out, _ = cli(str(table), "--model", "majority", "--json", "--label-set")
    assert code == 0
    assert [o["value"] for o in json.loads(out)["objects"]] == ["1", "0"]
    code, out, _ = cli(str(table), "--model", "dawid-skene", "--json", "--label-set", "0,1,2")
    assert code == 0
    assert {o["value"] for o in json.loads(out)["objects"]} <= {"0", "1", "2"}
    code, _, err = cli(str(table), "--model", "majority", "--label-set", "0,2")
    assert code == 2
    assert "--label-set: labels: the table has the value '1'" in err
