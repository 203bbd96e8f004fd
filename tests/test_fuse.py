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
