"""Data set loaders read the files right; normalisers; synthetic tables plant what they say."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from credscore import datasets
from credscore.datasets import (
    DataNotFoundError,
    Dataset,
    load,
    normalize_authors,
    normalize_population,
    normalize_time,
    synthetic,
)
from credscore.errors import InvalidTableError
from credscore.metrics import evaluate
from credscore.models import Majority, available_models, get_model

DATA = Path(
    os.environ.get("CREDSCORE_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"no data folder at {DATA}")


# --------------------------------------------------------------------------
# Real data: the sanity numbers of ../shared/data/README.md


@needs_data
@pytest.mark.parametrize(
    ("name", "expected", "tol"),
    [
        ("product", 0.8966, 0.0001),  # Zheng et al. Table 6: MV 89.66
        ("sentiment", 0.9331, 0.001),  # MV 93.31
        ("relevance", 0.5419, 0.001),  # MV 54.19
        ("rte", 0.897, 0.001),  # README: about 0.897
        ("temp", 0.936, 0.001),  # README: about 0.936
    ],
)
def test_majority_vote_matches_published(name: str, expected: float, tol: float) -> None:
    """Majority vote (ties counted as expected credit) reproduces the published
    figure, which checks that the files are read right."""
    ds = load(name, DATA)
    ev = ds.evaluate(Majority().fit_score(ds.table))
    assert ev["accuracy"] == pytest.approx(expected, abs=tol)


@needs_data
def test_emotion_mean_mae() -> None:
    """The mean of the answers gives MAE 12.02 on N_Emotion (Zheng et al., Table 6)."""
    ds = load("emotion", DATA)
    assert ds.table.numeric
    # Computed here from the table, independently of any model.
    t = ds.table
    sums = np.bincount(t.object, weights=t.claim_value[t.claim], minlength=t.n_objects)
    mean = sums / np.bincount(t.object, minlength=t.n_objects)
    ids = t.object_ids.tolist()
    err = [abs(mean[ids.index(k)] - v) for k, v in ds.gold.items()]
    assert np.mean(err) == pytest.approx(12.02, abs=0.005)
    if "mean" in available_models():
        ev = ds.evaluate(get_model("mean").fit_score(t))
        assert ev["mae"] == pytest.approx(12.02, abs=0.005) and ev["items"] == 700


@needs_data
@pytest.mark.parametrize(
    ("name", "objects", "gold", "items"),
    [
        ("product", 8315, 8315, 8315),
        ("sentiment", 1000, 1000, 1000),
        ("relevance", 20232, 4460, 4460),
        ("adult", 11040, 1517, 333),
        ("emotion", 700, 700, 700),
        ("rte", 800, 800, 800),
        ("temp", 462, 462, 462),
        ("books", 1263, 100, 100),
        ("population", 42832, 308, 301),
        ("flights", 400, 400, 400),
        ("duck", 108, 108, 108),
        ("dog", 807, 807, 807),
        ("face", 584, 584, 584),
        ("web", 2665, 2653, 2653),
        ("trec", 19033, 2275, 2275),
    ],
)
def test_sizes_and_scored_items(name: str, objects: int, gold: int, items: int) -> None:
    """Each data set has the documented number of objects, gold values and scored
    items, and its description states how many items are scored."""
    ds = load(name, DATA)
    assert isinstance(ds, Dataset) and ds.name == name
    assert ds.table.n_objects == objects
    assert len(ds.gold) == gold
    ev = ds.evaluate(Majority().fit_score(ds.table)) if not ds.table.numeric else None
    if ev is not None:
        assert ev["items"] == items
    assert f"{items} " in ds.description and "Scored" in ds.description


@needs_data
def test_population_versions() -> None:
    """The three population versions load and score the documented gold city-years;
    values are integers compared for equality."""
    for version, items in (("dafna", 301), ("wiki", 308), ("cleaned", 277)):
        ds = datasets.load_population(DATA / "truth" / "population", version=version)
        assert not ds.table.numeric
        assert all(isinstance(v, int) for v in ds.gold.values())
        assert ds.evaluate(Majority().fit_score(ds.table))["items"] == items
    with pytest.raises(ValueError, match="version"):
        datasets.load_population(DATA / "truth" / "population", version="x")  # type: ignore[arg-type]


@needs_data
def test_flights_objects_and_gold() -> None:
    """Flights: one object per (flight, time attribute), 400 gold times in HH:MM."""
    ds = load("flights", DATA)
    assert len({o.split(" ")[0] for o in ds.gold}) == 100
    assert {o.split(" ")[1] for o in ds.gold} == set(datasets._web.FLIGHT_ATTRIBUTES)
    assert all(len(v) == 5 and v[2] == ":" for v in ds.gold.values())
    assert ds.table.n_sources == 38


@needs_data
def test_books_gold_normalised_like_sources() -> None:
    """Books: gold lists go through the same normaliser as the stores' lists, so
    the majority vote of normalised lists matches most gold books."""
    ds = load("books", DATA)
    assert ds.gold["0120887975"] == "celko joe"
    acc = ds.evaluate(Majority().fit_score(ds.table))["accuracy"]
    assert 0.7 <= acc <= 0.85  # DAFNA-EA reports 0.77 for the dominant value


def test_load_errors(tmp_path: Path) -> None:
    """An unknown name is a ValueError listing the names; a missing folder is a
    DataNotFoundError naming the path."""
    with pytest.raises(ValueError, match="product"):
        load("nope", tmp_path)
    with pytest.raises(DataNotFoundError, match=str(tmp_path)):
        load("product", tmp_path)
    with pytest.raises(FileNotFoundError):
        datasets.load_product(tmp_path)


def test_default_root_uses_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """CREDSCORE_DATA overrides the default data folder."""
    monkeypatch.setenv("CREDSCORE_DATA", str(tmp_path))
    assert datasets.default_root() == tmp_path


def test_crowd_loader_on_a_tiny_folder(tmp_path: Path) -> None:
    """A crowd loader takes a folder path; gold tasks without answers are not scored
    and the description says so."""
    (tmp_path / "answer.csv").write_text("question,worker,answer\nq1,w1,1\nq1,w2,1\nq2,w1,0\n")
    (tmp_path / "truth.csv").write_text("question,truth\nq1,1\nq2,1\nq3,0\n")
    ds = datasets.load_product(tmp_path)
    ev = ds.evaluate(Majority().fit_score(ds.table))
    assert ev == {"accuracy": 0.5, "items": 2}
    assert "the 2 gold tasks that have at least one answer" in ds.description


def test_read_gold(tmp_path: Path) -> None:
    """Gold files accept object/value and question/truth headers; conflicts and
    missing columns are errors naming the line."""
    f = tmp_path / "g.csv"
    f.write_text("object,value\nx,1.5\ny,2\n")
    assert datasets.read_gold(f, numeric=True) == {"x": 1.5, "y": 2.0}
    f.write_text("question,truth\nx,a\nx,b\n")
    with pytest.raises(InvalidTableError, match="line 3"):
        datasets.read_gold(f)
    f.write_text("foo,bar\nx,a\n")
    with pytest.raises(InvalidTableError, match="line 1"):
        datasets.read_gold(f)


def test_evaluate_refuses_other_table() -> None:
    """A data set refuses to score a result fitted on another table."""
    t1, truth, _ = synthetic(n_sources=3, n_objects=5, seed=0)
    t2, _, _ = synthetic(n_sources=3, n_objects=6, seed=0)
    ds = Dataset("toy", t1, truth, "all")
    with pytest.raises(InvalidTableError, match="different table"):
        ds.evaluate(Majority().fit_score(t2))


# --------------------------------------------------------------------------
# Normalisers


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Knuth, Donald E.", "Donald E. Knuth"),
        ("KNUTH, DONALD", "donald knuth"),
        ("Aiken, Peter/ Allen, David M.", "aiken, peter ;  allen, m. david;"),
        ("By (author) Celko, Joe", "celko, joe ;"),
        ("Hornick, Mark F.; Marcad&eacute;, Erik", "Mark Hornick, Erik Marcadé"),
        ("Hornick, Mark F.; Marcad&Atilde;&copy;, Erik", "Mark Hornick, Erik Marcadé"),
    ],
)
def test_author_lists_that_agree(a: str, b: str) -> None:
    """Case, punctuation, name order, role words, accents and entities do not matter."""
    assert normalize_authors(a) == normalize_authors(b) is not None


@pytest.mark.parametrize(
    ("a", "b"),
    [("Aiken, Peter", "Aiken, Peter; Allen, M. David"), ("Loshin, Pete", "Loshin, Peter")],
)
def test_author_lists_that_differ(a: str, b: str) -> None:
    """A missing author or a different first name is a different value."""
    assert normalize_authors(a) != normalize_authors(b)


@pytest.mark.parametrize("text", ["Not Available", "", "  ", "n/a", "By (author)"])
def test_missing_author_lists(text: str) -> None:
    """Empty and 'Not Available' lists are missing values."""
    assert normalize_authors(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4:55 p.m.", "16:55"),
        ("16:55", "16:55"),
        ("4:55PDec 1", "16:55"),
        ("5:09aDec 1", "05:09"),
        ("12:10 a.m.", "00:10"),
        ("12:10 p.m.", "12:10"),
        ("12:05noon", "12:05"),
        ("Thu  14:20", "14:20"),
        ("12/01 9:40 a.m.", "09:40"),
        ("7:55 p.m. (-0:10)", "19:55"),
        ("8:05 p.m.            Delayed", "20:05"),
        ("Dec 01 10:12 a.m.", "10:12"),
        ("Not Available", None),
        ("Contact Airline", None),
        ("", None),
        ("25:99", None),
    ],
)
def test_normalize_time(text: str, expected: str | None) -> None:
    """Flight times in the sources' formats normalise to 24-hour HH:MM."""
    assert normalize_time(text) == expected


@given(st.integers(0, 23), st.integers(0, 59))
def test_normalize_time_12h_and_24h_agree(h: int, m: int) -> None:
    """A time written on the 12-hour clock and on the 24-hour clock normalise alike."""
    half = "a.m." if h < 12 else "p.m."
    h12 = h % 12 or 12
    assert normalize_time(f"{h12}:{m:02d} {half}") == normalize_time(f"{h}:{m:02d}")


def test_normalize_population() -> None:
    """Population figures: separators dropped, decimals rounded, junk is missing."""
    assert normalize_population("1,234,567") == 1234567
    assert normalize_population("99.6") == 100
    assert normalize_population("abc") is None
    assert normalize_population("-5") is None


# --------------------------------------------------------------------------
# Synthetic tables


def test_synthetic_truth_and_reliability() -> None:
    """Each source's share of true values is close to its planted reliability."""
    rel = [0.9, 0.6, 0.3]
    table, truth, info = synthetic(
        n_sources=3, n_objects=4000, n_values=3, reliability=rel, seed=1
    )
    assert info.reliability == tuple(rel)
    assert len(truth) == 4000 and table.n_assertions == 3 * 4000
    correct = np.array([truth[o] for o in table.object_ids.tolist()])[table.object]
    right = table.claim_value[table.claim] == correct
    share = np.bincount(table.source, weights=right) / np.bincount(table.source)
    assert share == pytest.approx(rel, abs=0.03)


def test_synthetic_copiers_copy() -> None:
    """With copy_rate 1 a copier gives exactly its original's values; planted pairs
    and groups are reported."""
    table, _, info = synthetic(
        n_sources=7,
        n_objects=200,
        reliability=[0.8, 0.8, 0.8, 0.2, 0.2, 0.2, 0.2],
        copiers={3: [4, 5, 6]},
        seed=0,
    )
    assert info.copy_pairs == (("s4", "s3"), ("s5", "s3"), ("s6", "s3"))
    assert info.groups == (("s3", "s4", "s5", "s6"),)
    assert len(info.dependent_pairs) == 6
    claims = {}
    for s in range(table.n_sources):
        mask = table.source == s
        claims[s] = dict(zip(table.object[mask].tolist(), table.claim[mask].tolist()))
    assert claims[4] == claims[3] == claims[5] == claims[6]
    assert claims[0] != claims[1]


def test_synthetic_copier_scenario_defeats_majority() -> None:
    """Three honest sources against one unreliable source copied by three others:
    majority vote falls below 50%."""
    table, truth, _ = synthetic(
        n_sources=7,
        n_objects=500,
        n_values=4,
        reliability=[0.8, 0.8, 0.8, 0.2, 0.2, 0.2, 0.2],
        copiers={3: [4, 5, 6]},
        seed=3,
    )
    assert evaluate(Majority().fit_score(table), truth)["accuracy"] < 0.5


def test_synthetic_coverage_and_partial_copying() -> None:
    """Coverage thins the table; a copier with copy_rate < 1 shares only part of
    its original's values."""
    table, truth, _ = synthetic(
        n_sources=6, n_objects=2000, coverage=0.5, copiers={0: [1]}, copy_rate=0.5, seed=2
    )
    per_source = np.bincount(table.source, minlength=6)
    assert per_source[2:] == pytest.approx([1000] * 4, rel=0.1)
    assert set(truth) == set(table.object_ids.tolist())


def test_synthetic_is_deterministic_with_a_seed() -> None:
    """The same seed gives the same table."""
    a = synthetic(n_sources=5, n_objects=50, seed=7)[0]
    b = synthetic(n_sources=5, n_objects=50, seed=7)[0]
    assert a.source.tolist() == b.source.tolist() and a.claim.tolist() == b.claim.tolist()


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"n_sources": 0}, "n_sources"),
        ({"n_values": 1}, "n_values"),
        ({"reliability": 1.5}, "reliability"),
        ({"reliability": [0.5, 0.5]}, "reliability"),
        ({"coverage": 0.0}, "coverage"),
        ({"copy_rate": 2.0}, "copy_rate"),
        ({"copiers": {0: [10]}}, "copiers"),
        ({"copiers": {0: [1], 2: [1]}}, "copiers"),
        ({"copiers": {0: [1], 1: [2]}}, "copiers"),
    ],
)
def test_synthetic_validates(kwargs: dict[str, object], fragment: str) -> None:
    """Out-of-range settings are errors naming the setting."""
    with pytest.raises(ValueError, match=fragment):
        synthetic(n_sources=kwargs.pop("n_sources", 4), **kwargs)  # type: ignore[arg-type]


def _rumour_folder(tmp_path: Path, stances: dict[str, str], veracity: str) -> Path:
    import json

    (tmp_path / "tweets.tsv").write_text(
        "thread\tevent\ttweet\tparent\tuser\ttime\n"
        "1\tflood\t1\t\tu1\t2015-01-07T11:07:51+00:00\n"
        "1\tflood\t2\t1\tu2\t2015-01-07T11:09:00+00:00\n"
    )
    for s in ("train", "dev", "test"):
        (tmp_path / f"stance-{s}.json").write_text(json.dumps(stances if s == "train" else {}))
        (tmp_path / f"veracity-{s}.json").write_text(
            json.dumps({"1": veracity} if s == "train" else {})
        )
    return tmp_path


@pytest.mark.parametrize(
    ("stances", "veracity", "fragment"),
    [
        ({"1": "support", "2": "support"}, "TRUE", "veracity of thread 1: 'TRUE' is not one of"),
        ({"1": "support", "2": "agree"}, "true", "stance of tweet 2: has stance 'agree'"),
        ({"1": "support"}, "true", "stance of tweet 2: has no stance label"),
    ],
)
def test_rumoureval_names_a_label_it_does_not_know(
    tmp_path: Path, stances: dict[str, str], veracity: str, fragment: str
) -> None:
    """A veracity or stance label outside the data set's vocabulary is an
    error naming the thread or the tweet, not a silent 'false' or comment."""
    from credscore.datasets import rumoureval
    from credscore.errors import InvalidInputError

    folder = _rumour_folder(tmp_path, stances, veracity)
    with pytest.raises(InvalidInputError, match=re.escape(fragment)):
        rumoureval(folder)
    with pytest.raises(InvalidInputError, match="splits"):
        rumoureval(_rumour_folder(tmp_path, {"1": "support", "2": "deny"}, "true"), splits=["x"])
