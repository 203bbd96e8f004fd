"""credscore.dask.fuse gives the in-memory result, to 1e-9, for every model."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")

from distributed import Client, LocalCluster  # noqa: E402

from credscore.dask import fuse  # noqa: E402
from credscore.errors import (  # noqa: E402
    ConvergenceWarning,
    CredscoreWarning,
    GoldNotSupportedError,
    InvalidTableError,
)
from credscore.models import FusionResult, IterativeModel, Progress, get_model  # noqa: E402
from credscore.models.registry import _REGISTRY, gold_models  # noqa: E402
from credscore.table.table import Table  # noqa: E402

TOL = 1e-9


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    logging.getLogger("distributed").setLevel(logging.ERROR)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def make_rows(
    n_objects: int, seed: int, per_object: int = 4, n_sources: int = 15, numeric: bool = False
) -> pd.DataFrame:
    """Rows of a random table: per_object distinct sources on each object."""
    rng = np.random.default_rng(seed)
    obj = np.repeat(np.arange(n_objects), per_object)
    src = np.concatenate(
        [rng.choice(n_sources, per_object, replace=False) for _ in range(n_objects)]
    )
    truth = rng.integers(0, 3, n_objects)
    right = rng.random(obj.size) < 0.7
    val = np.where(right, truth[obj], rng.integers(0, 3, obj.size))
    rows = pd.DataFrame({"source": [f"s{s:02d}" for s in src], "object": obj})
    rows["value"] = val * 1.5 if numeric else np.array(["a", "b", "c"])[val]
    return rows.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def in_memory(
    rows: pd.DataFrame, name: str, gold: dict[Any, Any] | None = None, **kw: Any
) -> FusionResult:
    t = Table.from_arrays(
        rows["source"].to_numpy(), rows["object"].to_numpy(), rows["value"].to_numpy()
    )
    return get_model(name, **kw).fit_score(t, gold=gold)


def assert_same(a: FusionResult, b: FusionResult, assertions: bool = True) -> None:
    assert a.table.source_ids.tolist() == b.table.source_ids.tolist()
    assert a.table.object_ids.tolist() == b.table.object_ids.tolist()
    assert a.table.claim_value.tolist() == b.table.claim_value.tolist()
    assert a.table.object_start.tolist() == b.table.object_start.tolist()
    if assertions:
        for key in ("source", "claim", "object"):
            assert np.array_equal(getattr(a.table, key), getattr(b.table, key)), key
    np.testing.assert_allclose(b.claim_probability, a.claim_probability, rtol=0, atol=TOL)
    np.testing.assert_allclose(b.reliability, a.reliability, rtol=0, atol=TOL)
    if a.table.numeric:
        np.testing.assert_allclose(
            np.asarray(b.value, float), np.asarray(a.value, float), rtol=0, atol=TOL
        )
    else:
        assert a.value.tolist() == b.value.tolist()
    assert (a.n_iter, a.converged, a.model) == (b.n_iter, b.converged, b.model)


def settings_for(name: str, max_iter: int = 8) -> dict[str, Any]:
    return {"max_iter": max_iter, "tol": 0} if issubclass(_REGISTRY[name], IterativeModel) else {}


CATEGORICAL = sorted(n for n, c in _REGISTRY.items() if "categorical" in c.kinds)
# Models built for numbers (others accept numbers as labels, covered above).
NUMERIC = [
    n
    for n in ("mean", "median", "crh", "catd", "corroboration")
    if n in _REGISTRY and "numeric" in _REGISTRY[n].kinds
]


@pytest.mark.parametrize("name", CATEGORICAL)
def test_every_categorical_model_matches_in_memory(client: Any, name: str) -> None:
    """Every model gives on Dask (3 object partitions) what it gives in memory."""
    rows = make_rows(40, seed=1)
    kw = settings_for(name)
    expect = in_memory(rows, name, **kw)
    got = fuse(dd.from_pandas(rows, npartitions=3), name, client=client, **kw)
    assert_same(expect, got)


@pytest.mark.parametrize("name", NUMERIC)
def test_every_numeric_model_matches_in_memory(client: Any, name: str) -> None:
    """Models for numeric values give on Dask what they give in memory."""
    rows = make_rows(30, seed=2, numeric=True)
    kw = settings_for(name)
    expect = in_memory(rows, name, **kw)
    got = fuse(dd.from_pandas(rows, npartitions=2), name, client=client, **kw)
    assert_same(expect, got)


@settings(max_examples=6, deadline=None)
@given(
    n_objects=st.integers(1, 25),
    seed=st.integers(0, 2**16),
    npartitions=st.integers(1, 4),
    name=st.sampled_from(["dawid-skene", "sums", "glad", "accu-copy"]),
)
def test_generated_tables_match(
    client: Any, n_objects: int, seed: int, npartitions: int, name: str
) -> None:
    """On generated tables and any number of partitions, Dask equals in memory."""
    rows = make_rows(n_objects, seed=seed, per_object=3, n_sources=6)
    kw = settings_for(name, max_iter=5)
    expect = in_memory(rows, name, **kw)
    got = fuse(
        dd.from_pandas(rows, npartitions=npartitions),
        name,
        client=client,
        npartitions=npartitions,
        **kw,
    )
    assert_same(expect, got)


def known_values(rows: pd.DataFrame) -> dict[Any, Any]:
    """Every fourth object at its least given value, one object at a label of
    the table that none of its sources gave, and one object not in the table."""
    least = rows.groupby("object")["value"].min()
    gold: dict[Any, Any] = {o: least[o] for o in least.index[::4]}
    labels = set(rows["value"])
    given = rows.groupby("object")["value"].agg(set)
    unclaimed = next(o for o in given.index if o not in gold and labels - given[o])
    gold[unclaimed] = min(labels - given[unclaimed])
    gold[10_000] = least.iloc[0]
    return gold


GOLD = sorted(gold_models())


@pytest.mark.parametrize("name", [n for n in GOLD if "categorical" in _REGISTRY[n].kinds])
def test_gold_as_in_memory(client: Any, name: str) -> None:
    """With known values, every model that takes them gives on Dask what
    ``fit(table, gold=...)`` gives in memory, the known objects at probability 1."""
    rows = make_rows(40, seed=11)
    gold = known_values(rows)
    kw = settings_for(name)
    expect = in_memory(rows, name, gold=gold, **kw)
    got = fuse(dd.from_pandas(rows, npartitions=3), name, client=client, gold=gold, **kw)
    assert_same(expect, got)
    truths = got.truths()
    probability = dict(zip(got.table.object_ids.tolist(), got.probability.tolist()))
    claimed = rows.groupby("object")["value"].agg(set)
    for o, v in gold.items():
        if o in truths and v in claimed[o]:
            assert truths[o] == v and probability[o] == 1.0, (o, v)


@pytest.mark.parametrize("name", [n for n in GOLD if n in NUMERIC])
def test_numeric_gold_as_in_memory(client: Any, name: str) -> None:
    """Known numbers on a numeric table: Dask equals in memory."""
    rows = make_rows(30, seed=12, numeric=True)
    gold = known_values(rows)
    kw = settings_for(name)
    expect = in_memory(rows, name, gold=gold, **kw)
    got = fuse(dd.from_pandas(rows, npartitions=2), name, client=client, gold=gold, **kw)
    assert_same(expect, got)


def test_gold_on_the_partitions(client: Any) -> None:
    """Dawid-Skene holds the known objects where they live: without gathering
    the table (no assertions kept), it gives the in-memory fit with gold, which
    differs from the fit without it."""
    rows = make_rows(60, seed=13)
    gold = known_values(rows)
    kw = {"max_iter": 50, "tol": 1e-9}
    expect = in_memory(rows, "dawid-skene", gold=gold, **kw)
    got = fuse(
        dd.from_pandas(rows, npartitions=4),
        "dawid-skene",
        client=client,
        gold=gold,
        keep_assertions=False,
        **kw,
    )
    assert got.table.n_assertions == 0
    assert_same(expect, got, assertions=False)
    plain = in_memory(rows, "dawid-skene", **kw)
    assert np.abs(plain.reliability - got.reliability).max() > 1e-3


def test_gold_refused_or_wrong(client: Any) -> None:
    """A model that cannot use known values says so; a known value of the
    wrong kind names its object; gold must be a mapping."""
    rows = make_rows(10, seed=14)
    frame = dd.from_pandas(rows, npartitions=2)
    with pytest.raises(GoldNotSupportedError, match="investment"):
        fuse(frame, "investment", client=client, gold={0: "a"})
    with pytest.raises(TypeError, match="gold: expected a mapping"):
        fuse(frame, "dawid-skene", client=client, gold=[(0, "a")])
    numbers = dd.from_pandas(make_rows(10, seed=14, numeric=True), npartitions=2)
    with pytest.raises(InvalidTableError, match="object 3"):
        fuse(numbers, "crh", client=client, gold={3: "high"})
    # object ids are integers here: "3" names none of them
    with pytest.raises(InvalidTableError, match="object '3' is text"):
        fuse(frame, "dawid-skene", client=client, gold={"3": "a"})
    for name in ("dawid-skene", "ebcc"):  # on the partitions, and gathered
        with pytest.warns(CredscoreWarning, match=r"1 of 2 known values .*the first: 99\)"):
            fuse(frame, name, client=client, gold={99: "a", 3: "a"})


@settings(max_examples=8, deadline=None)
@given(
    n_objects=st.integers(1, 25),
    seed=st.integers(0, 2**16),
    npartitions=st.integers(1, 4),
    share=st.floats(0.0, 1.0),
    name=st.sampled_from(["dawid-skene", "one-coin", "glad", "crh", "truthfinder", "mace"]),
)
def test_generated_gold_matches(
    client: Any, n_objects: int, seed: int, npartitions: int, share: float, name: str
) -> None:
    """Any share of the objects known (none to all), on any number of
    partitions: Dask with gold equals the in-memory fit with gold."""
    rows = make_rows(n_objects, seed=seed, per_object=3, n_sources=6)
    rng = np.random.default_rng(seed)
    first = rows.groupby("object")["value"].first()
    gold = {o: v for o, v in first.items() if rng.random() < share}
    kw = settings_for(name, max_iter=5)
    expect = in_memory(rows, name, gold=gold, **kw)
    got = fuse(
        dd.from_pandas(rows, npartitions=npartitions),
        name,
        client=client,
        npartitions=npartitions,
        gold=gold,
        **kw,
    )
    assert_same(expect, got)


def test_convergence_and_progress_as_in_memory(client: Any) -> None:
    """With tol > 0 the Dask fit stops at the same iteration, reporting each on the client."""
    rows = make_rows(40, seed=3)
    seen: list[Progress] = []
    expect = in_memory(rows, "dawid-skene", max_iter=200, tol=1e-6)
    got = fuse(
        dd.from_pandas(rows, npartitions=2),
        "dawid-skene",
        client=client,
        max_iter=200,
        tol=1e-6,
        progress=seen.append,
    )
    assert got.converged and got.n_iter == expect.n_iter < 200
    assert [p.iteration for p in seen] == list(range(1, got.n_iter + 1))
    assert_same(expect, got)


@pytest.mark.parametrize("name", ["dawid-skene", "one-coin"])
def test_accelerated_fit_as_in_memory(client: Any, name: str) -> None:
    """accelerate=True converges with SQUAREM on Dask as in memory."""
    rows = make_rows(40, seed=4)
    kw = {"max_iter": 500, "tol": 1e-9, "accelerate": True}
    expect = in_memory(rows, name, **kw)
    got = fuse(dd.from_pandas(rows, npartitions=3), name, client=client, **kw)
    assert got.converged and got.n_iter < in_memory(rows, name, max_iter=500, tol=1e-9).n_iter
    assert_same(expect, got)


def test_not_converged_warns(client: Any) -> None:
    """Stopping at max_iter before tol warns, as in memory."""
    rows = make_rows(20, seed=4)
    with pytest.warns(ConvergenceWarning):
        fuse(dd.from_pandas(rows, npartitions=2), "sums", client=client, max_iter=2, tol=1e-30)


def test_parquet_paths_without_assertions(client: Any, tmp_path: Path) -> None:
    """Parquet files in, keep_assertions=False: same scores, no assertion arrays kept."""
    rows = make_rows(50, seed=5)
    for i, lo in enumerate(range(0, len(rows), 70)):
        rows.iloc[lo : lo + 70].to_parquet(tmp_path / f"part{i}.parquet")
    expect = in_memory(rows, "one-coin", max_iter=6, tol=0)
    got = fuse(
        [tmp_path / f"part{i}.parquet" for i in range(3)],
        "one-coin",
        client=client,
        keep_assertions=False,
        max_iter=6,
        tol=0,
    )
    assert got.table.n_assertions == 0
    assert_same(expect, got, assertions=False)
    assert got.truths() == expect.truths()


def test_column_names_and_model_instance(client: Any) -> None:
    """Other column names map through columns=; a model instance is accepted."""
    rows = make_rows(20, seed=6).rename(columns={"source": "w", "object": "q", "value": "y"})
    model = get_model("majority")
    got = fuse(dd.from_pandas(rows, npartitions=2), model, client=client, columns=("w", "q", "y"))
    expect = get_model("majority").fit_score(
        Table.from_arrays(rows["w"].to_numpy(), rows["q"].to_numpy(), rows["y"].to_numpy())
    )
    assert_same(expect, got)


def test_bad_input(client: Any) -> None:
    """A missing column is an InvalidTableError naming it; settings go to the instance."""
    rows = make_rows(5, seed=7).drop(columns=["value"])
    with pytest.raises(InvalidTableError, match="value"):
        fuse(dd.from_pandas(rows, npartitions=1), "sums", client=client)
    with pytest.raises(TypeError, match="settings"):
        fuse(rows, get_model("sums"), client=client, max_iter=3)


def test_one_million_assertions(client: Any) -> None:
    """On 1e6 assertions, Dawid-Skene on Dask equals Dawid-Skene in memory."""
    rng = np.random.default_rng(8)
    n_objects, per = 200_000, 5
    obj = np.repeat(np.arange(n_objects, dtype=np.int32), per)
    src = (
        (rng.integers(0, 1000, n_objects)[:, None] + np.arange(per) * 1000)
        .ravel()
        .astype(np.int32)
    )  # 5 distinct sources per object
    truth = rng.integers(0, 4, n_objects)
    val = np.where(rng.random(obj.size) < 0.75, truth[obj], rng.integers(0, 4, obj.size))
    rows = pd.DataFrame({"source": src, "object": obj, "value": val.astype(np.int32)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expect = get_model("dawid-skene", max_iter=5, tol=0).fit_score(
            Table.from_arrays(src, obj, rows["value"].to_numpy(), numeric=False)
        )
        got = fuse(
            dd.from_pandas(rows, npartitions=4),
            "dawid-skene",
            client=client,
            numeric=False,
            max_iter=5,
            tol=0,
        )
    assert_same(expect, got)
