"""Incremental fits (issue 11, item 6): ``Table.append`` and ``partial_fit``.

``partial_fit(new)`` must give the fit of the whole table: the same as
``fit(old.append(new))``, which is the same as compiling all the rows at once
(checked first, on generated rows). For the models that start from their last
state (majority refits exactly; dawid-skene, one-coin and corroboration warm
start), both fits are run to a tolerance far below the 1e-6 they are compared
at, so that the comparison is of fixed points, not of stopping points.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credscore.datasets import synthetic
from credscore.errors import ConvergenceWarning, InvalidTableError, NotFittedError
from credscore.kernels import backend as B
from credscore.models import get_model
from credscore.table.table import Table
from tests.backends import BACKENDS

FIELDS = (
    "source_ids",
    "object_ids",
    "claim_object",
    "claim_value",
    "object_start",
    "source",
    "claim",
    "object",
)
TIGHT = {"tol": 1e-12, "max_iter": 20_000}


def rows(n_sources: int, n_objects: int, n_values: int) -> Any:
    return st.lists(
        st.tuples(
            st.integers(0, n_sources - 1).map(lambda i: f"s{i}"),
            st.integers(0, n_objects - 1).map(lambda i: f"o{i}"),
            st.integers(0, n_values - 1).map(lambda i: f"v{i}"),
        ),
        min_size=2,
        max_size=60,
    )


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=200, deadline=None)
@given(rows(6, 8, 4), st.data())
def test_append_equals_compiling_all_rows(
    backend: str, data: list[tuple[str, str, str]], draw: Any
) -> None:
    k = draw.draw(st.integers(1, len(data) - 1))
    whole = Table.from_rows(data)
    with B.use_backend(backend):
        joined = Table.from_rows(data[:k]).append(Table.from_rows(data[k:]))
    for field in FIELDS:
        assert np.array_equal(getattr(joined, field), getattr(whole, field)), field
        assert getattr(joined, field).dtype == getattr(whole, field).dtype, field
    assert joined.numeric is whole.numeric
    assert np.array_equal(joined.labels, whole.labels)
    assert np.array_equal(joined.claim_label, whole.claim_label)


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=150, deadline=None)
@given(rows(6, 8, 4), st.sampled_from(["new objects", "old objects", "old labels"]))
def test_append_that_touches_few_objects(
    backend: str, data: list[tuple[str, str, str]], how: str
) -> None:
    # Table.append keeps the objects the new rows leave alone as they are and
    # compiles only the others: new rows on objects of their own, on objects
    # the table holds, and with no label of any kind that it lacks (every map
    # the identity).
    whole = Table.from_rows(data)
    objects = sorted({o for _, o, _ in data})
    if how == "new objects":
        late = set(objects[len(objects) // 2 :])
        first = [r for r in data if r[1] not in late]
        second = [r for r in data if r[1] in late]
    elif how == "old objects":
        first, second = data[: len(data) // 2 + 1], data[len(data) // 2 + 1 :]
        known = {o for _, o, _ in first}
        second = [r for r in second if r[1] in known]
        whole = Table.from_rows(first + second)
    else:
        first = data
        second = [data[-1]] + [r for r in data[:-1] if r[1] == data[-1][1]]
        whole = Table.from_rows(first + second)
    if not first or not second:
        return
    with B.use_backend(backend):
        joined = Table.from_rows(first).append(Table.from_rows(second))
    for field in FIELDS:
        assert np.array_equal(getattr(joined, field), getattr(whole, field)), field
    assert np.array_equal(joined.claim_label, whole.claim_label)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.integers(0, 6), st.floats(-5, 5)), min_size=2, max_size=40
    ),
    st.data(),
)
def test_append_numeric(data: list[tuple[int, int, float]], draw: Any) -> None:
    k = draw.draw(st.integers(1, len(data) - 1))
    whole = Table.from_rows(data, numeric=True)
    joined = Table.from_rows(data[:k], numeric=True).append(
        Table.from_rows(data[k:], numeric=True)
    )
    for field in FIELDS:
        assert np.array_equal(getattr(joined, field), getattr(whole, field)), field


@settings(max_examples=150, deadline=None)
@given(rows(5, 6, 5), st.data())
def test_labels_are_the_distinct_claim_values(data: list[tuple[str, str, str]], draw: Any) -> None:
    # Table.labels is cached at compile time, kept across attrs.evolve when
    # the claims stay, and computed afresh otherwise (as_numbers, a Table
    # built from arrays); each must be the sorted distinct claim values.
    k = draw.draw(st.integers(1, len(data) - 1))
    ints = [(s, o, int(v[1:])) for s, o, v in data]
    tables = [
        Table.from_rows(data),
        Table.from_rows(data[:k]).append(Table.from_rows(data[k:])),
        Table.from_rows(ints),
        Table.from_rows(ints).as_numbers(),
    ]
    t = tables[0]
    tables.append(
        Table(
            source_ids=t.source_ids,
            object_ids=t.object_ids,
            claim_object=t.claim_object,
            claim_value=t.claim_value,
            object_start=t.object_start,
            source=t.source,
            claim=t.claim,
            object=t.object,
        )
    )
    for table in tables:
        assert np.array_equal(table.labels, np.unique(table.claim_value))
        assert np.array_equal(table.labels[table.claim_label], table.claim_value)


def test_append_replaces_a_pairs_assertion() -> None:
    old = Table.from_rows([("a", "x", "1"), ("b", "x", "1")])
    new = old.append(Table.from_rows([("a", "x", "2")]))
    assert new.n_assertions == 2
    assert new.claim_value[new.claim[new.source == 0]].tolist() == ["2"]


@pytest.mark.parametrize(
    ("other", "field"),
    [
        (Table.from_rows([(1, "x", "a")]), "source"),
        (Table.from_rows([("a", 7, "a")]), "object"),
        (Table.from_rows([("a", "x", 3)], numeric=False), "value"),
    ],
)
def test_append_refuses_labels_of_another_kind(other: Table, field: str) -> None:
    base = Table.from_rows([("a", "x", "a"), ("b", "y", "b")])
    with pytest.raises(InvalidTableError, match=f"^{field}: the new rows' labels are"):
        base.append(other)


def test_append_refuses_numbers_with_labels() -> None:
    base = Table.from_rows([("a", "x", "a")])
    with pytest.raises(InvalidTableError, match=r"^value: the new rows are numeric"):
        base.append(Table.from_rows([("a", "x", 1.5)]))
    with pytest.raises(TypeError, match=r"^other: expected a credscore\.Table"):
        base.append([("a", "x", "a")])  # type: ignore[arg-type]


def split(seed: int, *, new_source: bool = True) -> tuple[Table, Table, Table]:
    """(old, new, whole): the new rows bring new objects, a new source and
    assertions that replace old ones."""
    table, _, _ = synthetic(n_sources=12, n_objects=300, n_values=4, reliability=0.75, seed=seed)
    src = table.source_ids[table.source]
    obj = table.object_ids[table.object]
    val = table.claim_value[table.claim]
    rng = np.random.default_rng(seed)
    late_object = table.object >= 270  # the last 10% of the objects come later
    late_source = (table.source == 11) & new_source  # and so does one source
    replaced = rng.random(src.shape[0]) < 0.02
    old = ~(late_object | late_source)
    val2 = val.copy()
    val2[replaced] = rng.choice(np.unique(val), int(replaced.sum()))
    new = ~old | replaced
    whole = Table.from_arrays(
        np.r_[src[old], src[new]], np.r_[obj[old], obj[new]], np.r_[val[old], val2[new]]
    )
    return (
        Table.from_arrays(src[old], obj[old], val[old]),
        Table.from_arrays(src[new], obj[new], val2[new]),
        whole,
    )


WARM = ["majority", "dawid-skene", "one-coin", "corroboration"]


@pytest.mark.parametrize("name", WARM)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_partial_fit_equals_a_refit(name: str, seed: int) -> None:
    old, new, whole = split(seed)
    tight = {} if name == "majority" else TIGHT
    model = get_model(name, **tight).fit(old)
    model.partial_fit(new)
    refit = get_model(name, **tight).fit(whole)
    got, want = model.result, refit.result
    for field in FIELDS:
        assert np.array_equal(getattr(got.table, field), getattr(want.table, field)), field
    assert np.abs(got.claim_probability - want.claim_probability).max() < 1e-6
    assert np.abs(got.reliability - want.reliability).max() < 1e-6
    assert np.array_equal(got.value, want.value)
    assert got.converged


@pytest.mark.parametrize("new_source", [True, False])
@pytest.mark.parametrize("name", ["dawid-skene", "one-coin", "corroboration"])
def test_the_warm_start_takes_fewer_passes(name: str, new_source: bool) -> None:
    old, new, whole = split(3, new_source=new_source)
    assert (old.n_sources < whole.n_sources) is new_source
    model = get_model(name, tol=1e-8, max_iter=5000).fit(old).partial_fit(new)
    refit = get_model(name, tol=1e-8, max_iter=5000).fit(whole)
    assert type(model).warm_starts()
    assert model.n_iter_ < refit.n_iter_


def test_dependence_learned_again_on_the_whole_table() -> None:
    # Copiers: corroboration learns dependence (closed label set of 4), and
    # the partial fit must end with the groups and fit of a refit.
    table, _, _ = synthetic(
        n_sources=9,
        n_objects=400,
        n_values=4,
        reliability=[0.8] * 5 + [0.2] * 4,
        copiers={5: [6, 7, 8]},
        copy_rate=0.95,
        seed=5,
    )
    src = table.source_ids[table.source]
    obj = table.object_ids[table.object]
    val = table.claim_value[table.claim]
    old = table.object < 360
    model = get_model("corroboration", **TIGHT).fit(
        Table.from_arrays(src[old], obj[old], val[old])
    )
    assert len(set(model.groups_.tolist())) < 9  # the copy group was found
    model.partial_fit(Table.from_arrays(src[~old], obj[~old], val[~old]))
    refit = get_model("corroboration", **TIGHT).fit(table)
    assert model.groups_.tolist() == refit.groups_.tolist()
    assert np.abs(model.result.claim_probability - refit.result.claim_probability).max() < 1e-6


def test_a_new_label_fits_again_from_the_start() -> None:
    old = Table.from_rows([("a", "x", "1"), ("b", "x", "1"), ("c", "x", "2"), ("a", "y", "2")])
    new = Table.from_rows([("b", "y", "3"), ("c", "y", "2")])
    model = get_model("dawid-skene", **TIGHT).fit(old).partial_fit(new)
    refit = get_model("dawid-skene", **TIGHT).fit(old.append(new))
    assert model.labels_.tolist() == ["1", "2", "3"]
    assert np.abs(model.result.claim_probability - refit.result.claim_probability).max() < 1e-9


@pytest.mark.parametrize("name", ["accu", "glad", "mean"])
def test_models_without_a_warm_start_fit_the_whole_table(name: str) -> None:
    rows_old = [("a", "x", 1), ("b", "x", 1), ("c", "x", 2), ("a", "y", 2), ("b", "y", 2)]
    rows_new = [("c", "y", 1), ("d", "z", 3), ("a", "z", 3)]
    old, new = Table.from_rows(rows_old), Table.from_rows(rows_new)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = get_model(name).fit(old).partial_fit(new)
        refit = get_model(name).fit(Table.from_rows(rows_old + rows_new))
    assert not type(model).warm_starts()
    assert np.allclose(model.result.claim_probability, refit.result.claim_probability)
    assert model.result.table.n_assertions == 8


def test_partial_fit_keeps_the_gold() -> None:
    old, new, whole = split(4)
    first = str(whole.object_ids[0])
    gold = {first: whole.claim_value[whole.claim[whole.object == 0][0]]}
    model = get_model("one-coin", **TIGHT).fit(old, gold=gold).partial_fit(new)
    refit = get_model("one-coin", **TIGHT).fit(whole, gold=gold)
    assert np.abs(model.result.claim_probability - refit.result.claim_probability).max() < 1e-9
    assert model.result.truths()[first] == gold[first]


def test_partial_fit_before_fit() -> None:
    with pytest.raises(NotFittedError):
        get_model("dawid-skene").partial_fit(Table.from_rows([("a", "x", "1")]))
    model = get_model("majority").fit(Table.from_rows([("a", "x", "1")]))
    with pytest.raises(TypeError, match=r"^table: expected a credscore\.Table"):
        model.partial_fit([("a", "x", "1")])  # type: ignore[arg-type]


def test_accelerated_iteration_reaches_the_plain_fixed_point() -> None:
    # SQUAREM from the usual start (not only from a warm one) converges to
    # the fixed point of plain EM.
    table, _, _ = synthetic(n_sources=15, n_objects=400, n_values=3, reliability=0.65, seed=9)
    model = get_model("dawid-skene", **TIGHT)
    plain = model.fit(table).result
    local: dict[str, Any] = {}
    state, passes, converged = model.iterate_accelerated(
        model.init_state(table), lambda s: model.partition_stats(table, s, local), stacklevel=1
    )
    assert converged and passes < plain.n_iter
    prob, _ = model.claim_scores(table, state, local)
    assert np.abs(prob - plain.claim_probability).max() < 1e-6


def test_accelerated_iteration_warns_at_max_iter() -> None:
    table, _, _ = synthetic(n_sources=15, n_objects=200, n_values=3, reliability=0.65, seed=9)
    model = get_model("one-coin", max_iter=3, tol=1e-15)
    local: dict[str, Any] = {}
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        _, passes, converged = model.iterate_accelerated(
            model.init_state(table), lambda s: model.partition_stats(table, s, local), stacklevel=1
        )
    assert passes == 3 and not converged


@pytest.mark.parametrize("name", ["dawid-skene", "glad"])
def test_the_convergence_warning_names_the_callers_line(name: str) -> None:
    # warm (dawid-skene) or refit (glad): the warning points here either way
    old, new, _ = split(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = get_model(name, max_iter=2, tol=1e-15).fit(old)
    with pytest.warns(ConvergenceWarning) as caught:
        model.partial_fit(new)
    assert {w.filename for w in caught} == {__file__}


@pytest.mark.parametrize("name", ["dawid-skene", "one-coin", "corroboration"])
@pytest.mark.parametrize("seed", [0, 1])
def test_accelerate_setting_reaches_the_same_fixed_point(name: str, seed: int) -> None:
    _, _, whole = split(seed)
    plain = get_model(name, **TIGHT).fit(whole)
    fast = get_model(name, accelerate=True, **TIGHT).fit(whole)
    assert fast.converged_ and fast.n_iter_ < plain.n_iter_
    assert np.abs(fast.result.claim_probability - plain.result.claim_probability).max() < 1e-6
    assert np.abs(fast.reliability_ - plain.reliability_).max() < 1e-6


def test_accelerate_with_gold() -> None:
    _, _, whole = split(6)
    first = str(whole.object_ids[0])
    gold = {first: whole.claim_value[whole.claim[whole.object == 0][0]]}
    plain = get_model("dawid-skene", **TIGHT).fit(whole, gold=gold)
    fast = get_model("dawid-skene", accelerate=True, **TIGHT).fit(whole, gold=gold)
    assert fast.n_iter_ < plain.n_iter_
    assert np.abs(fast.result.claim_probability - plain.result.claim_probability).max() < 1e-6


def test_a_pickled_model_goes_on_where_it_stopped() -> None:
    import pickle

    old, new, whole = split(7)
    model = get_model("dawid-skene", **TIGHT).fit(old)
    restored = pickle.loads(pickle.dumps(model))
    restored.partial_fit(new)
    model.partial_fit(new)
    assert np.array_equal(restored.result.claim_probability, model.result.claim_probability)
    assert restored.n_iter_ == model.n_iter_ < get_model("dawid-skene", **TIGHT).fit(whole).n_iter_
